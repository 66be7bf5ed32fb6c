"""Privacy tools for the WGS contact point and the privacy officer: subject access (inzage)."""
