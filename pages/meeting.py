"""Meeting: one student on the projector, in plain words: each service's suggestion and why,
the progress graphs, the team's decision per service, and a summary to take home."""

from __future__ import annotations

import datetime as dt
import textwrap

import altair as alt
import streamlit as st

from pages import common, team_work
from pushin_rules.data.store import DecisionInput
from pushin_rules.errors import InputError
from pushin_rules.present import (
    charts,
    decision_log,
    family_words,
    meeting_form,
    privacy,
    report,
    student_view,
    words,
)

SAVED_KEY = "meeting_saved"


common.page_header(
    "Meeting",
    "A clean view of one student for the IEP meeting: what the tool suggests for each "
    "service and why, the progress so far, and the team's decision.",
)

district = common.district()
rules = common.rules()
labels = common.student_labels()
hidden = common.deidentified()
store = common.store()
student_id = common.pick_student("meeting_page_pick")
shown_as = str(labels.get(student_id, student_id))
recs = common.recommendations()
student, recommendations, services = common.student_recommendations(student_id)
decisions = store.decisions_for_student(student_id)
current = decision_log.latest_decisions(decisions)

if hidden:
    # Text typed before the display went de-identified (a rationale, the attendees) may name
    # the student: the boxes are refilled with the name replaced before they are drawn.
    for typed in ["meeting_attendees", *(f"mt:{r.service_id}:rationale" for r in recommendations)]:
        value = st.session_state.get(typed)
        if isinstance(value, str) and value:
            scrubbed = decision_log.redact(value, student.name, shown_as)
            if scrubbed != value:
                st.session_state[typed] = scrubbed

st.header(privacy.escape_markdown(shown_as), anchor=False)
lre = student_view.lre_summary(recs, student_id)
if lre is not None:
    st.markdown(
        privacy.escape_markdown(family_words.lre_today(shown_as, lre["now"], lre["adopted"]))
    )
st.caption(
    privacy.escape_markdown("Questions? " + family_words.contact(student.case_manager, hidden))
)
with st.expander("Words we use"):
    for term, meaning in family_words.DEFINITIONS:
        st.markdown(f"- **{term}:** " + privacy.escape_markdown(meaning))

message = st.session_state.pop(SAVED_KEY, None)
if message:
    st.success(message)

team_work.saved_message()
if not recommendations:
    st.info("This student has no services in the district data.")

editor = common.can_edit()
if editor and recommendations:
    with (
        st.expander(
            "Meeting details for the record: the date, and who attended",
            icon=":material/edit_calendar:",
        ),
        st.container(horizontal=True),
    ):
        st.date_input("Meeting date", value=dt.date.today(), key="meeting_date", width=200)
        st.text_area(
            "Who attended (one per line)",
            key="meeting_attendees",
            height=90,
            placeholder="Parent\nSpeech-language pathologist\nClassroom teacher",
            width=420,
        )
elif recommendations:
    st.caption(
        "Your account can view decisions but not record them. Ask a district editor to "
        "record the team's decisions."
    )


@st.fragment
def decision_form(rec) -> None:
    sid = rec.service_id
    record = current.get(sid)
    if record is not None:
        st.caption(
            f"Recorded {record.meeting_date:%B %d, %Y}: {record.decision} — "
            + words.split_text(record.decided_push_in_minutes, record.decided_pull_out_minutes)
        )
    choice = st.radio(
        "The team's decision",
        ["adopted", "overridden"],
        format_func={
            "adopted": "Follow the suggestion",
            "overridden": "Choose differently",
        }.get,
        horizontal=True,
        key=f"mt:{sid}:decision",
    )
    model, push_in, rationale = None, None, ""
    if choice == "overridden":
        with st.container(horizontal=True):
            session = int(services[sid].session_minutes or 0)
            model = st.selectbox(
                "Where the service takes place",
                meeting_form.override_models(rec.recommendation, rec.minutes_per_week, session),
                format_func=words.model_label,
                key=f"mt:{sid}:model",
                width=260,
            )
            if model == "hybrid":
                # Whole sessions only: the choices are the session multiples that leave at
                # least one session on each side.
                allowed = meeting_form.hybrid_sessions(rec.minutes_per_week, session)
                middle = meeting_form.decided_split("hybrid", rec.minutes_per_week, None, session)
                push_in = st.selectbox(
                    "Minutes a week in class",
                    allowed,
                    index=allowed.index(middle[0]) if middle[0] in allowed else 0,
                    format_func=lambda m, total=rec.minutes_per_week: (
                        f"{m} in class + {total - m} out of class"
                    ),
                    key=f"mt:{sid}:push_in",
                    width=260,
                )
        rationale = st.text_area(
            "Why the team chose differently (required)",
            key=f"mt:{sid}:rationale",
            height=80,
        )
    corrects = None
    if record is not None and st.checkbox(
        "This corrects the decision recorded earlier (instead of a new meeting's decision)",
        key=f"mt:{sid}:corrects",
    ):
        corrects = record.id
    if st.button("Record decision", type="primary", key=f"mt:{sid}:save"):
        fields = meeting_form.decision_fields(
            rec,
            decision=choice,
            attendees=meeting_form.parse_attendees(st.session_state.get("meeting_attendees", "")),
            meeting_date=st.session_state.get("meeting_date") or dt.date.today(),
            recorded_by=common.current_user().name,
            model=model,
            push_in=push_in,
            rationale=rationale,
            supersedes=corrects,
            session_minutes=int(services[sid].session_minutes or 0),
        )
        try:
            # A plain mapping: the store validates it with its own classes (a module that
            # Streamlit reloaded during development would otherwise fail an isinstance check).
            store.record_decision(DecisionInput.build(**fields).model_dump())
        except InputError as error:
            st.error(str(error))
            return
        except Exception as error:
            if "DecisionError" not in {c.__name__ for c in type(error).__mro__}:
                raise
            st.error(str(error))
            return
        st.session_state[SAVED_KEY] = (
            f"Recorded the decision for {words.service_label(rec.service)}."
        )
        # The form starts empty again: a recorded rationale is shown (redacted when
        # de-identified) in the history below, not left in the box.
        for part in ("decision", "model", "push_in", "rationale", "corrects"):
            st.session_state.pop(f"mt:{sid}:{part}", None)
        st.rerun(scope="app")


for rec in recommendations:
    with st.container(border=True):
        st.subheader(
            f"{family_words.service_name(rec.service)}: {rec.minutes_per_week} minutes a week",
            anchor=False,
        )
        text_col, graphs = st.columns([2, 3], gap="large")
        with text_col:
            record = current.get(rec.service_id)
            if record is not None:
                st.markdown(
                    "**What the team decided:** "
                    + privacy.escape_markdown(
                        family_words.decided(
                            record.decision,
                            record.decided_model,
                            record.decided_push_in_minutes,
                            record.decided_pull_out_minutes,
                        )
                    )
                )
            st.markdown(f"#### Suggested: {family_words.place(rec.recommendation.value)}")
            st.markdown(
                privacy.escape_markdown(
                    words.cap(
                        family_words.minutes_words(
                            rec.split.push_in_minutes,
                            rec.split.pull_out_minutes,
                            rec.split_pattern,
                        )
                    )
                    + "."
                )
            )
            service = services[rec.service_id]
            st.caption(privacy.escape_markdown("Now: " + words.current_text(service)))
            team_work.meeting_fidelity_line(rec.service_id)
            dumped = [c.model_dump(mode="json") for c in rec.contributions]
            grouped: dict[str, list[str]] = {}
            for side, text in family_words.reasons(dumped):
                grouped.setdefault(side, []).append(text)
            for side, texts in grouped.items():
                st.markdown(f"**{side}**")
                for text in texts:
                    st.markdown("- " + privacy.escape_markdown(text))
            st.caption(
                privacy.escape_markdown(
                    family_words.confidence(rec.confidence, rec.confidence_sentence)
                )
            )
            tasks = family_words.school_tasks(dumped, rec.feasibility_notes)
            if tasks:
                st.markdown("**What the school will set up**")
                for note in tasks:
                    st.markdown("- " + privacy.escape_markdown(note))
                st.caption(family_words.SCHOOL_TASKS_NOTE)
            with st.expander("For staff: the rules' own words"):
                st.markdown(privacy.escape_markdown(rec.rule_sentence))
                for item in student_view.reasons(rec):
                    st.markdown("- " + privacy.escape_markdown(item.sentence))
                for line in rec.progress_evidence:
                    st.markdown("- " + privacy.escape_markdown(line))
                for note in rec.feasibility_notes:
                    st.markdown("- " + privacy.escape_markdown(note))
                st.caption(privacy.escape_markdown(rec.confidence_sentence))
        with graphs:
            goals = common.goal_charts(rec.service_id, wording="family")
            if not goals:
                st.info("No progress data for this service yet.")
            for item, _chart, spec in goals:
                if item.description:
                    st.markdown("**Goal:** " + privacy.escape_markdown(item.description))
                # In the meeting the chart keeps its plain title; the practitioners' decision
                # line (trend, rules) is said in words under it instead.
                plain = {
                    **spec,
                    "title": {"text": textwrap.wrap(item.title, 26), "anchor": "start"},
                }
                st.vega_lite_chart(plain, width="stretch")
                st.markdown(privacy.escape_markdown(words.plain_progress(item.analysis)))
        team_work.rating_worksheet(rec.service_id, "meeting")
        team_work.rating_history(rec.service_id)
        if editor:
            decision_form(rec)


@st.dialog("Meeting summary to take home", width="medium")
def export_dialog() -> None:
    st.markdown(
        "A summary a family can take home, in plain words: for each service what the team "
        "decided, what the tool suggested and why, the goals and progress, what happens "
        "next, and who to ask."
    )
    if hidden:
        st.caption("De-identified display is on: the summary uses the pseudonym, not the name.")
    services = [
        report.service_summary(
            r.model_dump(mode="json"),
            goals=[
                {
                    "description": item.description or item.title,
                    "progress": words.plain_progress(item.analysis),
                }
                for item, _chart, _spec in common.goal_charts(r.service_id, wording="family")
            ],
        )
        for r in recommendations
    ]
    person = meeting_form.meeting_student(district, recs, student_id, shown_as)
    stored = store.decisions_for_student(student_id)
    today = dt.date.today()

    def markdown() -> str:
        return report.meeting_summary_markdown(
            person, services, stored, deidentified=hidden, generated=today
        )

    def pdf() -> bytes:
        pngs = {}
        for r in recommendations:
            goals = common.goal_charts(r.service_id, wording="family")
            if goals:
                item, chart = goals[0][0], goals[0][1]
                # The family's copy: the goal's title only; the practitioners' decision
                # line under it stays on the staff screens.
                plain = chart.properties(title=alt.TitleParams(item.title, anchor="start"))
                pngs[r.service_id] = charts.chart_png(plain)
        return report.meeting_summary_pdf(
            person, services, stored, deidentified=hidden, generated=today, charts=pngs
        )

    stem = "meeting-summary-" + "-".join(shown_as.lower().split())
    with st.container(horizontal=True):
        st.download_button(
            "Download PDF",
            data=pdf,
            file_name=f"{stem}.pdf",
            mime="application/pdf",
            icon=":material/picture_as_pdf:",
            on_click="ignore",
            type="primary",
        )
        st.download_button(
            "Download Markdown",
            data=markdown,
            file_name=f"{stem}.md",
            mime="text/markdown",
            icon=":material/description:",
            on_click="ignore",
        )


if recommendations and st.button("Export meeting summary", icon=":material/download:"):
    export_dialog()

st.subheader("Decisions recorded for this student", anchor=False)
history = decision_log.decisions_table(decisions, district.services)
if hidden:
    history = decision_log.deidentify_history(history, student.name, shown_as)
if history.empty:
    st.caption("No decisions recorded yet.")
for row in history.to_dict("records"):
    with st.container(border=True):
        st.markdown(privacy.escape_markdown(decision_log.history_heading(row)))
        st.markdown(privacy.escape_markdown(decision_log.history_body(row)))
        st.caption(privacy.escape_markdown(decision_log.history_footer(row)))
