"""``make bench`` = ``.venv/bin/python -m bench``: every benchmark at full size, then the report.

    .venv/bin/python -m bench [--only NAME ...]

Each benchmark runs as its own process (a crash in one leaves the others' figures) and writes its
fragment to bench/results/; ``bench.report`` merges them into latest.json and latest.md. Sizes are
chosen so the whole run stays within 20 minutes on 2 cores even when they are shared (6 min 46 s on a
quiet machine on 2026-12-03, with the import at 100,000 enterprises × 3 years).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

# (name, module, arguments). Figure numbers follow issue 12.
BENCHMARKS: list[tuple[str, str, list[str]]] = [
    ("eligibility_reassess", "bench.eligibility_reassess", ["--size", "1000000", "--sample", "2000"]),
    ("event_pipeline", "bench.event_pipeline", ["--events", "10000"]),
    ("gateway_proxy", "bench.gateway_proxy", []),
    ("registry_import", "bench.registry_import", ["--enterprises", "100000"]),
    ("end_to_end", "bench.end_to_end", ["--enterprises", "150"]),
    ("finance_match", "bench.finance_match", []),
    ("seed_bank", "bench.seed_bank", ["--pool", "100000", "--sample", "2000"]),
    ("eligibility_batch", "bench.eligibility_batch", ["--events", "2000"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (names as above)")
    args = parser.parse_args()
    failed = []
    for name, module, arguments in BENCHMARKS:
        if args.only and name not in args.only:
            continue
        print(f"\n=== {name} ({module} {' '.join(arguments)})", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, "-m", module, *arguments])
        print(f"=== {name}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code != 0:
            failed.append(name)
    subprocess.check_call([sys.executable, "-m", "bench.report"])
    if failed:
        print(f"benchmarks that failed (their old fragment, if any, is in the table): {', '.join(failed)}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
