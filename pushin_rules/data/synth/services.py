"""The services on each student's IEP, the vignettes' first."""

from __future__ import annotations

import numpy as np

from pushin_rules.content import Vignette
from pushin_rules.data.synth.constants import (
    CHANGED_SHARE,
    DOSAGE,
    FOCI,
    HYBRID,
    MODEL_BIAS,
    NEW_SERVICE_SHARE,
    NO_MODEL,
    PULL_OUT,
    PUSH_IN,
    SERVICE_CHANCE,
    SERVICE_TYPES,
    SEVERITY_WEIGHTS,
)
from pushin_rules.models import FACTORS, IMPLEMENTATION_FACTORS


def _services(
    rng: np.random.Generator,
    pupils: dict[str, np.ndarray],
    schools: dict[str, np.ndarray],
    vignettes: tuple[Vignette, ...],
) -> dict[str, np.ndarray]:
    fixed = len(vignettes)
    level = schools["level"][pupils["school"][fixed:]]
    has = rng.random((len(level), len(SERVICE_TYPES))) < SERVICE_CHANCE[level]
    # Every student in the file has at least one service: speech in elementary, SETSS later.
    none = ~has.any(axis=1)
    has[none, np.where(level[none] == 0, 0, 1)] = True
    owner, kind = np.nonzero(has)
    owner = owner + fixed
    n = len(owner)

    focus = np.zeros(n, dtype=np.int64)
    for t, name in enumerate(SERVICE_TYPES):
        mask = kind == t
        ids = [i for i, f in enumerate(FOCI) if f.service == name]
        p = np.array([FOCI[i].weight for i in ids])
        focus[mask] = rng.choice(ids, size=int(mask.sum()), p=p / p.sum())
    severity = rng.choice([1, 2, 3], size=n, p=SEVERITY_WEIGHTS)

    sessions = np.zeros(n, dtype=np.int64)
    session_minutes = np.zeros(n, dtype=np.int64)
    for t, name in enumerate(SERVICE_TYPES):
        for sev, options in DOSAGE[name].items():
            mask = (kind == t) & (severity == sev)
            p = np.array([o[2] for o in options])
            pick = rng.choice(len(options), size=int(mask.sum()), p=p / p.sum())
            sessions[mask] = np.array([o[0] for o in options])[pick]
            session_minutes[mask] = np.array([o[1] for o in options])[pick]
    minutes = sessions * session_minutes

    group_lo = np.array([f.group[0] for f in FOCI])[focus]
    group_hi = np.array([f.group[1] for f in FOCI])[focus]
    group_hi = np.maximum(group_lo, group_hi - 2 * (severity == 3))  # severe needs: smaller
    group = rng.integers(group_lo, group_hi + 1)

    needs = np.array([f.needs for f in FOCI])[focus]
    needs[:, 0] += (severity - 2) * 0.9  # intensity follows severity
    needs[:, 6] += 0.4 * (minutes >= 120)  # many minutes out means much core missed
    need_ratings = np.clip(np.rint(needs + rng.normal(0, 0.6, needs.shape)), 0, 3)
    school = pupils["school"][owner]
    base = np.stack([schools[k][school] for k in IMPLEMENTATION_FACTORS], axis=1)
    impl_ratings = np.clip(np.rint(base + rng.normal(0, 0.5, base.shape)), 0, 3)
    ratings = np.concatenate([need_ratings, impl_ratings], axis=1).astype(np.int8)

    # Today's model mostly follows the needs, with habit and noise, so the engine has both
    # agreements and disagreements to show.
    r = ratings.astype(float)
    lean = (
        r[:, 0] + r[:, 1] + r[:, 2] - 0.8 * (r[:, 3] + r[:, 4] + r[:, 5] + r[:, 7])
        + np.array([MODEL_BIAS[s] for s in SERVICE_TYPES])[kind]
        + rng.normal(0, 1.2, n)
    )  # fmt: skip
    model = np.select([lean > 1.3, lean < -1.9], [PULL_OUT, PUSH_IN], HYBRID)
    single = (model == HYBRID) & (sessions < 2)  # a split needs a session on each side
    model[single] = np.where(lean[single] > -0.35, PULL_OUT, PUSH_IN)
    model[rng.random(n) < NEW_SERVICE_SHARE] = NO_MODEL
    push_sessions = rng.integers(1, np.maximum(sessions, 2))
    push_in = np.select(
        [model == PUSH_IN, model == HYBRID, model == PULL_OUT],
        [minutes, push_sessions * session_minutes, 0],
        -1,
    )

    # A delivery-model change partway through the 20 weeks (applies to all the service's goals).
    changed = (rng.random(n) < CHANGED_SHARE) & (model != NO_MODEL)
    change_week = np.where(changed, rng.integers(8, 13, size=n), -1)
    previous = np.select(
        [model == PULL_OUT, model == PUSH_IN],
        [PUSH_IN, PULL_OUT],
        np.where(rng.random(n) < 0.8, PULL_OUT, PUSH_IN),
    )

    out = {
        "owner": owner,
        "kind": kind,
        "focus": focus,
        "severity": severity,
        "minutes": minutes,
        "session_minutes": session_minutes,
        "group": group,
        "ratings": ratings,
        "model": model,
        "push_in": push_in,
        "change_week": change_week,
        "previous": previous,
    }
    return _prepend_vignette_services(out, vignettes)


def _prepend_vignette_services(
    out: dict[str, np.ndarray], vignettes: tuple[Vignette, ...]
) -> dict[str, np.ndarray]:
    rows = [(i, s) for i, v in enumerate(vignettes) for s in v.services]
    if not rows:
        return out
    code = {"push_in": PUSH_IN, "pull_out": PULL_OUT, "hybrid": HYBRID, "": NO_MODEL}
    fixed = {
        "owner": [i for i, _ in rows],
        "kind": [SERVICE_TYPES.index(s.service) for _, s in rows],
        "focus": [-1] * len(rows),
        "severity": [0] * len(rows),
        "minutes": [s.minutes_per_week for _, s in rows],
        "session_minutes": [s.session_minutes for _, s in rows],
        "group": [s.group_size for _, s in rows],
        "ratings": [[s.ratings[k] for k in FACTORS] for _, s in rows],
        "model": [code[s.current_model] for _, s in rows],
        "push_in": [s.current_push_in_minutes for _, s in rows],
        "change_week": [-1] * len(rows),
        "previous": [-1] * len(rows),
    }
    return {
        key: np.concatenate([np.array(fixed[key], dtype=out[key].dtype), out[key]]) for key in out
    }
