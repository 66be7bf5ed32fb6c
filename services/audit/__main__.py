"""`python -m services.audit`: run the audit service (the log's single writer) until SIGTERM."""

from servicehost import run
from services.audit.bootstrap import build
from services.audit.settings import AuditSettings


def main() -> None:
    settings = AuditSettings()
    app, host = build(settings)
    run("audit", settings, app, host)


if __name__ == "__main__":
    main()
