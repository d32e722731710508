"""The results contract every benchmark writes: ``bench/results/<bench>.json``.

    {"results": [{"name", "value", "unit", "anchor", "anchor_value", "ratio", ...}]}

``ratio`` is ours ÷ anchor in the direction where higher is better (for a time or a latency that is
anchor ÷ ours). Optional keys: ``target`` (text), ``met`` (bool, or null when there is no target or
no value), ``note``. A figure that could not be measured has ``value`` null and says why in ``note``.
``bench/report.py`` merges the fragments into ``latest.json`` and ``latest.md``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

RESULTS_DIR = Path(__file__).resolve().parent / "results"
REQUIRED_KEYS = ("name", "value", "unit", "anchor", "anchor_value", "ratio")


def results_dir() -> Path:
    """``SRDI_BENCH_RESULTS`` when set (the tests' tiny runs write elsewhere), else bench/results."""
    directory = Path(os.environ.get("SRDI_BENCH_RESULTS") or RESULTS_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@dataclass
class Result:
    name: str
    value: float | None
    unit: str
    anchor: str
    anchor_value: float | None
    ratio: float | None = None
    target: str | None = None
    met: bool | None = None
    note: str | None = None

    @classmethod
    def measured(
        cls,
        name: str,
        value: float,
        unit: str,
        anchor: str,
        anchor_value: float,
        *,
        higher_is_better: bool,
        target: str | None = None,
        met: bool | None = None,
        note: str | None = None,
    ) -> Result:
        return cls(name, value, unit, anchor, anchor_value, ratio_of(value, anchor_value, higher_is_better),
                   target, met, note)  # fmt: skip

    @classmethod
    def not_available(cls, name: str, unit: str, anchor: str, why: str, target: str | None = None) -> Result:
        return cls(name, None, unit, anchor, None, None, target, None, f"not available: {why}")


def ratio_of(value: float, anchor_value: float, higher_is_better: bool) -> float | None:
    """Ours ÷ anchor where higher is better, anchor ÷ ours where lower is better."""
    numerator, denominator = (value, anchor_value) if higher_is_better else (anchor_value, value)
    if denominator == 0:
        return None
    return round(numerator / denominator, 4)


def write_fragment(bench: str, results: list[Result], extra: dict[str, Any] | None = None) -> Path:
    path = results_dir() / f"{bench}.json"
    # The machine's load when the benchmark ends: the figures' noise, next to them.
    document: dict[str, Any] = {"results": [asdict(result) for result in results],
                                "load_average_1m": round(os.getloadavg()[0], 2)}  # fmt: skip
    if extra:
        document.update(extra)
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {path}")
    return path
