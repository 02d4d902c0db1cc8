"""Trainer: the tradeoffs made visible with synthetic cases only (never the district's data)."""

from __future__ import annotations

import streamlit as st

from pages import common
from pushin_rules.data.synth import VIGNETTES
from pushin_rules.decide.engine import recommend
from pushin_rules.present import charts, privacy, scenarios, student_view, trainer, words

QUIZ_KEY = "trainer_quiz"


@st.cache_resource(max_entries=64, show_spinner=False)
def _decision_map(rules_hash: str, pair: tuple, x_key: str, y_key: str, _rules) -> dict:
    service = trainer.vignette_services(CASES[pair[0]])[pair[1]]
    grid = trainer.decision_map(service, _rules, x_key, y_key)
    return charts.decision_map_chart(
        grid,
        x_title=words.cap(_rules.factor(x_key).label) + " (rating)",
        y_title=words.cap(_rules.factor(y_key).label) + " (rating)",
    ).to_dict()


@st.cache_resource(max_entries=64, show_spinner=False)
def _default_axes(rules_hash: str, pair: tuple, keys: tuple, _rules) -> tuple[str, str]:
    service = trainer.vignette_services(CASES[pair[0]])[pair[1]]
    return trainer.decision_map_axes(service, _rules, list(keys))


common.page_header(
    "Trainer",
    "Synthetic cases for teaching how the rules weigh a student's needs. Nothing on this page "
    "comes from the district's records.",
)

rules = common.rules()
hidden = common.deidentified()
CASES = {v.key: v for v in VIGNETTES}
cases = CASES
questions = [(v.key, i) for v in VIGNETTES for i in range(len(v.services))]
quiz_questions = trainer.QUIZ  # pushin_rules/content/quiz.toml, in order


def case_service_label(pair: tuple[str, int]) -> str:
    vignette = cases[pair[0]]
    service = vignette.services[pair[1]]
    return f"{trainer.vignette_title(vignette, hidden)} · {words.service_label(service.service)}"


gallery, compare, decision_map, quiz = st.tabs(
    ["Cases", "Push-in, pull-out and inclusion", "Decision map", "Quiz"]
)

with gallery:
    st.caption(
        "Each case is a situation described in the source documents, turned into ratings. "
        "Open one in the what-if page to change its ratings and watch the recommendation move."
    )
    columns = st.columns(2)
    for index, vignette in enumerate(VIGNETTES):
        with columns[index % 2].container(border=True):
            st.markdown(
                "**" + privacy.escape_markdown(trainer.vignette_title(vignette, hidden)) + "**"
            )
            st.markdown(privacy.escape_markdown(words.cite_titles(vignette.situation)))
            for service in vignette.services:
                st.caption(
                    privacy.escape_markdown(
                        f"{words.service_label(service.service)}: "
                        f"{service.minutes_per_week} min a week, today "
                        f"{words.model_label(service.current_model).lower()}"
                    )
                )
            if st.button("Open in what-if", key=f"open_case_{vignette.key}"):
                st.session_state["whatif_case"] = vignette.key
                st.session_state["whatif_source"] = "case"
                st.switch_page("pages/what_if.py")

with compare:
    st.caption(
        "What each arrangement offers and what it costs, in this product's words, drawn from "
        "the source documents named under each column."
    )
    columns = st.columns(len(trainer.ARRANGEMENTS))
    for column, item in zip(columns, trainer.ARRANGEMENTS, strict=True):
        with column.container(border=True, height="stretch"):
            st.subheader(item.name)
            st.markdown(item.what_it_is)
            st.markdown("**What it offers**")
            st.markdown("\n".join(f"- {line}" for line in item.offers))
            st.markdown("**What it costs**")
            st.markdown("\n".join(f"- {line}" for line in item.costs))
            st.markdown("**Fits when**")
            st.markdown(item.fits_when)
            st.caption(privacy.escape_markdown(words.source_list(item.sources)))
    st.info(trainer.HYBRID_NOTE + " " + words.source_list(trainer.HYBRID_SOURCES) + ".")
    st.warning(trainer.STAFFING_NOTE + " (" + trainer.SOURCE_STAFFING + ")")

with decision_map:
    st.caption(
        "Pick a case and two factors. Each square shows what the rules recommend if those two "
        "factors were rated as on the axes and every other rating stayed as in the case. The "
        "outlined square is the case as rated."
    )
    need = [f for f in rules.factors if f.is_need]
    with st.container(horizontal=True):
        pair = st.selectbox(
            "Case",
            questions,
            index=questions.index(("a", 1)) if ("a", 1) in questions else 0,
            format_func=case_service_label,
            width=420,
        )
        default_x, default_y = _default_axes(
            rules.file_hash, pair, tuple(f.key for f in need), rules
        )
        x_choices = [f.key for f in need]
        x_key = st.selectbox(
            "Across",
            x_choices,
            index=x_choices.index(default_x),
            format_func=lambda k: words.cap(rules.factor(k).label),
            key=f"map_x:{pair[0]}:{pair[1]}",
            width=280,
        )
        y_choices = [f.key for f in need if f.key != x_key]
        y_key = st.selectbox(
            "Up",
            y_choices,
            index=y_choices.index(default_y) if default_y in y_choices else 0,
            format_func=lambda k: words.cap(rules.factor(k).label),
            key=f"map_y:{pair[0]}:{pair[1]}",
            width=280,
        )
    left, right = st.columns([3, 2])
    with left:
        st.vega_lite_chart(
            _decision_map(rules.file_hash, pair, x_key, y_key, rules), width="stretch"
        )
    with right:
        st.markdown("**What the ratings mean**")
        for key in (x_key, y_key):
            factor = rules.factor(key)
            st.markdown(
                f"*{privacy.escape_markdown(words.cap(factor.label))}* "
                f"({words.SIDE_LABELS[factor.direction].lower()}): "
                + privacy.escape_markdown(factor.question)
            )
        st.caption("IN: push-in · SPLIT: hybrid · OUT: pull-out.")

with quiz:
    state = st.session_state.setdefault(
        QUIZ_KEY, {"index": 0, "tally": trainer.QuizTally(), "answered": None}
    )
    progress = trainer.QuizProgress(state["index"], len(quiz_questions))
    st.caption(progress.heading(state["tally"]))
    if progress.finished:
        st.success(trainer.final_score(state["tally"], len(quiz_questions)))
        if st.button("Start the quiz again", type="primary"):
            st.session_state[QUIZ_KEY] = {
                "index": 0,
                "tally": trainer.QuizTally(),
                "answered": None,
            }
            st.rerun()
    else:
        pair = quiz_questions[state["index"]]
        vignette = cases[pair[0]]
        service = trainer.vignette_services(vignette)[pair[1]]
        st.markdown("**" + privacy.escape_markdown(case_service_label(pair)) + "**")
        st.markdown(privacy.escape_markdown(words.cite_titles(vignette.situation)))
        ratings = scenarios.ratings_table(service, rules)
        columns = st.columns(3)
        for column, (side, rows) in zip(
            columns, ratings.groupby("pulls", sort=False), strict=False
        ):
            with column.container(border=True, height="stretch"):
                st.markdown(f"**{side}**")
                for row in rows.itertuples():
                    st.markdown(f"{row.factor}: **{row.rating}**")
                    st.caption(row.meaning)
        pick = st.radio(
            "Where would you deliver this service?",
            list(words.MODELS),
            format_func=words.model_label,
            index=None,
            horizontal=True,
            key=f"quiz_pick_{state['index']}",
        )
        with st.container(horizontal=True):
            check = st.button("Check my answer", type="primary", disabled=pick is None)
            last = state["index"] + 1 >= len(quiz_questions)
            if st.button("See my score" if last else "Next case"):
                state["index"] += 1
                state["answered"] = None
                st.rerun()
        if check and pick is not None and state["answered"] is None:
            answer = recommend(service, rules)
            result = trainer.score_pick(
                pick, answer.recommendation.value, answer.confidence == "close_call"
            )
            state["tally"] = state["tally"].add(result)
            state["answered"] = (pick, result)
        if state["answered"] is not None:
            answer = recommend(service, rules)
            result = state["answered"][1]
            (st.success if result.correct else st.warning)(result.message)
            with st.container(border=True):
                st.markdown(
                    "**The rules' answer:** " + privacy.escape_markdown(words.headline(answer))
                )
                st.markdown(privacy.escape_markdown(answer.rule_sentence))
                for contribution in student_view.reasons(answer):
                    st.markdown(
                        "- "
                        + privacy.escape_markdown(
                            f"{words.cap(contribution.label)} (rated {contribution.rating}): "
                            f"{contribution.sentence}"
                        )
                    )
                st.caption(privacy.escape_markdown(answer.confidence_sentence))
