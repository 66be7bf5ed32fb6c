"""Referral settings, from environment variables."""

from datetime import timedelta
from pathlib import Path

from pydantic import Field

from servicehost import ServiceSettings
from services.referral.domain.sweep import SweepRules


class ReferralSettings(ServiceSettings):
    grpc_port: int = 50054
    # The reviewed minimisation policy; a deployment may point at its own reviewed copy.
    referral_policy_file: Path = Path(__file__).resolve().parent / "policy.toml"
    # The sweeper (REFERRAL_SWEEP_INTERVAL_S, ...): how often it looks, when it redelivers an
    # unacknowledged referral again and how often at most, and when it reports one as stuck.
    referral_sweep_interval_s: float = Field(default=30.0, gt=0)
    referral_redeliver_after_s: float = Field(default=900.0, gt=0)
    referral_max_redeliveries: int = Field(default=8, ge=0)
    referral_stuck_after_s: float = Field(default=4 * 3600.0, gt=0)

    def sweep_rules(self) -> SweepRules:
        return SweepRules(
            redeliver_after=timedelta(seconds=self.referral_redeliver_after_s),
            max_redeliveries=self.referral_max_redeliveries,
            stuck_after=timedelta(seconds=self.referral_stuck_after_s),
        )
