"""Notification rules as data: which event notifies whom, on which channels, with which template.

The rules live in ``data/rules.yaml``; this module reads and validates them and matches an event
against them. No framework, no database: recipients are named by kind (``officer``,
``enterprise``, ``prefecture_operator``, ``provincial_operator``) and resolved by the caller.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

RULES_FILE = Path(__file__).resolve().parent.parent / "data" / "rules.yaml"
RECIPIENT_KINDS = frozenset({"officer", "enterprise", "prefecture_operator", "provincial_operator"})
CHANNELS = ("inbox", "email", "sms", "webhook")


@dataclass(frozen=True)
class Rule:
    id: str
    event: str
    category: str
    recipients: tuple[str, ...]
    channels: tuple[str, ...]
    template: str
    when: tuple[tuple[str, Any], ...] = ()
    critical: bool = False  # cannot be muted, ignores quiet hours
    digest: bool = False  # bursts of it become one digest per recipient per window

    def matches(self, event_type: str, data: dict[str, Any]) -> bool:
        return event_type == self.event and all(data.get(key) == value for key, value in self.when)


class RuleError(ValueError):
    pass


def parse_rules(raw: dict[str, Any], templates: set[str] | None = None) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    seen: set[str] = set()
    for entry in raw.get("rules") or []:
        rule_id = entry.get("id")
        if not rule_id or rule_id in seen:
            raise RuleError(f"rule without id or duplicate id: {rule_id!r}")
        seen.add(rule_id)
        recipients = tuple(entry.get("recipients") or ())
        channels = tuple(entry.get("channels") or ())
        if not recipients or set(recipients) - RECIPIENT_KINDS:
            raise RuleError(f"rule {rule_id}: recipients must be among {sorted(RECIPIENT_KINDS)}")
        if "inbox" not in channels or set(channels) - set(CHANNELS):
            raise RuleError(f"rule {rule_id}: channels must include inbox and be among {CHANNELS}")
        template = entry.get("template") or rule_id
        if templates is not None and template not in templates:
            raise RuleError(f"rule {rule_id}: unknown template {template!r}")
        rules.append(
            Rule(
                id=rule_id, event=entry["event"], category=entry.get("category", "general"),
                recipients=recipients, channels=channels, template=template,
                when=tuple(sorted((entry.get("when") or {}).items())),
                critical=bool(entry.get("critical", False)), digest=bool(entry.get("digest", False)),
            )
        )  # fmt: skip
    return tuple(rules)


@functools.cache
def default_rules() -> tuple[Rule, ...]:
    from services.notifications.domain.templates import default_templates

    return parse_rules(yaml.safe_load(RULES_FILE.read_text(encoding="utf-8")), set(default_templates().names))


def rules_for(event_type: str, data: dict[str, Any], rules: tuple[Rule, ...] | None = None) -> list[Rule]:
    return [rule for rule in (rules if rules is not None else default_rules()) if rule.matches(event_type, data)]


def handled_event_types(rules: tuple[Rule, ...] | None = None) -> set[str]:
    return {rule.event for rule in (rules if rules is not None else default_rules())}
