"""LIO's entrypoints: the gRPC LioService and the Faust agents that keep the agenda current."""
