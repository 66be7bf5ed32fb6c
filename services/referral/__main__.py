"""`python -m services.referral`: run the referral service until SIGTERM."""

from servicehost import run
from services.referral.bootstrap import build
from services.referral.settings import ReferralSettings


def main() -> None:
    settings = ReferralSettings()
    app, host = build(settings)
    run("referral", settings, app, host)


if __name__ == "__main__":
    main()
