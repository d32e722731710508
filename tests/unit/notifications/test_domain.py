"""The notifications domain without a database: officer choice, rules, templates, quiet hours,
the request life cycle and the coverage arithmetic."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from services.notifications.domain.assignment import OfficerLoad, choose_officer
from services.notifications.domain.coverage import CoverageCount, is_srdi, quarter_bounds, quarter_label
from services.notifications.domain.quiet import next_allowed
from services.notifications.domain.requests import IllegalTransition, transition
from services.notifications.domain.rules import RuleError, default_rules, parse_rules, rules_for
from services.notifications.domain.templates import Templates, default_templates

SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_officers_fill_by_utilisation_then_overflow_to_the_least_utilised() -> None:
    loads = {"a": 0, "b": 0, "c": 0}
    capacity = {"a": 10, "b": 20, "c": 30}
    for _ in range(60):
        chosen = choose_officer([OfficerLoad(o, capacity[o], loads[o]) for o in loads])
        assert chosen is not None
        loads[chosen.officer_id] += 1
    assert loads == {"a": 10, "b": 20, "c": 30}, "balanced relative to capacity"
    chosen = choose_officer([OfficerLoad(o, capacity[o], loads[o]) for o in loads])
    assert chosen is not None and chosen.officer_id == "a", "all full: the least utilised (ties by load) still takes it"
    assert choose_officer([OfficerLoad("a", 5, 0)], exclude="a") is None
    assert choose_officer([]) is None


EVENTS: dict[str, tuple[str, dict[str, object]]] = {
    "tier_eligible": ("srdi.eligibility.tier_changed.v1", {"eligible": True, "previously_eligible": False}),
    "tier_lost": ("srdi.eligibility.tier_changed.v1", {"eligible": False, "previously_eligible": True}),
    "finance_need_overdue": ("srdi.finance.need.overdue.v1", {}),
    "finance_bank_paired": ("srdi.finance.pairing.assigned.v1", {}),
    "finance_need_matched": ("srdi.finance.need.matched.v1", {}),
    "seed_bank_included": ("srdi.eligibility.seed_bank.included.v1", {"kind": "seed_bank"}),
    "recognition_expiring": ("srdi.notifications.recognition.expiring", {}),
    "seed_bank_filing_reminder": ("srdi.notifications.filing.reminder", {}),
    "request_submitted": ("srdi.notifications.request.submitted", {}),
    "request_escalated": ("srdi.notifications.request.escalated.v1", {}),
}


@pytest.mark.parametrize("rule_id", sorted(EVENTS))
def test_each_rule_matches_its_event_only(rule_id: str) -> None:
    event_type, data = EVENTS[rule_id]
    assert [r.id for r in rules_for(event_type, data)] == [rule_id]


def test_the_rules_file_covers_every_rule_and_its_recipients() -> None:
    rules = {r.id: r for r in default_rules()}
    assert set(rules) == set(EVENTS)
    assert rules["tier_eligible"].recipients == ("officer", "enterprise")
    assert rules["finance_need_overdue"].recipients == ("officer", "prefecture_operator")
    assert rules["seed_bank_included"].recipients == ("officer",)
    assert rules["recognition_expiring"].recipients == ("officer", "enterprise")
    assert rules["seed_bank_filing_reminder"].critical and rules["request_escalated"].critical
    # A first assessment that is not eligible is no news.
    assert rules_for("srdi.eligibility.tier_changed.v1", {"eligible": False, "previously_eligible": None}) == []


def test_malformed_rules_are_refused() -> None:
    with pytest.raises(RuleError, match="recipients"):
        parse_rules({"rules": [{"id": "x", "event": "e", "recipients": ["bank"], "channels": ["inbox"]}]})
    with pytest.raises(RuleError, match="inbox"):
        parse_rules({"rules": [{"id": "x", "event": "e", "recipients": ["officer"], "channels": ["email"]}]})
    with pytest.raises(RuleError, match="template"):
        parse_rules({"rules": [{"id": "x", "event": "e", "recipients": ["officer"], "channels": ["inbox"]}]}, set())


CONTEXT = {
    "enterprise_name": "云南锗业", "uscc": "91530102000000001X", "tier": "little_giant", "rule_set": "lg@2022",
    "need_id": "n-1", "bank_id": "bank-ynrcc", "kind": "target_list", "year": 2027, "rank": 2, "valid_to": "2027-03-31",
    "days_left": 70, "filing_date": "2027-01-31", "working_days_left": 8, "category": "financing",
    "description": "设备贷款", "deadline": "2026-12-09", "request_id": "r-1", "officer_id": "officer-001",
    "count": 120, "shown": 10, "sample": "甲、乙", "rule_id": "tier_eligible", "category_zh": "梯度评估",
    "window_start": "2026-12-02 11:00",
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(default_templates().names))
def test_every_template_renders_in_chinese_and_english(name: str) -> None:
    rendered = default_templates().render(name, CONTEXT)
    for text in (rendered.title, rendered.title_zh, rendered.body, rendered.body_zh):
        assert text and "{{" not in text
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rendered.title_zh + rendered.body_zh)
    assert not any("\u4e00" <= ch <= "\u9fff" for ch in rendered.title.replace("云南锗业", "").replace("甲、乙", ""))


def test_templates_name_tiers_in_each_language_and_escape_what_they_insert() -> None:
    rendered = default_templates().render("tier_eligible", CONTEXT | {"enterprise_name": '<img src=x onerror="1">'})
    assert "专精特新“小巨人”企业" in rendered.title_zh and "little giant" in rendered.title
    assert "<img" not in rendered.title and "&lt;img src=x onerror=&#34;1&#34;&gt;" in rendered.title
    with pytest.raises(ValueError, match="needs title and body in en"):
        Templates({"broken": {"zh": {"title": "t", "body": "b"}}})


def test_quiet_hours_follow_the_working_day_calendar() -> None:
    def at(year: int, month: int, day: int, hour: int, minute: int) -> datetime:
        return datetime(year, month, day, hour, minute, tzinfo=SHANGHAI)

    assert next_allowed(at(2026, 12, 2, 10, 30), SHANGHAI) == at(2026, 12, 2, 10, 30), "working hours: now"
    assert next_allowed(at(2026, 12, 2, 7, 0), SHANGHAI) == at(2026, 12, 2, 9, 0), "early: this morning"
    assert next_allowed(at(2026, 12, 4, 19, 0), SHANGHAI) == at(2026, 12, 7, 9, 0), "Friday night: Monday"
    assert next_allowed(at(2026, 10, 1, 10, 0), SHANGHAI) == at(2026, 10, 8, 9, 0), "National Day: after it"
    assert next_allowed(at(2026, 10, 9, 20, 0), SHANGHAI) == at(2026, 10, 10, 9, 0), "make-up Saturday counts"
    utc = datetime(2026, 12, 4, 11, 0, tzinfo=UTC)  # 19:00 in Kunming
    assert next_allowed(utc, SHANGHAI) == datetime(2026, 12, 7, 1, 0, tzinfo=UTC)


def test_a_request_moves_only_forward_one_step_at_a_time() -> None:
    assert transition("submitted", "accept") == "accepted"
    assert transition("accepted", "resolve") == "resolved"
    assert transition("resolved", "close") == "closed"
    for status, action in (("submitted", "resolve"), ("submitted", "close"), ("closed", "accept"), ("accepted", "x")):
        with pytest.raises(IllegalTransition):
            transition(status, action)


def test_coverage_arithmetic_and_quarters() -> None:
    assert quarter_label(date(2026, 12, 2)) == "2026Q4"
    assert quarter_bounds("2026Q4") == (date(2026, 10, 1), date(2026, 12, 31))
    assert quarter_bounds("2027Q1") == (date(2027, 1, 1), date(2027, 3, 31))
    count = CoverageCount(srdi_enterprises=6, with_officer=6, served_last_quarter=5)
    assert count.as_dict()["coverage"] == "0.8333" and count.as_dict()["meets_target"] is True
    assert CoverageCount().as_dict()["coverage"] == "0.0000"
    today = date(2026, 12, 2)
    assert is_srdi([{"tier": "little_giant", "valid_to": "2027-01-01"}], today)
    assert not is_srdi([{"tier": "innovative_sme", "valid_to": "2029-01-01"}], today)
    assert not is_srdi([{"tier": "srdi_sme", "valid_to": "2026-11-30"}], today)
