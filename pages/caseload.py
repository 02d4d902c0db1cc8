"""Caseload: every service in one table, the counts that need attention, provider load."""

from __future__ import annotations

import streamlit as st

from pages import common, team_work
from pushin_rules.present import caseload, charts, privacy, words


@st.cache_resource(max_entries=8, show_spinner=False)
def _table(key: tuple, _recs, _district, _labels, _decided):
    return caseload.caseload_table(_recs, _district, _labels, _decided)


@st.cache_resource(max_entries=8, show_spinner=False)
def _counts(key: tuple, _recs, _goals):
    return caseload.caseload_counts(_recs, _goals)


@st.cache_resource(max_entries=8, show_spinner=False)
def _load(key: tuple, _recs, _district, _rules):
    load = caseload.provider_load(_recs, _district, _rules)
    chart = charts.provider_load_chart(caseload.provider_load_long(load))
    return load, chart.to_dict()


common.page_header(
    "Caseload",
    "Every service in the district with the recommended delivery model, those needing "
    "attention first. Pick a row, or choose it under the table, to open the student.",
)

district = common.district()
recs = common.recommendations()
labels = common.student_labels()
key = (
    common.data_version(),
    common.rules().file_hash,
    common.deidentified(),
    st.session_state.get(common.LABEL_MODE_KEY),
)
# The team's recorded decisions: "Today" is what the team decided once it has decided.
decisions = common.store().all_decisions()
decided = caseload.decided_models(decisions)
table = _table(
    (*key, len(decisions), decisions[0].id if decisions else 0), recs, district, labels, decided
)
counts = _counts(key[:2], recs, common.goal_summary())

with st.expander("What the words mean"):
    for line in words.term_lines(common.rules()):
        st.markdown("- " + privacy.escape_markdown(line))

if table.empty:
    st.info(
        "This district has no services yet. Load a district on the Data page to see "
        "recommendations here."
    )
    st.page_link("pages/data.py", label="Go to the Data page", icon=":material/database:")
    st.stop()

# A row that wraps on a narrow screen instead of cutting the labels.
metrics = st.container(horizontal=True, gap="medium")
cols = [metrics] * 4
cols[0].metric(
    "Services", f"{counts.services:,}", help=f"{counts.students:,} students", width="content"
)
cols[1].metric(
    "Differs from today",
    f"{int(table['differs'].sum()):,}",
    help="Services whose recommended model is not the one delivered today (the one the "
    "team decided, once a decision is recorded).",
    width="content",
)
cols[2].metric(
    "Goals off track",
    f"{counts.change_goals:,}",
    help="Goals whose progress data say the current plan is not working.",
    width="content",
)
cols[3].metric(
    "Close calls",
    f"{counts.close_calls:,}",
    help="The reasons on each side are close; the team's judgement matters most here.",
    width="content",
)


@st.fragment
def caseload_table() -> None:
    cols = st.columns(4)
    schools = cols[0].multiselect(
        "School", caseload.options(table, "school"), placeholder="All schools"
    )
    providers = cols[1].multiselect(
        "Provider", caseload.options(table, "provider"), placeholder="All providers"
    )
    services = cols[2].multiselect(
        "Service", caseload.options(table, "service"), placeholder="All services"
    )
    models = cols[3].multiselect(
        "Recommendation",
        [words.MODEL_LABELS[m] for m in words.MODELS],
        placeholder="Any",
    )
    hidden = common.deidentified()
    with st.container(horizontal=True, vertical_alignment="center"):
        text = st.text_input(
            "Find a student",
            placeholder="Find a student by name or id",
            label_visibility="collapsed",
            key=common.mode_key("caseload_find"),
            # In the de-identified display a typed name is masked; it is matched on the
            # server against the real names, and only the labels of the rows kept show.
            type="password" if hidden else "default",
            width=260,
        )
        differs = st.toggle("Differs from today")
        close = st.toggle("Close calls")
        change = st.toggle("Progress says change")
    found = tuple(privacy.find_students(district.students, text, limit=500)) if text else ()
    shown = caseload.filter_caseload(
        table,
        caseload.CaseloadFilter(
            schools=tuple(schools),
            providers=tuple(providers),
            services=tuple(services),
            recommendations=tuple(models),
            only_differs=differs,
            only_close_calls=close,
            only_change=change,
            text=text,
            student_ids=found,
        ),
    )
    st.caption(f"Showing {len(shown):,} of {len(table):,} services, those needing attention first.")
    event = st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        height=420,
        on_select="rerun",
        selection_mode="single-row",
        key=common.mode_key("caseload_rows"),
        column_order=[
            "student",
            "attention",
            "service",
            "current_model",
            "recommendation",
            "progress",
            "confidence",
            "split",
            "imported_model",
            "decided_on",
            "lre_category",
            "school",
            "provider",
        ],
        column_config={
            "student": st.column_config.TextColumn("Student", pinned=True, width=110),
            "attention": st.column_config.TextColumn(
                "Needs attention",
                help="Why to look at this service first: the progress data say the plan is "
                "not working, the recommendation differs from today's model, or it is a close "
                "call. Rows are ordered by this.",
                width=190,
            ),
            "school": st.column_config.TextColumn("School"),
            "provider": st.column_config.TextColumn("Provider"),
            "service": st.column_config.TextColumn("Service", width=150),
            "recommendation": st.column_config.TextColumn(
                "Recommended",
                help="Push-in: in class. Pull-out: out of class. Hybrid: split.",
                width=95,
            ),
            "split": st.column_config.TextColumn("Minutes a week"),
            "confidence": st.column_config.TextColumn("Confidence", width=85),
            "current_model": st.column_config.TextColumn(
                "Today",
                help="The model the team decided, once a decision is recorded; otherwise the "
                "one in the imported data.",
                width=110,
            ),
            "imported_model": st.column_config.TextColumn(
                "Imported as", help="The model in the district's imported data."
            ),
            "decided_on": st.column_config.TextColumn("Decided on"),
            "progress": st.column_config.TextColumn("Progress", width=150),
            "lre_category": st.column_config.TextColumn("LRE if adopted", help=words.TERMS["lre"]),
        },
    )
    rows = event.selection.rows if event is not None else []
    open_key = common.mode_key("caseload_open")
    choices = shown["service_id"].tolist()
    if not choices:
        return
    row_text = dict(
        zip(shown["service_id"], shown["student"] + " · " + shown["service"], strict=True)
    )
    if rows and rows[0] < len(shown):
        selected = str(shown.iloc[rows[0]]["service_id"])
        if st.session_state.get("_caseload_selected") != selected:
            st.session_state["_caseload_selected"] = selected
            st.session_state[open_key] = selected
    if st.session_state.get(open_key) not in choices:
        st.session_state[open_key] = choices[0]
    with st.container(horizontal=True, vertical_alignment="bottom"):
        # A keyboard path to any row: pick it here (the list follows the table's order and a
        # click on a row selects it here too), then open it.
        service_id = st.selectbox(
            "Open a student's service",
            choices,
            format_func=lambda sid: str(row_text.get(sid, sid)),
            key=open_key,
            width=420,
        )
        if st.button("Open student", type="primary"):
            picked = shown.set_index("service_id").loc[service_id]
            st.session_state["student_id"] = str(picked["student_id"])
            st.session_state["whatif_service_id"] = str(service_id)
            st.switch_page("pages/student.py")


caseload_table()
team_work.caseload_fidelity(labels)

st.subheader("Provider load")
st.caption(
    "Minutes a week each provider would carry under today's models and under the recommended "
    "ones; the black tick is the provider's weekly capacity. Staffing never changes a "
    "recommendation: it shows the scheduling work the recommendations create."
)
load, load_spec = _load(key[:2], recs, district, common.rules())
if load.empty:
    st.info("No services in this district name a provider.")
else:
    over = load[(load["capacity"] > 0) & (load["recommended"] > load["capacity"])]
    st.vega_lite_chart(load_spec, width="stretch")
    if len(load) > charts.MAX_PROVIDERS:
        st.caption(
            f"The chart shows the {charts.MAX_PROVIDERS} busiest of {len(load):,} "
            "providers; the table below lists them all."
        )
    if not over.empty:
        st.warning(
            f"{len(over):,} provider{'s' if len(over) != 1 else ''} would be over weekly "
            "capacity under the recommended models."
        )
    with st.expander("Provider load as a table"):
        st.dataframe(
            load.drop(columns="provider_id"),
            hide_index=True,
            width="stretch",
            column_config={
                "provider": "Provider",
                "role": "Role",
                "current": st.column_config.NumberColumn("Today (min/week)", format="%d"),
                "recommended": st.column_config.NumberColumn("Recommended (min/week)", format="%d"),
                "capacity": st.column_config.NumberColumn("Capacity (min/week)", format="%d"),
            },
        )
