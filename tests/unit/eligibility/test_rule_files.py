"""The rule files: they load, carry their sources, are selected by date, and fail loudly (file + line)."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
import yaml

from services.eligibility.domain.facts.metrics import CATALOGUE, SCALAR_METRICS, VECTOR_METRICS
from services.eligibility.domain.roadmaps.catalogues import load_measures, load_targets
from services.eligibility.domain.rulebook import RULES_DIR, default_rule_book, load_rule_book, reference_date
from services.eligibility.domain.rulebook.yaml_marks import RuleFileError, _index, read_marked
from services.eligibility.domain.vocabulary import Tier

EXPECTED_IDS = {
    Tier.INNOVATIVE_SME: ["innovative_sme@2022-06-01"],
    Tier.SRDI_SME: ["srdi_sme@2022-06-01", "srdi_sme@2026-04-01", "srdi_sme@2026-04-01.r2"],
    Tier.LITTLE_GIANT: ["little_giant@2022-06-01", "little_giant@2026-04-01", "little_giant@2026-04-01.r2"],
    Tier.SINGLE_CHAMPION: ["single_champion@2023-08-01", "single_champion@2023-08-01.r2"],
    Tier.SINGLE_CHAMPION_PROVINCIAL: ["single_champion_provincial@2023-08-01"],
}


def test_every_shipped_rule_set_loads_with_its_id() -> None:
    book = default_rule_book()
    assert {t: [r.id for r in v] for t, v in book.rule_sets.items()} == EXPECTED_IDS
    assert [s.id for s in book.size_standards] == ["sme_size@2011-06-18"]


def test_the_fast_parser_reads_every_shipped_file_as_the_pure_python_one_does() -> None:
    """read_marked parses with libyaml: the same data and the same line of every node (indexed by the
    module's own walker over the pure-Python parser's nodes: the parser is what is compared)."""
    files = sorted(RULES_DIR.rglob("*.yaml"))
    assert len(files) >= 10
    for file in files:
        text = file.read_text(encoding="utf-8")
        document = read_marked(file)
        assert document.data == yaml.load(text, Loader=yaml.SafeLoader), file
        expected: dict[tuple[str | int, ...], int] = {}
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        assert node is not None, file
        _index(node, (), expected)
        assert {path: document.line_of(path) for path in expected} == expected, file


def test_every_rule_set_states_source_date_and_conventions() -> None:
    for versions in default_rule_book().rule_sets.values():
        for rule_set in versions:
            rules = rule_set.definition
            assert rules.source.document and rules.conventions.id_date and rules.conventions.band_edges
            suffix = f".r{rules.revision}" if rules.revision > 1 else ""
            assert rules.id.endswith(rules.effective_from.isoformat() + suffix)
            assert (rules.revision > 1) == (rules.revision_note is not None)


def test_project_defaults_say_so_in_their_labels() -> None:
    book = default_rule_book()
    provincial = book.select(Tier.SINGLE_CHAMPION_PROVINCIAL, date(2025, 1, 1)).definition
    assert provincial.status == "project_default" and "PROJECT DEFAULT" in provincial.label.en
    province = book.select(Tier.SRDI_SME, date(2025, 1, 1)).province
    assert province is not None and province.status == "project_default"
    assert "PROJECT DEFAULT" in province.label.en and "项目默认" in province.label.zh
    assert "二（四）" in (province.source.section or "")


def test_both_engines_implement_exactly_the_metric_catalogue() -> None:
    assert set(SCALAR_METRICS) == set(CATALOGUE) == set(VECTOR_METRICS)


@pytest.mark.parametrize(
    ("on", "tier", "expected"),
    [
        (date(2025, 12, 31), Tier.SRDI_SME, "srdi_sme@2022-06-01"),
        (date(2026, 3, 31), Tier.SRDI_SME, "srdi_sme@2022-06-01"),
        (date(2026, 4, 1), Tier.SRDI_SME, "srdi_sme@2026-04-01.r2"),  # the latest revision of the text
        (date(2025, 6, 1), Tier.LITTLE_GIANT, "little_giant@2022-06-01"),
        (date(2026, 4, 1), Tier.LITTLE_GIANT, "little_giant@2026-04-01.r2"),
        (date(2027, 1, 1), Tier.INNOVATIVE_SME, "innovative_sme@2022-06-01"),  # stays on 2022
        (date(2026, 4, 1), Tier.SINGLE_CHAMPION, "single_champion@2023-08-01.r2"),
        (date(2023, 1, 1), Tier.SINGLE_CHAMPION, "single_champion@2023-08-01.r2"),  # before the first text
    ],
)
def test_rule_sets_are_selected_by_date(on: date, tier: Tier, expected: str) -> None:
    assert default_rule_book().select(tier, on).id == expected


def test_a_year_alone_means_its_last_day() -> None:
    assert reference_date(2025) == date(2025, 12, 31)
    book = default_rule_book()
    assert book.select(Tier.SRDI_SME, reference_date(2025)).id == "srdi_sme@2022-06-01"
    assert book.select(Tier.SRDI_SME, reference_date(2026)).id == "srdi_sme@2026-04-01.r2"


def test_measures_and_targets_load() -> None:
    assert load_measures().closing("rd_intensity")[0].code == "raise_rd_spend"
    assert len(load_targets().prefectures) == 16


# --- malformed files: the error names the file and the line ---------------------------------


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target, ignore=shutil.ignore_patterns("__pycache__", "*.py"))
    return target


def _break(path: Path, old: str, new: str) -> int:
    text = path.read_text(encoding="utf-8")
    assert old in text, old
    line = text[: text.index(old)].count("\n") + 1
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return line


@pytest.mark.parametrize(
    ("file", "old", "new", "message"),
    [
        ("innovative_sme@2022-06-01.yaml", "metric: rd_intensity", "metric: rd_intensty", "unknown metric"),
        (
            "innovative_sme@2022-06-01.yaml",
            "at_least: '0.05', points: 20",
            "at_least: 0.05, points: 20",
            "quoted strings",
        ),
        (
            "srdi_sme@2022-06-01.yaml",
            "{band: B, at_least: '0.70', points: 3}",
            "{band: B, at_least: '0.90', points: 3}",
            "best first",
        ),
        (
            "little_giant@2022-06-01.yaml",
            "years: recent_2, combine: mean",
            "years: recent_9, combine: mean",
            "unknown year window",
        ),
    ],
)
def test_a_malformed_rule_file_names_file_and_line(
    rules_copy: Path, file: str, old: str, new: str, message: str
) -> None:
    line = _break(rules_copy / file, old, new)
    with pytest.raises(RuleFileError) as caught:
        load_rule_book(rules_copy)
    assert caught.value.file.name == file
    # The offending line, or (for an error about a whole list, such as band order) the list's key above it.
    assert caught.value.line is not None and line - 3 <= caught.value.line <= line
    assert f"{file}:{caught.value.line}:" in str(caught.value) and message in str(caught.value)


def test_yaml_syntax_errors_name_the_line(rules_copy: Path) -> None:
    line = _break(rules_copy / "srdi_sme@2026-04-01.yaml", "kind: tier\n", "kind: [tier\n")
    with pytest.raises(RuleFileError) as caught:
        load_rule_book(rules_copy)
    assert caught.value.file.name == "srdi_sme@2026-04-01.yaml"
    assert caught.value.line is not None and caught.value.line >= line


def test_an_id_that_does_not_match_the_file_name_is_rejected(rules_copy: Path) -> None:
    line = _break(
        rules_copy / "little_giant@2026-04-01.yaml", "id: little_giant@2026-04-01", "id: little_giant@2026-05-01"
    )
    with pytest.raises(RuleFileError, match=r"little_giant@2026-04-01\.yaml:\d+: id") as caught:
        load_rule_book(rules_copy)
    assert caught.value.line == line


def test_points_that_do_not_add_up_are_rejected(rules_copy: Path) -> None:
    line = _break(
        rules_copy / "innovative_sme@2022-06-01.yaml",
        "{band: A, at_most: '0.55', points: 10}",
        "{band: A, at_most: '0.55', points: 12}",
    )
    with pytest.raises(RuleFileError, match="max_points 10") as caught:
        load_rule_book(rules_copy)
    assert caught.value.line is not None and caught.value.line < line  # the indicator's max_points line


def test_a_broken_province_file_names_the_province_file(rules_copy: Path) -> None:
    province = rules_copy / "province" / "yunnan_distinctiveness@project-default.yaml"
    line = _break(province, "max_points: 5\n", "max_points: 6\n")
    with pytest.raises(RuleFileError) as caught:
        load_rule_book(rules_copy)
    assert caught.value.file.name == province.name and caught.value.line == line


def test_the_province_indicators_are_replaceable(rules_copy: Path) -> None:
    replacement = rules_copy / "province" / "yunnan_official@2027-01-01.yaml"
    text = (rules_copy / "province" / "yunnan_distinctiveness@project-default.yaml").read_text(encoding="utf-8")
    replacement.write_text(
        text.replace("id: yunnan_distinctiveness@project-default", "id: yunnan_official@2027-01-01"), encoding="utf-8"
    )
    _break(
        rules_copy / "srdi_sme@2022-06-01.yaml",
        "province/yunnan_distinctiveness@project-default",
        "province/yunnan_official@2027-01-01",
    )
    book = load_rule_book(rules_copy)
    province = book.select(Tier.SRDI_SME, date(2025, 1, 1)).province
    assert province is not None and province.id == "yunnan_official@2027-01-01"


def test_a_revision_id_must_carry_its_number(tmp_path: Path) -> None:
    rules_copy = tmp_path / "rules"
    shutil.copytree(RULES_DIR, rules_copy)
    _break(rules_copy / "srdi_sme@2026-04-01.r2.yaml", "revision: 2\n", "revision: 3\n")
    with pytest.raises(RuleFileError, match=r"srdi_sme@2026-04-01\.r2\.yaml:\d+: id must be 'srdi_sme@2026-04-01\.r3'"):
        load_rule_book(rules_copy)
