"""Referral settings, from environment variables."""

from pathlib import Path

from servicehost import ServiceSettings


class ReferralSettings(ServiceSettings):
    grpc_port: int = 50054
    # The reviewed minimisation policy; a deployment may point at its own reviewed copy.
    referral_policy_file: Path = Path(__file__).resolve().parent / "policy.toml"
