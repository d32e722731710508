"""Message templates in Chinese and English (Jinja2, autoescaped), from ``data/templates.yaml``."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jinja2 import Environment, StrictUndefined

TEMPLATES_FILE = Path(__file__).resolve().parent.parent / "data" / "templates.yaml"
LANGUAGES = ("zh", "en")

TIER_NAMES = {
    "innovative_sme": ("创新型中小企业", "innovative SME"),
    "srdi_sme": ("专精特新中小企业", "SRDI SME"),
    "little_giant": ("专精特新“小巨人”企业", "SRDI 'little giant'"),
    "single_champion": ("制造业单项冠军企业", "manufacturing single champion"),
}


@dataclass(frozen=True)
class Rendered:
    title: str
    title_zh: str
    body: str
    body_zh: str


class Templates:
    def __init__(self, raw: dict[str, Any]) -> None:
        # Autoescaped: values from events (enterprise names, free text) can never inject markup.
        self._env = Environment(autoescape=True, undefined=StrictUndefined, keep_trailing_newline=False)
        self._compiled: dict[tuple[str, str, str], Any] = {}
        for name, languages in raw.items():
            for language in LANGUAGES:
                parts = (languages or {}).get(language)
                if not parts or "title" not in parts or "body" not in parts:
                    raise ValueError(f"template {name}: needs title and body in {language}")
                for part in ("title", "body"):
                    self._compiled[(name, language, part)] = self._env.from_string(parts[part])
        self.names = frozenset(raw)

    def render(self, name: str, context: dict[str, Any]) -> Rendered:
        tier = context.get("tier")
        zh_tier, en_tier = TIER_NAMES.get(tier, (tier, tier)) if isinstance(tier, str) else ("", "")
        out: dict[str, str] = {}
        for language in LANGUAGES:
            values = context | {"tier_name": zh_tier if language == "zh" else en_tier}
            for part in ("title", "body"):
                out[f"{part}_{language}"] = self._compiled[(name, language, part)].render(values).strip()
        return Rendered(out["title_en"], out["title_zh"], out["body_en"], out["body_zh"])


@functools.cache
def default_templates() -> Templates:
    return Templates(yaml.safe_load(TEMPLATES_FILE.read_text(encoding="utf-8")))
