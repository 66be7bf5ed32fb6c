"""Drive a whole knooppunt system from outside: its own broker, its services as processes,
numbered load over gRPC, consumer lag, and the invariants a fault must not break.

Charter: shared by `bench/` and `tests/faults/`; talks to the system only through the process
table, gRPC and Kafka, as an operator or a partner would. It never imports a service's
internals except the pure signal-id function, so that the checker computes ids exactly as
intake does.
"""
