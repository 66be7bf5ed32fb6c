"""LIO's pure domain: meetings, the agenda and the rules a decision must satisfy. No I/O."""
