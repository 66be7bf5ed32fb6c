"""LIO settings, from environment variables."""

from servicehost import ServiceSettings


class LioSettings(ServiceSettings):
    grpc_port: int = 50053
    # The meeting form used when a request names none: the internal GSO, without police.
    default_meeting_form: str = "gso"
    # Retention rule from the processing register applied to shared data when none is given.
    default_retention_rule: str = "referral-riec"
