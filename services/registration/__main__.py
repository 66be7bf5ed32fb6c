"""`python -m services.registration`: run the registration service until SIGTERM."""

from servicehost import run
from services.registration.bootstrap import build
from services.registration.settings import RegistrationSettings


def main() -> None:
    settings = RegistrationSettings()
    app, host = build(settings)
    run("registration", settings, app, host)


if __name__ == "__main__":
    main()
