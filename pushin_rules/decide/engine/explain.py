"""The explanation of one service's result: rule sentence, split sentence, factor
contributions, feasibility notes, tipping points and confidence, from the scored arrays."""

from __future__ import annotations

import pandas as pd

from pushin_rules.decide.engine.recommendation import (
    FactorContribution,
    Recommendation,
    Split,
    TippingPoint,
)
from pushin_rules.decide.engine.scoring import _Scored
from pushin_rules.decide.engine.vocabulary import (
    _BOTH,
    _CLOSE,
    _EPS,
    _PRESUMPTION,
    _PRIVACY,
    _SINGLE,
    _TRANSITION,
    CONFIDENCES,
    DECISION_RULES,
    NOT_RATED_HEADLINE,
    REASON_PRESUMPTION,
    REASON_PROGRESS,
    RECOMMENDATIONS,
    SPLIT_PATTERNS,
)
from pushin_rules.decide.rules import RuleSet
from pushin_rules.models import DeliveryModel


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _points(value: float) -> str:
    return f"{value:g}"


def _factor_sentence(
    s: _Scored, i: int, j: int, rules: RuleSet, family: str, age: str, fill: dict[str, int | str]
) -> str:
    """What a need factor's rating says for this service, level, family and age; intensity
    in a pull-out group also says how the group shares the practice turns."""
    key = s.plan.need[j]
    factor = rules.factor(key)
    rating = int(s.ratings[i, j])
    if rating == 0:
        return factor.meanings[0]
    text = factor.sentence(rating, family, age).format(**fill)
    base = float(s.plan.weight[j])
    if key == "intensity" and rules.format >= 2 and base > 0:
        share = float(s.weights[i, j]) / base
        if share < 1 - _EPS:
            note = rules.wording.dose_group.format(
                group_size=fill["group_size"], percent=round(100 * share)
            )
            text = f"{text} {note}"
    return text


def _explain(s: _Scored, i: int, rules: RuleSet, row: pd.Series) -> Recommendation:
    w, th = rules.wording, rules.thresholds
    rec = RECOMMENDATIONS[s.rec[i]]
    rule = s.rule[i]
    pull, push = float(s.pull[i]), float(s.push[i])
    numbers = {
        "pull_out_points": _points(pull),
        "push_in_points": _points(push),
        "min_pull_out_points": _points(th.min_pull_out_points),
    }
    if rule == _PRESUMPTION:
        template = w.rule_presumption_none if pull <= _EPS else w.rule_presumption_slight
    elif rule == _PRIVACY:
        template = w.rule_privacy
    elif rule == _TRANSITION:
        template = w.rule_transition
    elif rule == _BOTH:
        template = w.rule_both_strong
    elif rule == _CLOSE:
        template = w.rule_close_call if rules.format < 2 else w.rule_comparable
    elif rule == _SINGLE:
        template = w.rule_single_session
    else:
        template = w.rule_balance_pull_out if rec == "pull_out" else w.rule_balance_push_in
    family = str(s.family[i])
    rule_sentence = template.format(
        **numbers, recommendation=rules.label(rec), service=family.replace("_", " ")
    )

    minutes, session = int(s.minutes[i]), int(s.session[i])
    pull_minutes = int(s.pull_minutes[i])
    full = int(s.full_sessions[i])
    pattern = SPLIT_PATTERNS[int(s.pattern[i])]
    place = rules.place(str(s.natural[i])) if rules.format >= 2 else "in the classroom"
    remainder = minutes - full * session if rec == "hybrid" else 0
    words = {"minutes_per_week": minutes, "place": place}
    if pattern == "alternating_weeks":
        # A month of four weeks: two sessions in each setting.
        split_sentence = w.split_alternating.format(
            **words,
            session_minutes=session,
            month_sessions=4,
            month_push_in_minutes=2 * session,
            month_pull_out_minutes=2 * session,
        )
        if remainder:
            split_sentence += " " + w.split_remainder.format(remainder=remainder)
    elif rec == "hybrid":
        split_sentence = w.split_hybrid.format(
            **words,
            push_in_minutes=minutes - pull_minutes,
            pull_out_minutes=pull_minutes,
            push_in_sessions=int(s.push_sessions[i]),
            pull_out_sessions=int(s.pull_sessions[i]),
            sessions=full,
        )
        if remainder:
            split_sentence += " " + w.split_remainder.format(remainder=remainder)
    elif rec == "pull_out":
        split_sentence = w.split_pull_out.format(**words)
    else:
        split_sentence = w.split_push_in.format(**words)
    split = Split(
        push_in_minutes=minutes - pull_minutes,
        pull_out_minutes=pull_minutes,
        push_in_sessions=int(s.push_sessions[i]),
        pull_out_sessions=int(s.pull_sessions[i]),
        session_minutes=session,
        remainder_minutes=remainder,
        sentence=split_sentence,
        pattern=pattern,
    )
    age = "secondary" if bool(s.secondary[i]) else "elementary"
    fill = {"group_size": int(s.group[i]), "place": place}

    reason_keys = [*s.plan.need, REASON_PROGRESS, REASON_PRESUMPTION]
    order = [int(c) for c in s.reason_order[i] if c >= 0]
    counted = {reason_keys[c] for c in order}
    contributions = []
    for j, key in enumerate(s.plan.need):
        factor = rules.factor(key)
        rating = int(s.ratings[i, j])
        contributions.append(
            FactorContribution(
                key=key,
                label=factor.label,
                question=factor.question,
                rating=rating,
                meaning=factor.meanings[rating],
                points=float(round(s.weights[i, j] * rating, 9)),
                direction=factor.direction,
                counts=key in counted,
                sentence=_factor_sentence(s, i, j, rules, family, age, fill),
                sources=list(factor.sources),
            )
        )
    notes, note_keys = [], []
    for m, key in enumerate(s.plan.impl):
        factor = rules.factor(key)
        rating = int(s.impl_ratings[i, m])
        applies = bool(s.feasible_note[i, m])
        texts = [
            factor.notes[x]
            for x in ("push_in", "pull_out")
            if x in factor.notes and (rec == x or rec == "hybrid")
        ]
        if applies:
            note_keys.append(key)
            notes.extend(texts)
        contributions.append(
            FactorContribution(
                key=key,
                label=factor.label,
                question=factor.question,
                rating=rating,
                meaning=factor.meanings[rating],
                points=0.0,
                direction=factor.direction,
                counts=False,
                sentence=" ".join(texts) if applies else factor.meanings[rating],
                sources=list(factor.sources),
            )
        )
    # Strongest reasons first, as in `reasons`.
    by_key = {c.key: c for c in contributions}
    contributions = [by_key[reason_keys[c]] for c in order if reason_keys[c] in by_key] + [
        c for c in contributions if c.key not in counted
    ]

    tips = []
    for j, key in enumerate(s.plan.need):
        factor = rules.factor(key)
        r, d = int(s.ratings[i, j]), int(s.tip_step[j, i])
        for to, new in ((r - d, int(s.tip_down[j, i])), (r + d, int(s.tip_up[j, i]))):
            if d == 0 or new < 0:
                continue
            tips.append(
                TippingPoint(
                    factor=key,
                    label=factor.label,
                    from_rating=r,
                    to_rating=to,
                    new_recommendation=DeliveryModel(RECOMMENDATIONS[new]),
                    sentence=w.tipping_point.format(
                        label=factor.label,
                        factor=key,
                        from_rating=r,
                        to_rating=to,
                        new_recommendation=rules.label(RECOMMENDATIONS[new]),
                    ),
                )
            )
    tips.sort(key=lambda t: (abs(t.to_rating - t.from_rating), s.plan.need.index(t.factor)))

    confidence = CONFIDENCES[s.confidence[i]]
    note = str(s.progress_note[i])
    headline = f"{_capital(rules.label(rec))}: {split_sentence[:1].lower()}{split_sentence[1:]}"
    reason_list = [reason_keys[c] for c in order]
    if not bool(s.rated[i]):
        # Nothing is recommended for a service nobody has rated: its zeros are not ratings.
        headline = NOT_RATED_HEADLINE
        rule_sentence = NOT_RATED_HEADLINE
        reason_list, tips = [], []
        contributions = [c.model_copy(update={"counts": False}) for c in contributions]
    return Recommendation(
        service_id=str(s.ids[i]),
        student_id=str(row.get("student_id", "")),
        service=str(row.get("service", "")),
        minutes_per_week=minutes,
        recommendation=DeliveryModel(rec),
        headline=headline,
        split=split,
        rule=DECISION_RULES[rule],
        rule_sentence=rule_sentence,
        score=round(pull - push, 9),
        margin=round(abs(pull - push), 9),
        pull_out_points=pull,
        push_in_points=push,
        confidence=confidence,
        confidence_sentence=getattr(w, f"confidence_{confidence}"),
        reasons=reason_list,
        contributions=contributions,
        feasibility_intro=w.feasibility_intro if notes else "",
        feasibility_notes=notes,
        feasibility_factors=note_keys,
        tipping_points=tips,
        progress_used=bool(abs(s.evidence[i]) > _EPS or s.transition[i]),
        progress_decision=str(s.progress_decision[i]),
        progress_evidence=[line for line in note.split("\n") if line],
        rules_name=rules.name,
        rules_version=rules.version,
        rules_hash=rules.file_hash,
        split_pattern=pattern,
        rated=bool(s.rated[i]),
    )
