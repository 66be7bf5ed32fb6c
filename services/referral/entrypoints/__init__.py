"""Referral's entrypoints: the Faust agent on LIO decisions, and the gRPC ReferralService."""
