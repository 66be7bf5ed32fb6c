"""`python -m services.intake`: run the intake service until SIGTERM."""

from servicehost import run
from services.intake.bootstrap import build
from services.intake.settings import IntakeSettings


def main() -> None:
    settings = IntakeSettings()
    app, host = build(settings)
    run("intake", settings, app, host)


if __name__ == "__main__":
    main()
