"""Audit's application layer: the single writer that appends entries to the chained log."""
