"""Registration's entrypoints: Faust agents (register, follow decisions) and gRPC queries."""
