"""Benchmarks of knooppunt against baselines measured in the same run (issue 7).

Entry point: `python -m bench.run --profile quick|full`. Lives apart from the tests; never
imported by a service.
"""
