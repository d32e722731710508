"""Gaps: what keeps a tier out of reach and by how much, in the enterprise's own numbers.

"研发投入强度 2.4% < 3%：按上年营业收入计，还需增加研发费用 51.6万元" — each ratio has a *lever* (the
amount the enterprise can move: R&D expense for R&D intensity, liabilities for the debt ratio …) and the
shortfall is computed on that lever with the other figures held at their reported values. Shortfalls
in money are rounded up to the whole yuan; in people, up to the whole person.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction

from services.eligibility.domain.engine import display
from services.eligibility.domain.engine.evaluation import Env, Outcome, Reading, comparable_threshold, leaf_label
from services.eligibility.domain.engine.results import Gap
from services.eligibility.domain.engine.scoring import Scored, band_index
from services.eligibility.domain.facts.metrics import CATALOGUE, measure
from services.eligibility.domain.rulebook.ruleset import (
    AllOf,
    AnyOf,
    BandTable,
    BestOfIndicator,
    ByCase,
    ChoiceCondition,
    CompareCondition,
    FlagCondition,
    LadderIndicator,
    PerFullStepIndicator,
    PointsPerItemIndicator,
)
from services.eligibility.domain.text import Text, ceil_yuan, number, to_decimal, yuan_en, yuan_zh
from services.eligibility.domain.vocabulary import Status

SHORT_LABELS: dict[str, Text] = {
    "rd_intensity": Text("研发投入强度", "R&D intensity"),
    "main_business_share": Text("主营业务收入占比", "main business share"),
    "debt_ratio": Text("资产负债率", "debt ratio"),
    "net_profit_margin": Text("净利润率", "net profit margin"),
    "rd_staff_ratio": Text("研发人员占比", "R&D staff share"),
    "main_business_growth": Text("主营业务收入增长率", "main business revenue growth"),
    "operating_revenue_cagr_2y": Text("营业收入复合增长率", "compound revenue growth"),
}


@dataclass(frozen=True, slots=True)
class Shortfall:
    detail: Text
    needed: str
    amount: Fraction | None
    unit: str


def short_label(metric: str) -> Text:
    return SHORT_LABELS.get(metric, CATALOGUE[metric].label)


def _amount(env: Env, metric: str, offset: int) -> Fraction | None:
    value = measure(env.facts, env.ctx, metric, offset, None).value
    return value if isinstance(value, Fraction) else None


def _basis(offset: int, env: Env, zh_noun: str, en_noun: str) -> Text:
    if offset == 1:
        return Text(f"按上年{zh_noun}计", f"at last year's {en_noun}")
    year = env.ctx.assessment_year - offset
    return Text(f"按{year}年{zh_noun}计", f"at {year} {en_noun}")


def _money_short(amount: Fraction) -> tuple[Fraction, str, str]:
    rounded = Fraction(ceil_yuan(amount))
    return rounded, yuan_zh(rounded), yuan_en(rounded)


def _numerator_lever(
    lever: str, base: str, zh_noun: str, en_noun: str, zh_what: str, en_what: str
) -> Callable[[Env, int, Fraction], Shortfall | None]:
    """ratio = lever ÷ base; raise the lever, base held: needed = target × base − lever."""

    def shortfall(env: Env, offset: int, target: Fraction) -> Shortfall | None:
        top, bottom = _amount(env, lever, offset), _amount(env, base, offset)
        if top is None or bottom is None:
            return None
        amount, zh, en = _money_short(target * bottom - top)
        basis = _basis(offset, env, zh_noun, en_noun)
        detail = Text(f"{basis.zh}，还需增加{zh_what} {zh}", f"{basis.en}, {en} more {en_what}")
        return Shortfall(detail, f"{lever} +{amount} yuan", amount, "yuan")

    return shortfall


def _debt(env: Env, offset: int, target: Fraction) -> Shortfall | None:
    liabilities, assets = _amount(env, "total_liabilities", offset), _amount(env, "total_assets", offset)
    if liabilities is None or assets is None:
        return None
    amount, zh, en = _money_short(liabilities - target * assets)
    basis = _basis(offset, env, "末资产总额", "year-end assets")
    detail = Text(f"{basis.zh}，需减少负债 {zh}", f"{basis.en}, {en} less liabilities")
    return Shortfall(detail, f"total_liabilities -{amount} yuan", amount, "yuan")


def _rd_staff(env: Env, offset: int, target: Fraction) -> Shortfall | None:
    staff, employees = _amount(env, "rd_staff", offset), _amount(env, "employees", offset)
    if staff is None or employees is None or target >= 1:
        return None
    # New R&D hires count in both: (r + h) / (e + h) >= t  <=>  h >= (t·e − r) / (1 − t).
    hires = max(0, math.ceil((target * employees - staff) / (1 - target)))
    detail = Text(
        f"按现有职工人数计，还需新招研发人员{hires}名", f"at the current headcount, {hires} more R&D staff to hire"
    )
    return Shortfall(detail, f"rd_staff +{hires} persons", Fraction(hires), "persons")


def _growth_target(env: Env, needed: Fraction, offset: int) -> Shortfall | None:
    current = _amount(env, "main_business_revenue", offset)
    if current is None:
        return None
    amount, zh, en = _money_short(needed - current)
    year = env.ctx.assessment_year - offset
    _, need_zh, need_en = _money_short(needed)
    detail = Text(
        f"{year}年主营业务收入需达到{need_zh}，还差{zh}",
        f"{year} main business revenue would need to be {need_en}, {en} more",
    )
    return Shortfall(detail, f"main_business_revenue +{amount} yuan", amount, "yuan")


def _growth(env: Env, offset: int, target: Fraction) -> Shortfall | None:
    base = _amount(env, "main_business_revenue", offset + 1)
    return None if base is None or base <= 0 else _growth_target(env, base * (1 + target), offset)


def _growth_mean(env: Env, target: Fraction) -> Shortfall | None:
    # ((R1-R2)/R2 + g2)/2 >= t  <=>  R1 >= R2·(1 + 2t − g2), with g2 the growth of the year before.
    r2 = _amount(env, "main_business_revenue", 2)
    g2 = measure(env.facts, env.ctx, "main_business_growth", 2, None).value
    if r2 is None or r2 <= 0 or not isinstance(g2, Fraction):
        return None
    return _growth_target(env, r2 * (1 + 2 * target - g2), 1)


def _cagr(env: Env, factor: Fraction) -> Shortfall | None:
    base, last = _amount(env, "operating_revenue", 3), _amount(env, "operating_revenue", 1)
    if base is None or last is None:
        return None
    amount, zh, en = _money_short(base * factor - last)
    detail = Text(f"上年营业收入还需增加{zh}", f"{en} more operating revenue last year")
    return Shortfall(detail, f"operating_revenue +{amount} yuan", amount, "yuan")


YEAR_LEVERS: dict[str, Callable[[Env, int, Fraction], Shortfall | None]] = {
    "rd_intensity": _numerator_lever("rd_expense", "operating_revenue", "营业收入", "revenue", "研发费用", "R&D"),
    "main_business_share": _numerator_lever(
        "main_business_revenue", "operating_revenue", "营业收入", "revenue", "主营业务收入", "main business revenue"
    ),
    "net_profit_margin": _numerator_lever(
        "net_profit", "operating_revenue", "营业收入", "revenue", "净利润", "net profit"
    ),
    "debt_ratio": _debt,
    "rd_staff_ratio": _rd_staff,
    "main_business_growth": _growth,
}


def _plain_shortfall(
    metric: str, value: Fraction, target: Fraction, at_least: bool, combine: str | None, count: int
) -> Shortfall:
    unit = CATALOGUE[metric].unit
    difference = (target - value) if at_least else (value - target)
    if combine == "mean":
        difference *= count  # the total over the years must grow by n × the average's shortfall
    if unit == "money":
        amount, zh, en = _money_short(difference)
        scope = Text("合计", " in total") if combine in ("sum", "mean") else Text("", "")
        return Shortfall(
            Text(f"{scope.zh}还需增加{zh}", f"{en} more{scope.en}"), f"{metric} +{amount} yuan", amount, "yuan"
        )
    if unit == "ratio":
        points = difference * 100
        shown = number(points)
        return Shortfall(
            Text(f"还差{shown}个百分点", f"{shown} percentage points short"),
            f"{metric} +{shown} pp",
            points,
            "percentage_points",
        )
    if unit == "rank":
        return Shortfall(
            Text(f"排名需进入前{number(target)}位", f"rank must reach the top {target}"),
            f"{metric} <= {target}",
            difference,
            "ranks",
        )
    needed = math.ceil(difference) if unit in ("count", "years") else difference
    shown = number(needed)
    words = {
        "years": Text(f"还需{shown}年", f"{shown} more years"),
        "score": Text(f"还差{shown}分", f"{shown} points short"),
    }
    text = words.get(unit, Text(f"还需{shown}", f"{shown} more"))
    return Shortfall(text, f"{metric} +{shown}", Fraction(needed), unit)


def compare_shortfall(
    metric: str, reading: Reading, target: Fraction, at_least: bool, env: Env
) -> list[tuple[Text, Shortfall]]:
    """(value text, shortfall) for each failing year (min/max) or for the combined value."""
    spec = CATALOGUE[metric]
    edge = comparable_threshold(metric, target)
    if spec.unit == "growth_factor":
        found = _cagr(env, edge)
        return [(display.value_text(metric, reading.combined.value, target), found)] if found else []
    if metric == "main_business_growth" and reading.combine == "mean":
        found = _growth_mean(env, target)
        return [(display.value_text(metric, reading.combined.value, target), found)] if found else []
    pairs = list(zip(reading.offsets, reading.per_year, strict=True))
    if reading.combine not in ("min", "max"):
        pairs = [(reading.offsets[0], reading.combined)] if reading.combine is None else []
    found_all: list[tuple[Text, Shortfall]] = []
    for offset, value in pairs:
        if not isinstance(value.value, Fraction):
            continue
        failing = value.value < edge if at_least else value.value > edge
        lever = YEAR_LEVERS.get(metric)
        found = lever(env, offset, target) if lever and failing else None
        if failing and found is None:
            found = _plain_shortfall(metric, value.value, target, at_least, None, 1)
        if found is not None:
            year = env.ctx.assessment_year - offset
            prefix = f"{year}年 " if reading.combine in ("min", "max") else ""
            shown = display.value_text(metric, value.value, target)
            found_all.append((Text(prefix + shown.zh, (f"{year}: " if prefix else "") + shown.en), found))
    if not pairs and isinstance(reading.combined.value, Fraction):
        found = _plain_shortfall(
            metric, reading.combined.value, target, at_least, reading.combine, len(reading.offsets)
        )
        found_all.append((display.value_text(metric, reading.combined.value, target), found))
    return found_all


def _years_of_data(reading: Reading) -> int:
    spec = CATALOGUE[reading.metric]
    if spec.unit in ("years",):
        return 0
    if not spec.per_year:
        return 0
    return len(reading.offsets) if reading.combine in ("min", "sum", "mean") else 1


def compare_gaps(
    code: str,
    node: CompareCondition | BandTable,
    reading: Reading,
    target: Fraction,
    at_least: bool,
    env: Env,
    points_gain: int | None = None,
) -> list[Gap]:
    missing = (
        [v for v in reading.per_year if not v.known]
        if reading.combine in ("min", "max")
        else ([] if reading.combined.known else [reading.combined])
    )
    if missing:
        return [missing_gap(code, node.metric, missing[0].missing)]
    label = short_label(node.metric)
    op = "<" if at_least else ">"
    wanted = display.quantity_text(
        "ratio" if CATALOGUE[node.metric].unit == "growth_factor" else CATALOGUE[node.metric].unit, target
    )
    scope = {"sum": Text("（合计）", " (total)"), "mean": Text("（平均）", " (average)")}.get(
        reading.combine or "", Text("", "")
    )
    label = label + scope
    gaps = []
    gain = Text(f"（可+{points_gain}分）", f" (+{points_gain} points)") if points_gain else Text("", "")
    for shown, found in compare_shortfall(node.metric, reading, target, at_least, env):
        message = Text(
            f"{label.zh} {shown.zh} {op} {wanted.zh}：{found.detail.zh}{gain.zh}",
            f"{label.en} {shown.en} {op} {wanted.en}: {found.detail.en}{gain.en}",
        )
        amount = to_decimal(found.amount, 2) if found.amount is not None else None
        gaps.append(
            Gap(code, message, found.needed, node.metric, amount, found.unit, points_gain, _years_of_data(reading))
        )
    return gaps


def missing_gap(code: str, metric: str, reason: Text | None) -> Gap:
    text = reason or Text("未提供", "not supplied")
    message = Text(f"{text.zh}：请补充后再评估", f"{text.en}: supply it to be assessed")
    return Gap(code, message, f"supply {metric}", metric, missing_fact=True)


def condition_gaps(
    code: str, outcome: Outcome, env: Env, points_gain: int | None = None, label: Text | None = None
) -> list[Gap]:
    """Gaps for a condition that is not met (or undetermined); [] when it is met. `label` names a
    top-level condition in its own words (used when the condition is a single flag)."""
    if outcome.status is Status.MET:
        return []
    node = outcome.node
    if isinstance(node, CompareCondition):
        assert outcome.reading is not None
        return compare_gaps(
            code, node, outcome.reading, Fraction(node.threshold), node.at_least is not None, env, points_gain
        )
    if isinstance(node, FlagCondition | ChoiceCondition):
        return [_flag_gap(code, node, outcome, points_gain, label)]
    if isinstance(node, AllOf):
        return [g for i, c in enumerate(outcome.children) for g in condition_gaps(_sub(code, c, i), c, env)]
    if isinstance(node, AnyOf):
        # The first alternative is the text's main route; the others are listed in the explanation.
        first = outcome.children[0]
        return condition_gaps(_sub(code, first, 0), first, env, points_gain)
    assert isinstance(node, ByCase)
    decisive = outcome.chosen or next(c for c in outcome.children if c.status is Status.UNDETERMINED)
    return condition_gaps(code, decisive, env, points_gain, label)


def _sub(code: str, child: Outcome, index: int) -> str:
    return child.node.code or f"{code}.{getattr(child.node, 'metric', index + 1)}"


def _flag_gap(
    code: str, node: FlagCondition | ChoiceCondition, outcome: Outcome, gain: int | None, top_label: Text | None
) -> Gap:
    assert outcome.reading is not None
    if not outcome.reading.combined.known:
        return missing_gap(code, node.metric, outcome.reading.combined.missing)
    label = top_label or leaf_label(node)
    extra = Text(f"（可+{gain}分）", f" (+{gain} points)") if gain else Text("", "")
    if isinstance(node, FlagCondition):
        want = Text("需要", "needs") if node.expect else Text("需要消除", "must clear")
        message = Text(f"{want.zh}：{label.zh}{extra.zh}", f"{want.en}: {label.en}{extra.en}")
        return Gap(code, message, f"{node.metric}: {str(node.expect).lower()}", node.metric, points_gain=gain)
    values = "/".join(str(v) for v in node.values)
    names = Text(
        "、".join(display.choice_text(v).zh for v in node.values),
        "/".join(display.choice_text(v).en for v in node.values),
    )
    message = Text(f"需要：{label.zh}（{names.zh}）{extra.zh}", f"needs: {label.en} ({names.en}){extra.en}")
    return Gap(code, message, f"{node.metric} in [{values}]", node.metric, points_gain=gain)


# --- score improvements ----------------------------------------------------------------------


def indicator_gaps(scored: Scored, env: Env) -> list[Gap]:
    """How to reach the next band of an indicator that is below its maximum, and what it would add."""
    rule, points = scored.rule, scored.result.points
    if points >= rule.max_points:
        return []
    if isinstance(rule, BestOfIndicator):
        return [
            g
            for option, reading in zip(rule.options, scored.readings, strict=True)
            for g in _table_gaps(rule.code, option, reading, points, env)
        ]
    if isinstance(rule, BandTable):
        return _table_gaps(rule.code, rule, scored.readings[0], points, env)
    if isinstance(rule, PerFullStepIndicator):
        return _step_gaps(rule, scored, env)
    if isinstance(rule, LadderIndicator):
        return _ladder_gaps(rule, scored, env)
    assert isinstance(rule, PointsPerItemIndicator)
    room = rule.max_points - points
    return [
        g
        for item, outcome in zip(rule.items, scored.steps, strict=True)
        for g in condition_gaps(rule.code, outcome, env, min(item.points, room))
    ]


def _table_gaps(code: str, table: BandTable, reading: Reading, points: int, env: Env) -> list[Gap]:
    if not reading.combined.known:
        return [missing_gap(code, table.metric, reading.combined.missing)]
    assert isinstance(reading.combined.value, Fraction)
    index = band_index(table, reading.combined.value)
    if index == 0:
        return []
    better = table.bands[index - 1]
    gain = better.points - points
    edge = better.at_least if better.at_least is not None else better.at_most
    if gain <= 0 or edge is None:
        return []
    return compare_gaps(code, table, reading, Fraction(edge), table.better == "higher", env, gain)


def _step_gaps(rule: PerFullStepIndicator, scored: Scored, env: Env) -> list[Gap]:
    reading = scored.readings[0]
    if not isinstance(reading.combined.value, Fraction):
        return [missing_gap(rule.code, rule.metric, reading.combined.missing)]
    value = reading.combined.value
    following = (max(0, math.floor(value / rule.step)) + 1) * rule.step
    years = math.ceil(following - value)
    message = Text(
        f"{CATALOGUE[rule.metric].label.zh}再满{years}年可+{rule.points_per_step}分",
        f"{years} more years in the niche: +{rule.points_per_step} points",
    )
    return [
        Gap(
            rule.code,
            message,
            f"{rule.metric} +{years}",
            rule.metric,
            to_decimal(Fraction(years)),
            "years",
            rule.points_per_step,
        )
    ]


def _ladder_gaps(rule: LadderIndicator, scored: Scored, env: Env) -> list[Gap]:
    met = next((i for i, o in enumerate(scored.steps) if o.status is Status.MET), len(rule.steps))
    if met == 0:
        return []
    target = rule.steps[met - 1]
    gain = target.points - scored.result.points
    return condition_gaps(rule.code, scored.steps[met - 1], env, gain) if gain > 0 else []
