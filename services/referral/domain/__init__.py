"""Referral's pure domain: the minimisation policy, referral packages, the referral book. No I/O."""
