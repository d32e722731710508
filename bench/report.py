"""Merge every ``bench/results/<bench>.json`` fragment into ``latest.json`` and ``latest.md``.

    .venv/bin/python -m bench.report

``latest.json`` = {"date", "machine": {cores, memory_gib, python, kafka, postgresql, …}, "results": [...]}
in the order of :data:`ORDER` (unknown fragments after, by name). ``latest.md`` is the table the
README shows. A fragment without the contract's keys is refused loudly, never dropped silently.
"""

from __future__ import annotations

import asyncio
import json
import os
import platform
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psutil

from bench.results import REQUIRED_KEYS, RESULTS_DIR, results_dir

ROOT = Path(__file__).resolve().parent.parent
# Fragments in figure order; others (new benchmarks) follow alphabetically.
ORDER = (
    "eligibility_reassess", "event_pipeline", "gateway_proxy", "registry_import",
    "end_to_end", "scale_out", "finance_match",
)  # fmt: skip
OUTPUTS = {"latest.json", "latest.md"}
README = ROOT / "README.md"
START, END = "<!-- bench:start (written by bench/report.py) -->", "<!-- bench:end -->"


def kafka_version() -> str:
    jars = sorted((ROOT / "var" / "local" / "kafka" / "libs").glob("kafka_2.*-*.jar"))
    for jar in jars:
        found = re.match(r"kafka_[\d.]+-([\d.]+)\.jar$", jar.name)
        if found:
            return f"Apache Kafka {found.group(1)} (single local broker, KRaft)"
    return "unknown (no local Kafka jars)"


def postgres_version() -> str:
    async def ask() -> str:
        import asyncpg
        from sqlalchemy.engine import make_url

        from tests.infra import postgres_url

        url = make_url(postgres_url()).set(drivername="postgresql").render_as_string(hide_password=False)
        connection = await asyncpg.connect(url, timeout=10)
        try:
            return str(await connection.fetchval("SHOW server_version"))
        finally:
            await connection.close()

    try:
        return f"PostgreSQL {asyncio.run(ask()).split()[0]}"
    except Exception as error:  # the report still prints the figures it has
        return f"unknown ({type(error).__name__})"


def machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cores": os.cpu_count(),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "cpu": platform.processor() or platform.machine(),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "kafka": kafka_version(),
        "postgresql": postgres_version(),
        "load_average_1_5_15": [round(x, 2) for x in load],
        "shared": "the machine's 2 cores are shared with other developers' work: absolute figures are noisy; "
        "the ratios to anchors measured in the same run are the figures to read",
    }


def load_averages(directory: Path) -> dict[str, float]:
    """Each fragment's 1-minute load average when its benchmark ended (where it recorded one)."""
    loads = {}
    for path in sorted(directory.glob("*.json")):
        if path.name not in OUTPUTS:
            load = json.loads(path.read_text(encoding="utf-8")).get("load_average_1m")
            if load is not None:
                loads[path.stem] = load
    return loads


def load_fragments(directory: Path) -> list[dict[str, Any]]:
    paths = {p.stem: p for p in directory.glob("*.json") if p.name not in OUTPUTS}
    names = [n for n in ORDER if n in paths] + sorted(n for n in paths if n not in ORDER)
    results: list[dict[str, Any]] = []
    for name in names:
        document = json.loads(paths[name].read_text(encoding="utf-8"))
        for entry in document["results"]:
            missing = [key for key in REQUIRED_KEYS if key not in entry]
            if missing:
                raise ValueError(f"{paths[name]}: result {entry.get('name')!r} lacks {', '.join(missing)}")
            results.append({"bench": name, **entry})
    return results


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, int | float):
        magnitude = abs(value)
        if magnitude >= 100:
            return f"{value:,.0f}"
        if magnitude >= 1:
            return f"{value:.2f}"
        return f"{value:.3g}"
    return str(value)


def _verdict(entry: dict[str, Any]) -> str:
    if entry.get("value") is None:
        return "**not measured**"
    met = entry.get("met")
    target = entry.get("target")
    if met is None:
        return target or ""
    return f"{'met' if met else '**MISSED**'} ({target})" if target else ("met" if met else "**MISSED**")


def markdown(document: dict[str, Any]) -> str:
    m = document["machine"]
    lines = [
        f"Run {document['date']} on {m['cores']} cores, {m['memory_gib']} GiB, {m['os']}, Python {m['python']}, "
        f"{m['kafka']}, {m['postgresql']}; load average at the end {m['load_average_1_5_15']}. {m['shared']}.",
        "",
        *(
            [
                "Load average (1 min) as each benchmark ended: "
                + ", ".join(f"{name} {load:g}" for name, load in document.get("load_averages", {}).items())
                + ".",
                "",
            ]
            if document.get("load_averages")
            else []
        ),
        "| figure | ours | unit | anchor | anchor value | ratio (higher is better) | target | note |",
        "| --- | ---: | --- | --- | ---: | ---: | --- | --- |",
    ]
    for r in document["results"]:
        note = (r.get("note") or "").replace("|", "/")
        lines.append(
            f"| {r['name']} | {_number(r['value'])} | {r['unit']} | {r['anchor']} | {_number(r['anchor_value'])} | "
            f"{_number(r['ratio'])} | {_verdict(r)} | {note} |"
        )
    return "\n".join(lines) + "\n"


def update_readme(table: str, readme: Path = README) -> bool:
    """Put the table between the README's markers; False when the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    head, found, rest = text.partition(START)
    _, found_end, tail = rest.partition(END)
    if not found or not found_end:
        return False
    readme.write_text(f"{head}{START}\n{table}{END}{tail}", encoding="utf-8")
    return True


def main() -> None:
    directory = results_dir()
    document = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_averages": load_averages(directory),
        "results": load_fragments(directory),
    }
    (directory / "latest.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    table = markdown(document)
    (directory / "latest.md").write_text(table, encoding="utf-8")
    print(table)
    print(f"wrote {directory / 'latest.json'} and {directory / 'latest.md'}")
    if directory.resolve() == RESULTS_DIR.resolve() and update_readme(table):
        print(f"updated the table in {README}")


if __name__ == "__main__":
    main()
