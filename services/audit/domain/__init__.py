"""Audit's pure domain: the hash chain over stored entries, and which events become entries.

No I/O, no faust or grpc. Unlike the other services this domain works on the AuditEntry
protobuf itself: the chain is defined over the exact bytes stored on the topic, so the stored
format *is* the domain object, and a pydantic copy would only add a second place to drift.
"""
