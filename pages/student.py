"""Student: each service's recommendation and its reasons beside the progress graphs of its
goals; the LRE figures above; the recorded decisions below."""

from __future__ import annotations

import streamlit as st

from pages import common, team_work
from pushin_rules.present import decision_log, privacy, student_view, words

common.page_header(
    "Student",
    "For one student: what the rules recommend for each service and why, beside the progress "
    "data of that service's goals.",
)

district = common.district()
labels = common.student_labels()
hidden = common.deidentified()
student_id = common.pick_student("student_page_pick")

student, recommendations, services = common.student_recommendations(student_id)
recs = common.recommendations()
school = district.schools.set_index("school_id")["name"].get(student.school_id, student.school_id)
facts = [f"Grade {student.grade}", str(school)]
if student.classroom:
    facts.append(f"class {student.classroom}")
if student.case_manager and not hidden:
    facts.append(f"case manager {student.case_manager}")
st.caption(privacy.escape_markdown(" · ".join(facts)))

lre = student_view.lre_summary(recs, student_id)
if lre is not None:
    # A row that wraps on a narrow window instead of cutting the metric labels.
    row = st.container(horizontal=True, gap="large")
    cols = [row.container(width="content"), row.container(width="content"), row.container()]
    cols[0].metric(
        "In the regular class today",
        words.percent_text(lre["now"]),
        help=words.TERMS["lre"],
    )
    cols[0].caption(f"Federal category: {lre['now_category'] or '–'}")
    change = words.percent_change(lre["now"], lre["adopted"])
    cols[1].metric(
        "If recommendations adopted",
        words.percent_text(lre["adopted"]),
        delta=change,
        delta_color="off",
        help=words.TERMS["lre"],
    )
    cols[1].caption(f"Federal category: {lre['adopted_category'] or '–'}")
    with cols[2]:
        st.caption(
            "LRE (least restrictive environment) is the share of the school week spent inside "
            "the regular class. Push-in minutes count as inside; pull-out minutes count as "
            "outside."
        )
        with st.container(horizontal=True):
            st.page_link("pages/meeting.py", label="Meeting view", icon=":material/groups:")
            st.page_link("pages/what_if.py", label="What-if", icon=":material/tune:")

team_work.saved_message()
if not recommendations:
    st.info("This student has no services in the district data.")

for rec in recommendations:
    service = services[rec.service_id]
    with st.container(border=True):
        st.subheader(
            f"{words.service_label(rec.service)} · {rec.minutes_per_week} min a week",
            anchor=False,
        )
        # The graphs get the wider column: at a laptop's width a half column cut their
        # titles and legends.
        card, progress = st.columns([2, 3], gap="medium")
        with card:
            st.markdown(f"#### Recommended: {words.model_label(rec.recommendation.value)}")
            st.markdown("**" + words.rec_split_text(rec) + "**")
            st.caption(
                f"Today: {words.current_text(service)} · "
                f"Confidence: {words.confidence_label(rec.confidence)}"
            )
            st.markdown(
                "**Is today's model working?** "
                + privacy.escape_markdown(words.model_working(rec.progress_decision))
            )
            st.markdown(privacy.escape_markdown(rec.rule_sentence))
            reasons = student_view.reasons(rec)
            if reasons:
                st.markdown("**Why**")
                for side, lines in student_view.reasons_by_side(rec):
                    st.markdown(f"*{side}*")
                    for line in lines:
                        st.markdown("- " + privacy.escape_markdown(line.text), help=line.sources)
            for line in rec.progress_evidence:
                st.markdown("- " + privacy.escape_markdown(line))
            st.caption(privacy.escape_markdown(rec.confidence_sentence))
            if rec.feasibility_notes:
                st.markdown("**To make it work** (these never change the recommendation)")
                for note in rec.feasibility_notes:
                    st.markdown("- " + privacy.escape_markdown(note))
            if rec.tipping_points:
                with st.expander("What would change the recommendation"):
                    for tip in rec.tipping_points:
                        st.markdown("- " + privacy.escape_markdown(tip.sentence))
            sources = sorted({s for item in reasons for s in item.sources})
            if sources:
                st.caption(privacy.escape_markdown(words.source_list(sources)))
            if st.button("Try changes in what-if", key=f"whatif_{rec.service_id}"):
                st.session_state["whatif_service_id"] = rec.service_id
                st.session_state["whatif_source"] = "service"
                st.switch_page("pages/what_if.py")
        with progress:
            goals = common.goal_charts(rec.service_id)
            if not goals:
                st.info("No goals with progress data for this service yet.")
            for item, _chart, spec in goals:
                st.markdown(f"**Progress: {words.progress_label(item.analysis.decision)}**")
                if item.description:
                    st.caption(privacy.escape_markdown(item.description))
                st.vega_lite_chart(spec, width="stretch")
                team_work.phase_fidelity_captions(
                    rec.service_id, rec.minutes_per_week, item.analysis
                )
                team_work.probe_entry(item.goal.goal_id)
        team_work.service_tools(rec.service_id, "student")

st.subheader("Decisions recorded for this student", anchor=False)
history = decision_log.decisions_table(
    common.store().decisions_for_student(student_id), district.services
)
if hidden:
    history = decision_log.deidentify_history(history, student.name, str(labels.get(student_id)))
if history.empty:
    st.caption("No decisions recorded yet. Record one on the Meeting page.")
for row in history.to_dict("records"):
    with st.container(border=True):
        st.markdown(privacy.escape_markdown(decision_log.history_heading(row)))
        st.markdown(privacy.escape_markdown(decision_log.history_body(row)))
        st.caption(privacy.escape_markdown(decision_log.history_footer(row)))
