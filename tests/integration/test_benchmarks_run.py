"""Every benchmark runs once at a tiny size — as ``make bench`` runs it, each its own process — and
writes a fragment in the results contract; the report merges them. Nothing here asserts a time:
speed is measured in ``make bench``, this only keeps the benchmarks from rotting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.results import REQUIRED_KEYS

TINY = {
    "eligibility_reassess": ["bench.eligibility_reassess", "--size", "300", "--sample", "20", "--repeat", "1",
                             "--bandwidth-mib", "4"],
    "event_pipeline": ["bench.event_pipeline", "--events", "40", "--latency-seconds", "0.5", "--replicas", "1",
                       "--profile", ""],
    "gateway_proxy": ["bench.gateway_proxy", "--seconds", "1", "--connections", "2", "--enterprises", "3",
                      "--profile-seconds", "0", "--rounds", "1"],
    "registry_import": ["bench.registry_import", "--enterprises", "5"],
    "end_to_end": ["bench.end_to_end", "--enterprises", "3", "--rate", "5", "--replicas", "1"],
    "finance_match": ["bench.finance_match", "--needs", "50", "--products", "30", "--sample", "10"],
    "seed_bank": ["bench.seed_bank", "--pool", "300", "--sample", "20", "--repeat", "1"],
    "eligibility_batch": ["bench.eligibility_batch", "--events", "40", "--explain-sample", "3"],
}  # fmt: skip
# event_pipeline also writes the scale-out figure (7)
FRAGMENTS = [*TINY, "scale_out"]


@pytest.fixture(scope="module")
def results(kafka_bootstrap: str, postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("bench-results")
    env = os.environ | {"SRDI_BENCH_RESULTS": str(directory), "SRDI_KAFKA_BOOTSTRAP": kafka_bootstrap,
                        "SRDI_DATABASE_URL": postgres_url}  # fmt: skip
    # All at once: they mostly wait on process start-up, group joins and I/O.
    running = {
        name: subprocess.Popen(
            [sys.executable, "-m", *command], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        for name, command in TINY.items()
    }
    failures = []
    for name, process in running.items():
        output, _ = process.communicate(timeout=300)
        if process.returncode != 0:
            failures.append(f"{name} exited {process.returncode}:\n{output[-3000:]}")
    assert not failures, "\n\n".join(failures)
    subprocess.run([sys.executable, "-m", "bench.report"], env=env, check=True, capture_output=True, timeout=120)
    return directory


def test_each_benchmark_writes_its_fragment_in_the_contract(results: Path) -> None:
    for name in FRAGMENTS:
        document = json.loads((results / f"{name}.json").read_text(encoding="utf-8"))
        assert document["results"], f"{name} wrote no result"
        for entry in document["results"]:
            assert set(REQUIRED_KEYS) <= set(entry), f"{name}: {entry}"
            assert entry["name"] and entry["unit"] and entry["anchor"]
            if entry["value"] is None:  # not measured: it must say why, and claim no ratio
                assert entry["ratio"] is None and entry["note"].startswith("not available: ")
                continue
            assert entry["value"] > 0 and entry["anchor_value"] > 0, entry
            # ratio = ours ÷ anchor where higher is better, else anchor ÷ ours: one of the two, rounded
            candidates = (entry["value"] / entry["anchor_value"], entry["anchor_value"] / entry["value"])
            assert min(abs(entry["ratio"] - c) for c in candidates) < 1e-3, entry


def test_directions_are_right_for_times_and_rates(results: Path) -> None:
    entries = {e["name"]: e for name in FRAGMENTS
               for e in json.loads((results / f"{name}.json").read_text(encoding="utf-8"))["results"]}  # fmt: skip
    for entry in entries.values():
        if entry["value"] is None:
            continue
        lower_is_better = entry["unit"] in ("s", "ms", "MiB")
        expected = entry["anchor_value"] / entry["value"] if lower_is_better else entry["value"] / entry["anchor_value"]
        assert entry["ratio"] == pytest.approx(expected, abs=1e-3), entry["name"]
    assert entries["7 scale-out: 1 consumer replica(s)"]["ratio"] == 1.0  # the anchor is itself


def test_report_merges_every_fragment_with_the_machine(results: Path) -> None:
    latest = json.loads((results / "latest.json").read_text(encoding="utf-8"))
    machine = latest["machine"]
    assert machine["cores"] == os.cpu_count()
    assert machine["memory_gib"] > 0
    assert machine["python"].count(".") == 2
    assert machine["kafka"].startswith("Apache Kafka ")
    assert machine["postgresql"].startswith("PostgreSQL ")
    assert latest["date"].startswith("20")
    benches = [entry["bench"] for entry in latest["results"]]
    assert set(benches) == set(FRAGMENTS)
    # figure order: re-assessment first, the not-measured end-to-end figures after the measured ones
    assert benches[0] == "eligibility_reassess"
    table = (results / "latest.md").read_text(encoding="utf-8")
    for entry in latest["results"]:
        assert f"| {entry['name']} |" in table
