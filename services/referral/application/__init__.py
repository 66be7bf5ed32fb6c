"""Referral's handlers: issue referrals for LIO decisions once; record acknowledgements once."""
