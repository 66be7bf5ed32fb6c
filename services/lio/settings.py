"""LIO settings, from environment variables."""

from pathlib import Path

from servicehost import ServiceSettings
from services.lio.domain.forms import DeliberationRules

MEETING_FORMS_FILE = Path(__file__).resolve().parent / "meeting_forms.toml"


class LioSettings(ServiceSettings):
    grpc_port: int = 50053
    # The reviewed file with the meeting forms (LIO, GSO), their quorum rules and the interventions.
    meeting_forms_file: Path = MEETING_FORMS_FILE
    # Retention rule from the processing register applied to shared data when none is given.
    default_retention_rule: str = "referral-riec"

    def rules(self) -> DeliberationRules:
        return DeliberationRules.from_toml(self.meeting_forms_file.read_text(encoding="utf-8"))
