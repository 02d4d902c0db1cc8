"""What-if: change a service's ratings, minutes or the rules' weights and compare scenarios;
and the school-level question "what if every recommendation here were adopted?"."""

from __future__ import annotations

import streamlit as st

from pages import common
from pushin_rules.data.synth import VIGNETTES
from pushin_rules.decide.engine import progress_evidence
from pushin_rules.decide.rules import MODIFIED_SUFFIX, SHIPPED_VERSIONS, load_rules_version
from pushin_rules.errors import RulesError
from pushin_rules.present import caseload, charts, privacy, scenarios, student_view, trainer, words

PREFIX = "wi:"  # every editing widget's key starts with this, so Reset can clear them
SCENARIOS_KEY = "whatif_scenarios"
SOURCE_PICK = "whatif_source_pick"
SOURCES = {
    "service": "A student's service",
    "case": "A training case",
    "blank": "A blank service",
}


@st.cache_resource(max_entries=16, show_spinner=False)
def _adoption(key: tuple, school_id: str, _recs, _district, _rules):
    adoption = scenarios.school_adoption(_recs, _district, school_id, _rules)
    lre = charts.lre_change_chart(adoption.categories).to_dict()
    load = None
    if not adoption.load.empty:
        chart = charts.provider_load_chart(caseload.provider_load_long(adoption.load))
        load = chart.to_dict()
    return adoption, lre, load


@st.cache_resource(max_entries=256, show_spinner=False)
def _score(key: tuple, name: str, weights: tuple, _service, _rules, _evidence, week, others):
    """One scenario scored; `key` holds the data version, rules hash, starting point and
    the edited service, so moving a slider back recalls the earlier answer."""
    rules = _rules.with_weights(dict(weights)) if weights else _rules
    return scenarios.score_scenario(
        name, _service, rules, evidence=_evidence, week_minutes=week, other_outside_minutes=others
    )


def _remember_source() -> None:
    st.session_state["whatif_source"] = st.session_state[SOURCE_PICK]


def _reset() -> None:
    for name in [k for k in st.session_state if str(k).startswith(PREFIX)]:
        del st.session_state[name]
    st.session_state[SCENARIOS_KEY] = []


def provider_minutes_text(result, service) -> str:
    """The provider's weekly minutes for this service, with the reason in words when a group
    shares the pull-out minutes ("10 a week. The 30 minutes out of class are shared by a
    group of 3 students.")."""
    minutes = f"Provider minutes: {result.provider_minutes:,.0f} a week"
    outside = int(result.rec.split.pull_out_minutes)
    group = int(service.group_size)
    if outside and group > 1 and result.provider_minutes < result.rec.minutes_per_week:
        if result.rec.split_pattern == "alternating_weeks":
            return (
                f"{minutes} on average over two weeks. The {2 * outside}-minute session out "
                f"of class, every other week, is shared by a group of {group} students."
            )
        return (
            f"{minutes}. The {outside} minutes out of class are shared by a group of {group} "
            "students."
        )
    return minutes + "."


common.page_header(
    "What-if",
    "Change a service's ratings, minutes or the rules' weights and see what the rules would "
    "recommend. Save scenarios to compare them side by side. Nothing here changes the data.",
)

district = common.district()
rules = common.rules()
labels = common.student_labels()
hidden = common.deidentified()
recs = common.recommendations()
cases = {v.key: v for v in VIGNETTES}
st.session_state.setdefault(SCENARIOS_KEY, [])

# ---------------------------------------------------------------- starting point
has_services = not district.services.empty
source_options = [k for k in SOURCES if k != "service" or has_services]
wanted = st.session_state.get("whatif_source")
if wanted not in source_options:
    wanted = source_options[0]
if st.session_state.get(SOURCE_PICK) != wanted:
    st.session_state[SOURCE_PICK] = wanted
with st.container(horizontal=True, vertical_alignment="bottom"):
    source = st.segmented_control(
        "Start from",
        source_options,
        format_func=SOURCES.get,
        required=True,
        key=SOURCE_PICK,
        on_change=_remember_source,
    )

    evidence = None
    week, others, student_id = 365 * 5, 0.0, None
    if source == "service":
        ids, names = common.student_choices(with_services=True)
        wanted_service = st.session_state.get("whatif_service_id")
        owner = caseload.student_of_service(district, wanted_service) if wanted_service else None
        wanted_student = st.session_state.get("student_id")
        if wanted_student not in ids:
            wanted_student = owner
        student_id = st.selectbox(
            "Student",
            ids,
            index=ids.index(wanted_student) if wanted_student in ids else 0,
            format_func=lambda sid: str(names.get(sid, sid)),
            key=common.mode_key("whatif_student"),
            width=320,
        )
        st.session_state["student_id"] = student_id
        own = student_view.student_services(district, student_id)
        service_ids = list(own["service_id"])
        kinds = dict(zip(own["service_id"], own["service"], strict=True))
        service_id = st.selectbox(
            "Service",
            service_ids,
            index=service_ids.index(wanted_service) if wanted_service in service_ids else 0,
            format_func=lambda sid: words.service_label(kinds[sid]),
            width=320,
        )
        st.session_state["whatif_service_id"] = service_id
        base = district.service(service_id)
        base_id = f"service:{service_id}"
        evidence = progress_evidence(own, common.goal_summary(), rules)
        week = scenarios.week_minutes_of(district, student_id)
        others = scenarios.other_outside_minutes(recs, student_id, service_id)
    elif source == "case":
        keys = list(cases)
        wanted_case = st.session_state.get("whatif_case")
        case_key = st.selectbox(
            "Case",
            keys,
            index=keys.index(wanted_case) if wanted_case in keys else 0,
            format_func=lambda k: trainer.vignette_title(cases[k], hidden),
            width=320,
        )
        st.session_state["whatif_case"] = case_key
        services = trainer.vignette_services(cases[case_key])
        number = st.selectbox(
            "Service",
            range(len(services)),
            format_func=lambda i: words.service_label(services[i].service.value),
            width=320,
        )
        base = services[number]
        base_id = f"case:{case_key}:{number}"
    else:
        base = scenarios.blank_service()
        base_id = "blank"
    st.button("Reset", on_click=_reset, icon=":material/restart_alt:", help="Clear every change")

if source == "case":
    st.caption(privacy.escape_markdown(words.cite_titles(cases[case_key].situation)))


# ---------------------------------------------------------------- editing and result
@st.fragment
def rule_sets_side_by_side(service, evidence) -> None:
    """This service (with the changes above) under another shipped rule set beside the one in
    use, so a district sees what a new version of the rules changes and why."""
    others = [v for v in SHIPPED_VERSIONS if v != rules.version.removesuffix(MODIFIED_SUFFIX)]
    if not others:
        return
    st.subheader("Rule sets side by side", anchor=False)
    with st.container(horizontal=True, vertical_alignment="bottom"):
        other = st.selectbox(
            "Compare with the rule set",
            others,
            format_func=lambda v: f"version {v}",
            key=f"{PREFIX}other_rules",
            width=260,
        )
    try:
        compared = scenarios.compare_rule_sets(
            service, load_rules_version(other), rules, evidence=evidence
        )
    except (ValueError, RulesError) as error:
        st.error(f"This service cannot be scored under version {other}: {error}")
        return
    st.caption(
        "The same service and ratings, scored by each version of the rules. "
        + ("The recommendation changes." if compared.changed else "The recommendation is the same.")
    )
    st.table(compared.table)
    if compared.rule_changes:
        with st.expander(f"What differs between the rule sets ({len(compared.rule_changes)})"):
            for line in compared.rule_changes:
                st.markdown("- " + privacy.escape_markdown(line))


def explore() -> None:
    key = f"{PREFIX}{base_id}:"
    edit_column, result = st.columns([2, 3], gap="large")
    # The inputs scroll inside their own box, so the result beside them stays in view while
    # minutes or weights are open.
    edit = edit_column.container(height=560, border=False)
    with edit:
        st.markdown("**Ratings** (0 none, 1 low, 2 moderate, 3 high)")
        ratings = {}
        for direction, title in (
            ("pull_out", "Toward a separate room"),
            ("push_in", "Toward the classroom"),
            ("implementation", "School logistics (notes only, never the recommendation)"),
        ):
            with st.expander(title, expanded=direction != "implementation"):
                for factor in [f for f in rules.factors if f.direction == direction]:
                    ratings[factor.key] = st.select_slider(
                        words.cap(factor.label),
                        options=[0, 1, 2, 3],
                        value=int(getattr(base, factor.key)),
                        help=factor.question
                        + "\n\n"
                        + "\n".join(f"{r}: {m}" for r, m in factor.meanings.items()),
                        key=key + factor.key,
                    )
        with st.expander("Minutes"):
            minutes = st.number_input(
                "Minutes a week",
                min_value=5,
                max_value=3000,
                step=5,
                value=int(base.minutes_per_week),
                key=key + "minutes",
            )
            session = st.number_input(
                "Minutes per session",
                min_value=5,
                max_value=int(minutes),
                step=5,
                value=min(int(base.session_minutes), int(minutes)),
                key=key + "session",
            )
            group = st.number_input(
                "Group size (pull-out)",
                min_value=1,
                max_value=50,
                value=int(base.group_size),
                key=key + "group",
            )
        with st.expander("Rule weights (how much each rating point counts)"):
            st.caption(
                "Changing a weight changes the rules for this page only; the version shown "
                "gets '+modified'."
            )
            weights = {}
            for factor in rules.need_factors:
                weights[factor.key] = st.number_input(
                    words.cap(factor.label),
                    min_value=0.0,
                    max_value=10.0,
                    step=0.25,
                    value=float(factor.weight),
                    key=f"{PREFIX}weight:{factor.key}",
                )
    changed_weights = {k: w for k, w in weights.items() if w != rules.factor(k).weight}
    version = (common.data_version(), rules.file_hash, base_id)
    try:
        edited = scenarios.service_with(
            base, minutes_per_week=minutes, session_minutes=session, group_size=group, **ratings
        )
        start = _score(
            (*version, base.model_dump_json()),
            "Starting point",
            (),
            base,
            rules,
            evidence,
            week,
            others,
        )
        now = _score(
            (*version, edited.model_dump_json()),
            "With your changes",
            tuple(sorted(changed_weights.items())),
            edited,
            rules,
            evidence,
            week,
            others,
        )
    except (ValueError, RulesError) as error:
        result.error(f"These settings cannot be scored: {error}")
        return
    with result:
        st.markdown("#### " + words.headline(now.rec))
        st.caption(
            f"Confidence: {words.confidence_label(now.rec.confidence)} · "
            f"Time in regular class: {words.percent_text(now.lre_percent)} "
            f"({now.lre_category})"
        )
        st.caption(privacy.escape_markdown(provider_minutes_text(now, edited)))
        st.markdown(privacy.escape_markdown(now.rec.rule_sentence))
        for side, lines in student_view.reasons_by_side(now.rec):
            st.markdown(f"*{side}*")
            for line in lines:
                st.markdown("- " + privacy.escape_markdown(line.text), help=line.sources)
        for line in now.rec.progress_evidence:
            st.markdown("- " + privacy.escape_markdown(line))
        if now.rec.feasibility_notes:
            st.markdown("**To make it work**")
            for note in now.rec.feasibility_notes:
                st.markdown("- " + privacy.escape_markdown(note))
        changes = scenarios.changed_reasons(start.rec, now.rec)
        with st.container(border=True):
            st.markdown("**Compared with the starting point** (" + words.headline(start.rec) + ")")
            if changes:
                for line in changes:
                    st.markdown("- " + privacy.escape_markdown(line))
            else:
                st.caption("No change yet: move a rating, the minutes or a weight.")
        with st.container(horizontal=True, vertical_alignment="bottom"):
            name = st.text_input(
                "Scenario name",
                value=f"Scenario {len(st.session_state[SCENARIOS_KEY]) + 1}",
                max_chars=40,
                width=240,
            )
            if st.button("Save scenario", icon=":material/bookmark_add:"):
                st.session_state[SCENARIOS_KEY].append(
                    {
                        "name": name.strip() or "Scenario",
                        "base_id": base_id,
                        "service": edited.model_dump(),
                        "weights": changed_weights,
                    }
                )

    rule_sets_side_by_side(edited, evidence)

    saved = [s for s in st.session_state[SCENARIOS_KEY] if s["base_id"] == base_id]
    st.subheader("Scenarios side by side", anchor=False)
    if not saved:
        st.caption(
            "Save a scenario to compare it here with the starting point. Scenarios are kept "
            "for this session only."
        )
        return
    results = [start]
    for item in saved:
        service = type(base)(**item["service"])
        results.append(
            _score(
                (*version, service.model_dump_json()),
                item["name"],
                tuple(sorted(item["weights"].items())),
                service,
                rules,
                evidence,
                week,
                others,
            )
        )
    table = scenarios.compare_scenarios(results)
    per_row = 4
    for start in range(0, len(table.columns), per_row):
        columns = st.columns(per_row)
        for column, position in zip(columns, range(start, len(table.columns)), strict=False):
            with column.container(border=True, height="stretch"):
                st.markdown("**" + privacy.escape_markdown(table.columns[position]) + "**")
                for aspect, value in table.iloc[:, position].items():
                    st.caption(aspect)
                    lines = str(value).split("\n")
                    st.markdown(
                        "\n".join(
                            ("- " if len(lines) > 1 else "") + privacy.escape_markdown(line)
                            for line in lines
                        )
                    )


explore()

# ---------------------------------------------------------------- school level
st.divider()
st.subheader("A whole school: adopt every recommendation", anchor=False)
schools = scenarios.school_choices(district)
if not schools:
    st.caption("This district has no schools with students yet.")
else:
    school_names = dict(schools)
    school_id = st.selectbox(
        "School", list(school_names), format_func=school_names.get, width=360, key="whatif_school"
    )
    adoption, lre_spec, load_spec = _adoption(
        (common.data_version(), rules.file_hash), school_id, recs, district, rules
    )
    first, second = st.columns(2), st.columns(2)  # 2 by 2: no label is cut short
    cols = [*first, *second]
    cols[0].metric("Services", f"{adoption.services:,}")
    cols[1].metric("Would change model", f"{adoption.services_changing:,}")
    cols[2].metric(
        "Students changing LRE category",
        f"{adoption.students_changing_category:,}",
        help=words.TERMS["lre"],
    )
    cols[3].metric(
        "Provider minutes a week",
        f"{adoption.minutes_adopted:,.0f}",
        delta=f"{adoption.minutes_adopted - adoption.minutes_now:+,.0f} vs today",
        delta_color="off",
    )
    # One chart under the other: side by side, a laptop's width cut their legends and
    # crowded the minutes axis.
    st.markdown("**Students by time inside the regular class**")
    st.vega_lite_chart(lre_spec, width="stretch")
    st.markdown("**Provider minutes at this school**")
    if adoption.load.empty:
        st.caption("No services at this school name a provider.")
    else:
        st.vega_lite_chart(load_spec, width="stretch")
