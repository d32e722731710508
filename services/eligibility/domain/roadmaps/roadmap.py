"""施工路线图 — the construction roadmap: for an enterprise and a target tier, the gaps ordered by how
reachable they are, the measures that close them, and the earliest year the tier can be applied for.

How the year is derived (every duration comes from `rules/measures.yaml` or the tier's rule file):
- a measure that shows in the statements (R&D spend, revenue, debt) counts once a full financial
  year shows it; "each of the last 2 years" needs two such years;
- a certificate or title counts from the month it is granted, if that is before the tier's typical
  application month, else from the next year;
- years in the niche or in operation grow by one a year;
- a prerequisite title (a little giant must be a valid SRDI SME) is granted in the year the
  prerequisite tier is applied for; the target can be applied for the year after;
- a scored tier needs enough indicator improvements to close the total points short (quickest first,
  each indicator up to its top band); group minima are listed as gaps but not planned separately.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from services.eligibility.domain.engine.assess import assess_tier, select_rule_set
from services.eligibility.domain.engine.results import Gap, TierResult
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.roadmaps.catalogues import Measure, MeasureCatalogue, default_measures
from services.eligibility.domain.rulebook.loading import RuleBook, RuleSet, default_rule_book, reference_date
from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import TIER_LADDER, Decision, Tier

WAITING_METRICS = ("niche_years", "operating_years")
MAX_PREREQUISITE_DEPTH = 4


@dataclass(frozen=True, slots=True)
class RoadmapStep:
    gap: Gap
    measures: tuple[Measure, ...]
    ready_in_year: int | None  # first application year in which this gap can be closed
    note: Text


@dataclass(frozen=True, slots=True)
class Roadmap:
    target_tier: Tier | None
    rule_set: str | None
    decision_now: Decision | None
    reason: Text
    steps: tuple[RoadmapStep, ...]
    earliest_application_year: int | None
    basis: tuple[Text, ...]


def next_tier(facts: Facts, assessment_year: int, book: RuleBook | None = None) -> Tier | None:
    """The lowest rung of the national ladder the enterprise neither holds nor qualifies for now."""
    book = book or default_rule_book()
    on = reference_date(assessment_year)
    held = {r.tier for r in facts.recognitions if r.valid_until >= date(assessment_year, 1, 1)}
    for tier in TIER_LADDER:
        if tier in held:
            continue
        rule_set, _ = select_rule_set(book, tier, facts, on)
        if not assess_tier(facts, rule_set, assessment_year, book=book, on=on).eligible:
            return tier
    return None


def build_roadmap(
    facts: Facts,
    assessment_year: int,
    *,
    target: Tier | None = None,
    book: RuleBook | None = None,
    measures: MeasureCatalogue | None = None,
    start: date | None = None,
) -> Roadmap:
    book, measures = book or default_rule_book(), measures or default_measures()
    chosen = target or next_tier(facts, assessment_year, book)
    if chosen is None:
        reason = Text("已具备或已取得国家梯度培育各层级，无需路线图", "every rung of the ladder is held or reached")
        return Roadmap(None, None, None, reason, (), None, ())
    planner = _Planner(facts, book, measures, start or date(assessment_year, 1, 1), assessment_year)
    return planner.plan(chosen, explicit=target is not None, depth=0)


class _Planner:
    def __init__(self, facts: Facts, book: RuleBook, measures: MeasureCatalogue, start: date, year: int) -> None:
        self.facts, self.book, self.measures, self.start, self.year = facts, book, measures, start, year

    def plan(self, tier: Tier, *, explicit: bool, depth: int) -> Roadmap:
        on = reference_date(self.year)
        rule_set, _ = select_rule_set(self.book, tier, self.facts, on)
        result = assess_tier(self.facts, rule_set, self.year, book=self.book, on=on)
        reason = (
            Text(f"按请求评估：{rule_set.definition.label.zh}", f"requested: {rule_set.definition.label.en}")
            if explicit
            else Text(
                f"尚未达到的最低层级：{rule_set.definition.label.zh}",
                f"lowest rung not yet reached: {rule_set.definition.label.en}",
            )
        )
        if result.eligible:
            now = Text(f"现已符合条件，{self.year}年即可申报", f"eligible now: apply in {self.year}")
            return Roadmap(tier, rule_set.id, result.decision, reason, (), self.year, (now,))
        steps = [self._step(gap, rule_set, depth) for gap in result.gaps]
        steps.sort(key=_reachability)
        earliest, basis = self._earliest(steps, result, rule_set)
        return Roadmap(tier, rule_set.id, result.decision, reason, tuple(steps), earliest, tuple(basis))

    # -- one gap --

    def _step(self, gap: Gap, rule_set: RuleSet, depth: int) -> RoadmapStep:
        if gap.missing_fact:
            return RoadmapStep(gap, (), self.year, Text("补充该事实后重新评估", "supply the fact and assess again"))
        if gap.metric in WAITING_METRICS and gap.shortfall is not None:
            years = int(gap.shortfall)
            return RoadmapStep(gap, (), self.year + years, Text(f"需再经营{years}年", f"{years} more years needed"))
        if gap.metric == "recognition_valid":
            return self._prerequisite_step(gap, rule_set, depth)
        options = tuple(self.measures.closing(gap.metric)) if gap.metric else ()
        if not options:
            note = Text("目录中无对应措施，需个案研判", "no catalogued measure: judge case by case")
            return RoadmapStep(gap, (), None, note)
        quickest = options[0]
        ready = self._ready_year(quickest, gap, rule_set.definition.application.typical_month)
        note = Text(
            f"{quickest.label.zh}约需{quickest.lead_time_months}个月，{ready}年可满足",
            f"{quickest.label.en} takes about {quickest.lead_time_months} months: met from {ready}",
        )
        return RoadmapStep(gap, options, ready, note)

    def _ready_year(self, measure: Measure, gap: Gap, application_month: int) -> int:
        done = _add_months(self.start, measure.lead_time_months)
        if measure.shows_in == "certificate":
            return done.year if done.month <= application_month else done.year + 1
        # Statements and financing records are read as "last year": the year after the last one needed.
        last_partial_year = (done - timedelta(days=1)).year
        years_needed = max(1, gap.years_of_data) if measure.shows_in == "statements" else 1
        return max(last_partial_year, self.year - 1) + years_needed

    def _prerequisite_step(self, gap: Gap, rule_set: RuleSet, depth: int) -> RoadmapStep:
        prerequisite = rule_set.definition.application.prerequisite_tier
        if prerequisite is None or depth >= MAX_PREREQUISITE_DEPTH:
            return RoadmapStep(gap, (), None, Text("需先取得前置称号", "a prerequisite title is needed first"))
        before = self.plan(prerequisite, explicit=True, depth=depth + 1)
        if before.earliest_application_year is None:
            note = Text("前置层级暂无法测算申报年份", "the prerequisite tier has no date yet")
            return RoadmapStep(gap, (), None, note)
        ready = before.earliest_application_year + 1
        name = self.book.by_id(before.rule_set).definition.label if before.rule_set else None
        zh, en = (name.zh, name.en) if name else (prerequisite.value, prerequisite.value)
        note = Text(
            f"先于{before.earliest_application_year}年申报{zh}并获认定，次年可申报本层级",
            f"apply for {en} in {before.earliest_application_year}; this tier the year after",
        )
        return RoadmapStep(gap, (), ready, note)

    # -- the whole tier --

    def _earliest(
        self, steps: list[RoadmapStep], result: TierResult, rule_set: RuleSet
    ) -> tuple[int | None, list[Text]]:
        required = [s for s in steps if _is_condition_gap(s.gap)]
        improvements = [s for s in steps if s.gap.points_gain is not None and not _is_condition_gap(s.gap)]
        basis: list[Text] = []
        years = [self.year]
        for step in required:
            if step.ready_in_year is None:
                basis.append(Text(f"无法测算：{step.gap.message.zh}", f"cannot date: {step.gap.message.en}"))
                return None, basis
            years.append(step.ready_in_year)
        points_short = _points_short(result)
        if points_short:
            headroom = {i.code: i.max_points - i.points for i in result.indicators}
            picked = _cover_points(improvements, points_short, headroom)
            if picked is None:
                basis.append(
                    Text(f"目录措施不足以补足{points_short}分", f"catalogued measures cannot add {points_short} points")
                )
                return None, basis
            years += [s.ready_in_year for s in picked if s.ready_in_year is not None]
            basis.append(
                Text(
                    f"评分还差{points_short}分：选取最快可得分的{len(picked)}项改进",
                    f"{points_short} points short: the {len(picked)} quickest improvements",
                )
            )
        earliest = max(years)
        basis.append(
            Text(
                f"最早{earliest}年可申报（申报窗口约在{rule_set.definition.application.typical_month}月）",
                f"earliest application {earliest} (window around month "
                f"{rule_set.definition.application.typical_month})",
            )
        )
        return earliest, basis


def _is_condition_gap(gap: Gap) -> bool:
    """A required condition (not a score improvement, not the score or direct-route summary)."""
    return gap.points_gain is None and gap.unit != "points" and not gap.code.endswith(".direct")


def _points_short(result: TierResult) -> int:
    shorts = [g.points_gain or 0 for g in result.gaps if g.unit == "points" and g.metric is None]
    return max(shorts, default=0)


def _cover_points(improvements: list[RoadmapStep], needed: int, headroom: dict[str, int]) -> list[RoadmapStep] | None:
    """Quickest first, one improvement per indicator, until the points are covered. A measure that moves an
    indicator can take it to its top band, so each counts with the indicator's headroom (max − current)."""
    best_per_indicator: dict[str, RoadmapStep] = {}
    for step in sorted(improvements, key=_reachability):
        if step.ready_in_year is not None:
            best_per_indicator.setdefault(step.gap.code, step)
    picked, total = [], 0
    for step in sorted(best_per_indicator.values(), key=_reachability):
        if total >= needed:
            break
        picked.append(step)
        total += headroom.get(step.gap.code, step.gap.points_gain or 0)
    return picked if total >= needed else None


def _reachability(step: RoadmapStep) -> tuple[int, int, int]:
    lead = step.measures[0].lead_time_months if step.measures else 0
    ready = step.ready_in_year if step.ready_in_year is not None else 10**6
    return ready, lead, -(step.gap.points_gain or 0)


def _add_months(day: date, months: int) -> date:
    month_index = day.month - 1 + months
    return date(day.year + month_index // 12, month_index % 12 + 1, min(day.day, 28))
