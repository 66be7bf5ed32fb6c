"""The privacy tools' Kafka side: replay the topics into the pure report."""
