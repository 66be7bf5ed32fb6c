"""Intake's entrypoints: the gRPC IntakeService and the Faust agent that keeps receipts current."""
