"""LIO's adapters: proto mapping and the Kafka deliberation log."""
