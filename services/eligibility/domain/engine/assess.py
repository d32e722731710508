"""The scalar engine: one enterprise's facts → one `TierResult` per tier.

    eligible  =  gate  ∧  required conditions  ∧  route
    route     =  (score ≥ pass ∧ group minima) ∨ any direct condition      (scored tiers)
              =  true                                                      (condition-only tiers)

in three-valued logic, so a 2026 rule set can answer "cannot decide, needs X".
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from services.eligibility.domain.engine.evaluation import Env, all_of, any_of, evaluate_top
from services.eligibility.domain.engine.gaps import condition_gaps, indicator_gaps
from services.eligibility.domain.engine.results import ConditionResult, Gap, TierResult
from services.eligibility.domain.engine.scoring import Scored, score_indicator
from services.eligibility.domain.facts.measured import Context
from services.eligibility.domain.facts.model import Facts
from services.eligibility.domain.rulebook.loading import RuleBook, RuleSet, default_rule_book, reference_date
from services.eligibility.domain.rulebook.ruleset import Scoring, TopCondition
from services.eligibility.domain.text import Text
from services.eligibility.domain.vocabulary import Application, Decision, PassedVia, Status, Tier

DECISIONS = {
    Status.MET: Decision.ELIGIBLE,
    Status.NOT_MET: Decision.NOT_ELIGIBLE,
    Status.UNDETERMINED: Decision.UNDETERMINED,
}


def assess(
    facts: Facts,
    assessment_year: int,
    *,
    book: RuleBook | None = None,
    tiers: Sequence[Tier] | None = None,
    assessed_on: date | None = None,
    application: Application = Application.NEW,
) -> list[TierResult]:
    """Assess `facts` for each tier (all tiers by default), in the order given."""
    book = book or default_rule_book()
    on = reference_date(assessment_year, assessed_on)
    results = []
    for tier in tiers or list(Tier):
        rule_set, re_review = select_rule_set(book, tier, facts, on, application)
        results.append(assess_tier(facts, rule_set, assessment_year, book=book, on=on, re_review=re_review))
    return results


def select_rule_set(
    book: RuleBook, tier: Tier, facts: Facts, on: date, application: Application = Application.NEW
) -> tuple[RuleSet, bool]:
    """The rule set for a new application on `on`; a re-review is judged by the rules in force when
    the recognition was granted. Returns (rule set, whether it is a re-review)."""
    recognition = facts.recognition(tier)
    if application is not Application.RE_REVIEW or recognition is None:
        return book.select(tier, on), False
    granted = recognition.recognised_on
    if granted is None:
        validity = book.select(tier, on).definition.validity_years
        until = recognition.valid_until
        granted = until.replace(year=until.year - validity, day=min(until.day, 28))
    return book.select(tier, granted), True


def assess_tier(
    facts: Facts,
    rule_set: RuleSet,
    assessment_year: int,
    *,
    book: RuleBook | None = None,
    on: date | None = None,
    re_review: bool = False,
) -> TierResult:
    book = book or default_rule_book()
    standard = book.size_standard(on or reference_date(assessment_year))
    env = Env(facts, Context(assessment_year, standard), rule_set.conventions, rule_set.undetermined_when_missing)
    rules = rule_set.definition
    checked = [evaluate_top(t, env) for t in [*rules.gate, *required_conditions(rule_set, re_review)]]
    statuses = [outcome.status for outcome, _ in checked]
    results = [result for _, result in checked]
    gaps = [g for (outcome, result) in checked for g in condition_gaps(result.code, outcome, env, label=result.label)]

    score: int | None = None
    passed_via: PassedVia | None = PassedVia.CONDITIONS
    if rules.scoring is not None:
        scored = [score_indicator(rule, group, env) for rule, group in rule_set.indicators()]
        score = sum(s.result.points for s in scored)
        score_results = _score_conditions(rule_set, rules.scoring, scored, score)
        direct = [evaluate_top(t, env) for t in rules.direct]
        score_status = all_of([r.status for r in score_results])
        statuses.append(any_of([score_status] + [o.status for o, _ in direct]))
        results += score_results + [r for _, r in direct]
        passed_via = PassedVia.SCORE if score_status is Status.MET else PassedVia.DIRECT
        if statuses[-1] is not Status.MET:
            gaps += _score_gaps(rule_set, score_results, scored, rules.direct, env)
        indicators = tuple(s.result for s in scored)
    else:
        indicators = ()
    decision = DECISIONS[all_of(statuses)]
    return TierResult(
        tier=rule_set.tier,
        rule_set=rule_set.id,
        decision=decision,
        score=score,
        passed_via=passed_via if decision is Decision.ELIGIBLE else None,
        indicators=indicators,
        conditions=tuple(results),
        gaps=tuple(gaps) if decision is not Decision.ELIGIBLE else (),
    )


def required_conditions(rule_set: RuleSet, re_review: bool) -> list[TopCondition]:
    rules = rule_set.definition
    if not re_review or rules.re_review is None:
        return list(rules.conditions)
    replaced = {c.code: c for c in rules.re_review.replace}
    return [replaced.get(c.code, c) for c in rules.conditions if c.code not in rules.re_review.omit]


def _score_conditions(rule_set: RuleSet, scoring: Scoring, scored: list[Scored], score: int) -> list[ConditionResult]:
    tier = rule_set.tier.value
    results = [_points_condition(f"{tier}.score", Text("评价得分", "evaluation score"), score, scoring.pass_score)]
    for group in scoring.groups:
        if group.min_points is None:
            continue
        points = sum(s.result.points for s in scored if s.group == group.code)
        results.append(
            _points_condition(
                f"{tier}.score.{group.code}",
                Text(f"{group.label.zh}得分", f"{group.label.en} points"),
                points,
                group.min_points,
            )
        )
    return results


def _points_condition(code: str, label: Text, points: int, minimum: int) -> ConditionResult:
    status = Status.MET if points >= minimum else Status.NOT_MET
    verdict = Text("满足", "met") if status is Status.MET else Text("不满足", "not met")
    explanation = Text(
        f"{label.zh}{points}分，要求≥{minimum}分，{verdict.zh}",
        f"{label.en} {points}, required ≥ {minimum}: {verdict.en}",
    )
    full_label = Text(f"{label.zh}不低于{minimum}分", f"{label.en} of at least {minimum}")
    return ConditionResult(code, full_label, status, points, minimum, explanation)


def _score_gaps(
    rule_set: RuleSet, score_results: list[ConditionResult], scored: list[Scored], direct: list[TopCondition], env: Env
) -> list[Gap]:
    gaps = []
    for result in score_results:
        if result.met:
            continue
        assert isinstance(result.value, int) and isinstance(result.threshold, int)
        short = result.threshold - result.value
        message = Text(
            f"{result.explanation.zh.split('，')[0]} < {result.threshold}分：还需{short}分",
            f"{result.label.en}: {result.value} < {result.threshold}, {short} more points",
        )
        gaps.append(Gap(result.code, message, f"score +{short} points", None, None, "points", short))
    for item in scored:
        gaps += indicator_gaps(item, env)
    if direct:
        names = Text("；".join(d.label.zh for d in direct), "; ".join(d.label.en for d in direct))
        gaps.append(
            Gap(
                f"{rule_set.tier.value}.direct",
                Text(f"或满足任一直通条件：{names.zh}", f"or meet any direct condition: {names.en}"),
                "one direct condition",
            )
        )
    return gaps
