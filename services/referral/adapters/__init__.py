"""Referral's adapters: proto mapping, the Kafka referral log and replays, the policy file."""
