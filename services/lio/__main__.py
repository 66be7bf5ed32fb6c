"""`python -m services.lio`: run the LIO deliberation service until SIGTERM."""

from servicehost import run
from services.lio.bootstrap import build
from services.lio.settings import LioSettings


def main() -> None:
    settings = LioSettings()
    app, host = build(settings)
    run("lio", settings, app, host)


if __name__ == "__main__":
    main()
