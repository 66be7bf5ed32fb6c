"""Audit's adapters: the audit log on Kafka, and the auditor's export formats."""
