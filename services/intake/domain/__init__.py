"""Intake's pure domain: what a valid signal is, and how subjects become keys. No I/O."""
