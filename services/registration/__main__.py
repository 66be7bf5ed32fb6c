"""`python -m services.registration`: run the registration service until SIGTERM."""

import gc

from servicehost import run
from services.registration.bootstrap import build
from services.registration.settings import RegistrationSettings


# Young-generation collections every 20,000 net allocations instead of CPython's 700: every
# signal leaves dozens of container objects alive for a while (Kafka records, Faust events,
# models, messages of a batch in flight), so with the default a collection ran every few signals
# and rescanned what was in flight. Full collections stay short (servicehost's ShortGcPauses).
GC_YOUNG_THRESHOLD = 20_000


def main() -> None:
    _, *older = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, *older)
    settings = RegistrationSettings()
    app, host = build(settings)
    run("registration", settings, app, host)


if __name__ == "__main__":
    main()
