"""Intake's adapters: proto <-> domain mapping, and the Kafka signal log."""
