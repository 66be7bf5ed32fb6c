"""Intake's command handling: idempotent acceptance of signals, publication before receipt."""
