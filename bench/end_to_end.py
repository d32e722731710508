"""Figures 5 and 6: end to end in distributed mode (financial report → tier change → the officer's
inbox item, p50 / p99 at 50 reports/s, 2 replicas per service) and peak RSS per process under it.

    .venv/bin/python -m bench.end_to_end

Both need the notifications service's officer inbox (``GET /api/v1/notifications/inbox``, issue 10).
Until that route exists on this branch the benchmark measures nothing and says so in the table —
a made-up number would be worse than none.
"""

from __future__ import annotations

import argparse
import importlib
from collections.abc import Sequence

from bench.results import Result, write_fragment

INBOX_PATH = "/api/v1/notifications/inbox"
WHY = "notifications inbox not merged"


def inbox_available() -> bool:
    try:
        definition = importlib.import_module("services.notifications.app").DEFINITION
    except (ImportError, AttributeError):
        return False
    paths = {getattr(route, "path", "") for router in definition.routers for route in router.routes}
    return INBOX_PATH in paths


def main(argv: Sequence[str] | None = None) -> None:
    argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_args(argv)
    available = inbox_available()
    why = WHY if not available else "inbox present, but the end-to-end driver is not written yet"
    print(f"figures 5 and 6 not measured: {why}")
    write_fragment("end_to_end", [
        Result.not_available("5 end to end: report → tier → inbox p50 at 50 reports/s", "ms",
                             "none (absolute target)", why),
        Result.not_available("5 end to end: report → tier → inbox p99 at 50 reports/s", "ms",
                             "none (absolute target)", why, target="≤ 1 s"),
        Result.not_available("6 memory under figure 5: peak RSS per service process", "MiB", "target", why,
                             target="≤ 250 MiB"),
    ])  # fmt: skip


if __name__ == "__main__":
    main()
