"""The results contract and the report that merges fragments (no benchmark runs here)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import report
from bench.results import Result, ratio_of, write_fragment


def test_ratio_is_ours_over_anchor_where_higher_is_better_and_inverted_for_times() -> None:
    assert ratio_of(300.0, 600.0, higher_is_better=True) == 0.5  # half the anchor's events/s
    assert ratio_of(2.0, 1.0, higher_is_better=False) == 0.5  # twice the anchor's seconds
    assert ratio_of(1.0, 0.0, higher_is_better=True) is None


def test_a_figure_not_measured_carries_no_number_and_says_why() -> None:
    result = Result.not_available("5 end to end", "ms", "none", "notifications inbox not merged", target="≤ 1 s")
    assert (result.value, result.anchor_value, result.ratio, result.met) == (None, None, None, None)
    assert result.note == "not available: notifications inbox not merged"


def test_report_orders_figures_and_renders_a_row_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SRDI_BENCH_RESULTS", str(tmp_path))
    write_fragment("zz_new_bench", [Result.measured("9 new", 5.0, "ops/s", "baseline", 10.0, higher_is_better=True)])
    write_fragment("end_to_end", [Result.not_available("5 e2e p99", "ms", "none", "not merged", target="≤ 1 s")])
    write_fragment("eligibility_reassess", [
        Result.measured("1 vectorised", 1.2, "s", "loop", 5000.0, higher_is_better=False, target="≤ 1 s", met=False)
    ])  # fmt: skip
    results = report.load_fragments(tmp_path)
    assert [r["bench"] for r in results] == ["eligibility_reassess", "end_to_end", "zz_new_bench"]
    machine = {"cores": 2, "memory_gib": 24.0, "os": "Linux", "python": "3.11.7", "kafka": "Apache Kafka 3.9.1",
               "postgresql": "PostgreSQL 15", "load_average_1_5_15": [1, 1, 1], "shared": "shared"}  # fmt: skip
    table = report.markdown({"date": "2026-12-02T15:00:00+00:00", "machine": machine, "results": results})
    rows = [line for line in table.splitlines() if line.startswith("| ") and "---" not in line][1:]
    assert len(rows) == 3
    assert "**MISSED** (≤ 1 s)" in rows[0]
    assert "**not measured**" in rows[1] and "not available: not merged" in rows[1]
    assert "| 0.5 |" in rows[2]  # the ratio


def test_a_fragment_outside_the_contract_is_refused(tmp_path: Path) -> None:
    (tmp_path / "broken.json").write_text(json.dumps({"results": [{"name": "x", "value": 1}]}), encoding="utf-8")
    with pytest.raises(ValueError, match="lacks unit, anchor, anchor_value, ratio"):
        report.load_fragments(tmp_path)


def test_the_reports_own_outputs_are_not_read_as_fragments(tmp_path: Path) -> None:
    (tmp_path / "latest.json").write_text(json.dumps({"results": [{"bench": "old"}]}), encoding="utf-8")
    assert report.load_fragments(tmp_path) == []


def test_the_readme_table_is_replaced_between_its_markers_only(tmp_path: Path) -> None:
    readme = tmp_path / "README.md"
    readme.write_text(f"# title\n\n{report.START}\nold table\n{report.END}\n\n## next\n", encoding="utf-8")
    assert report.update_readme("| new | table |\n", readme)
    assert readme.read_text(encoding="utf-8") == (
        f"# title\n\n{report.START}\n| new | table |\n{report.END}\n\n## next\n"
    )
    readme.write_text("# no markers\n", encoding="utf-8")
    assert not report.update_readme("| new |\n", readme)
    assert readme.read_text(encoding="utf-8") == "# no markers\n"
