"""Audit's entrypoints: Faust agents that feed the writer, and the read-only gRPC API."""
