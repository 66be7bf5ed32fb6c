"""The reference partner adapter: how a partner's integrator receives and acknowledges referrals.

Copy it, replace `store` with your own case system, keep the order of the steps.
"""
