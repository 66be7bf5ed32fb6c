"""Registration's adapters: proto mapping and the Kafka registration log."""
