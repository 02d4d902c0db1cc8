"""The team's own work on the pages: fidelity beside progress, the caseload's fidelity table,
the rating worksheet and its versions, probe entry and the service log form.

Each block is one function that a page calls with a line or two; layout only, the figures come
from pushin_rules (decide/fidelity.py, the store).
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from pages import common
from pushin_rules.decide import fidelity
from pushin_rules.present import privacy, words

# --------------------------------------------------------------------------- fidelity


@st.cache_resource(max_entries=4, show_spinner=False)
def _fidelity(version: str, _district) -> pd.DataFrame:
    return fidelity.fidelity_table(_district.services, _district.service_log)


def fidelity_table() -> pd.DataFrame:
    """One row per service over the whole logged period (see decide/fidelity.py)."""
    return _fidelity(common.data_version(), common.district())


def phase_fidelity_captions(service_id: str, minutes_per_week: int, analysis) -> None:
    """Under a goal's graph: the minutes delivered in each progress phase, low ones labelled."""
    phases = [(p.setting, p.start, p.end, p.slope) for p in analysis.phases]
    lines = fidelity.progress_phase_lines(
        common.district().service_log, service_id, minutes_per_week, phases
    )
    for line in lines:
        st.caption(privacy.escape_markdown("Delivered: " + line))


def meeting_fidelity_line(service_id: str) -> None:
    """One line per service on the Meeting page: delivered of mandated, make-up owed."""
    rows = fidelity_table()
    row = rows[rows["service_id"] == service_id]
    if row.empty:
        return
    st.caption(privacy.escape_markdown("Sessions delivered: " + fidelity.service_line(row.iloc[0])))


def caseload_fidelity(labels: pd.Series) -> None:
    """Caseload: services under 80% fidelity, make-up minutes owed, and the table."""
    table = fidelity_table()
    st.subheader("Service fidelity", anchor=False)
    logged = table[table["fidelity_percent"].notna()]
    if logged.empty:
        st.caption(
            "No service log yet: add service_log.csv on the Data page, or log sessions on the "
            "Student page, to see whether the mandated minutes are delivered."
        )
        return
    watch = fidelity.WATCH_FIDELITY_PERCENT
    under = logged[logged["fidelity_percent"] < watch]
    first, last = logged["period_start"].iloc[0], logged["period_end"].iloc[0]
    st.caption(
        f"Mandated minutes against the service log from {first} to {last} (every Monday-to-"
        "Sunday week in the period counts). Make-up minutes are owed for sessions missed on "
        "the school's side (provider absent, schedule conflict)."
    )
    cols = st.columns(3)
    cols[0].metric(
        f"Under {watch:g}% fidelity",
        f"{len(under):,}",
        help=f"Services whose delivered minutes are under {watch:g}% of the mandate.",
    )
    cols[1].metric("Make-up minutes owed", f"{int(logged['makeup_owed_minutes'].sum()):,}")
    cols[2].metric("Services without a log", f"{len(table) - len(logged):,}")
    only = st.toggle(f"Only services under {watch:g}%", value=True, key="tw_fidelity_under")
    shown = under if only else logged
    # The labels are the names, or their stand-ins in de-identified mode: never the raw name.
    names = shown["student_id"].map(labels).fillna(shown["student_id"])
    view = pd.DataFrame(
        {
            "student": names.astype(object).to_numpy(),
            "service": shown["service"].map(words.service_label).to_numpy(),
            "fidelity_percent": shown["fidelity_percent"].astype(float).to_numpy(),
            "delivered_minutes": shown["delivered_minutes"].astype(float).to_numpy(),
            "mandated_minutes": shown["mandated_minutes"].astype(float).to_numpy(),
            "missed_minutes": shown["missed_minutes"].astype(float).to_numpy(),
            "makeup_owed_minutes": shown["makeup_owed_minutes"].astype(float).to_numpy(),
            "unaccounted_minutes": shown["unaccounted_minutes"].astype(float).to_numpy(),
        }
    ).sort_values("fidelity_percent", kind="stable")
    st.dataframe(
        view,
        hide_index=True,
        width="stretch",
        height=300,
        key="tw_fidelity_table",
        column_config={
            "student": st.column_config.TextColumn("Student", pinned=True),
            "service": st.column_config.TextColumn("Service"),
            "fidelity_percent": st.column_config.ProgressColumn(
                "Fidelity", format="%.1f%%", min_value=0, max_value=100
            ),
            "delivered_minutes": st.column_config.NumberColumn("Delivered", format="%d"),
            "mandated_minutes": st.column_config.NumberColumn("Mandated", format="%d"),
            "missed_minutes": st.column_config.NumberColumn("Missed", format="%d"),
            "makeup_owed_minutes": st.column_config.NumberColumn("Make-up owed", format="%d"),
            "unaccounted_minutes": st.column_config.NumberColumn("Unaccounted", format="%d"),
        },
    )


# --------------------------------------------------------------------------- rating worksheet

SAVED_KEY = "tw_saved"
SETTING_CHOICES = ("", "push_in", "pull_out")
SETTING_LABELS = {"": "Not recorded", "push_in": "In class (push-in)", "pull_out": "Pulled out"}


def _store():
    return common.store()


def _actor() -> str:
    return common.current_user().name


def saved_message() -> None:
    """The confirmation of the last save (shown once, after the rerun that follows it)."""
    message = st.session_state.pop(SAVED_KEY, None)
    if message:
        st.success(message)


def _entry_error(error: Exception) -> bool:
    """True (after showing it) when `error` is the store's refusal of an entry."""
    from pushin_rules.errors import InputError

    if isinstance(error, InputError) or "EntryError" in {c.__name__ for c in type(error).__mro__}:
        st.error(str(error))
        return True
    return False


def _service_row(service_id: str) -> pd.Series:
    services = common.district().services
    return services[services["service_id"] == service_id].iloc[0]


def is_rated(service_id: str) -> bool:
    row = _service_row(service_id)
    return bool(row["rated"]) if "rated" in row.index else True


def _factors(rules) -> list:
    from pushin_rules.models import FACTORS

    return [words.factor_meta(rules, key) for key in FACTORS]


def rating_worksheet(service_id: str, page: str) -> None:
    """Editors: the factors as questions with each rating's meaning; the recommendation, split,
    reasons and tipping points follow the answers; Save keeps them as a new version.
    Viewers see nothing here (the version history is for everyone)."""
    if not common.can_edit():
        return
    rated = is_rated(service_id)
    label = "Rating worksheet" if rated else "Rate this service"
    with st.expander(label, icon=":material/checklist:", expanded=not rated):
        _worksheet(service_id, page)


@st.fragment
def _worksheet(service_id: str, page: str) -> None:
    from pushin_rules.decide.engine import progress_evidence, recommend
    from pushin_rules.models import IMPLEMENTATION_FACTORS, Service
    from pushin_rules.present import scenarios, student_view

    district = common.district()
    rules = common.rules()
    row = _service_row(service_id)
    rated = is_rated(service_id)
    st.caption(
        "Answer each question for this service; the recommendation below follows your answers. "
        + (
            "Saving keeps today's ratings as a new version; earlier versions stay in the history."
            if rated
            else "This service is not rated yet: every rating starts at 0."
        )
    )
    values: dict[str, int] = {}
    factors = _factors(rules)
    need = [f for f in factors if f is not None and f.key not in IMPLEMENTATION_FACTORS]
    implementation = [f for f in factors if f is not None and f.key in IMPLEMENTATION_FACTORS]
    for title, group in (
        ("About the student and the goal", need),
        ("About the school (never changes the recommendation)", implementation),
    ):
        st.markdown(f"**{title}**")
        columns = st.columns(2)
        for index, factor in enumerate(group):
            start = int(row[factor.key]) if rated else 0
            with columns[index % 2]:
                values[factor.key] = st.radio(
                    f"{factor.label}: {factor.question}",
                    options=[0, 1, 2, 3],
                    index=start,
                    format_func=lambda r, f=factor: f"{r} · {f.meanings[r]}",
                    key=f"tw:{page}:{service_id}:{factor.key}",
                )
    base = district.service(service_id)
    extra = {"rated": True} if "rated" in Service.model_fields else {}
    candidate = scenarios.service_with(base, **values, **extra)
    evidence = progress_evidence(
        district.services[district.services["service_id"] == service_id],
        common.goal_summary(),
        rules,
    )
    rec = recommend(candidate, rules, evidence)
    model = getattr(rec.recommendation, "value", str(rec.recommendation))
    st.markdown(
        f"**With these ratings: {words.model_label(model)}** · "
        + privacy.escape_markdown(words.rec_split_text(rec))
    )
    for item in student_view.reasons(rec)[:5]:
        st.markdown("- " + privacy.escape_markdown(item.sentence))
    if rec.tipping_points:
        st.caption("What would change it:")
        for tip in rec.tipping_points:
            st.caption("- " + privacy.escape_markdown(tip.sentence))
    with st.container(horizontal=True, vertical_alignment="bottom"):
        note = st.text_input(
            "Note for this version (optional)",
            key=f"tw:{page}:{service_id}:note",
            placeholder="e.g. after the classroom observation",
            width=420,
        )
        if st.button("Save ratings", type="primary", key=f"tw:{page}:{service_id}:save"):
            meeting_date = st.session_state.get("meeting_date") if page == "meeting" else None
            try:
                version = _store().save_rating_version(
                    service_id, values, actor=_actor(), note=note, meeting_date=meeting_date
                )
            except Exception as error:
                if not _entry_error(error):
                    raise
                return
            common.refresh_data_version()  # the caches key on it: show the new version now
            st.session_state[SAVED_KEY] = (
                f"Saved the ratings of {words.service_label(str(row['service']))} "
                f"as version {version}."
            )
            st.rerun(scope="app")


def rating_history(service_id: str) -> None:
    """Every saved version of the service's ratings, newest first, with what changed."""
    from pushin_rules.models import FACTORS

    versions = _store().rating_versions(service_id)
    label = f"Rating history ({len(versions)} version{'s' if len(versions) != 1 else ''})"
    with st.expander(label, icon=":material/history:"):
        if not versions:
            st.caption("Not rated yet: no version saved.")
            return
        rules = common.rules()
        for newer, older in zip(versions, [*versions[1:], None], strict=True):
            when = newer.recorded_at.strftime("%Y-%m-%d %H:%M UTC")
            head = f"Version {newer.id} · {when} · {newer.recorded_by} · {newer.source}"
            if newer.meeting_date:
                head += f" · meeting {newer.meeting_date:%Y-%m-%d}"
            st.markdown(privacy.escape_markdown(head))
            if older is None:
                changed = [
                    f"{_label(rules, k)} {newer.ratings[k]}" for k in FACTORS if newer.ratings[k]
                ]
                text = "First version: " + (", ".join(changed) or "every rating 0")
            else:
                changed = [
                    f"{_label(rules, k)} {older.ratings[k]} → {newer.ratings[k]}"
                    for k in FACTORS
                    if newer.ratings[k] != older.ratings[k]
                ]
                text = "Changed: " + (", ".join(changed) or "nothing (same ratings saved again)")
            if newer.note:
                text += f". Note: {newer.note}"
            st.caption(privacy.escape_markdown(text))


def _label(rules, key: str) -> str:
    meta = words.factor_meta(rules, key)
    return meta.label if meta is not None else key


# --------------------------------------------------------------------------- probes


def probe_entry(goal_id: str, page: str = "student") -> None:
    """Editors: add a dated score to a goal; correct one entered here earlier."""
    if not common.can_edit():
        return
    with st.expander("Add a probe", icon=":material/add_chart:"):
        with st.form(f"tw:{page}:{goal_id}:probe", clear_on_submit=True, border=False):
            with st.container(horizontal=True):
                day = st.date_input("Date", key=f"tw:{page}:{goal_id}:probe_date", width=160)
                score = st.number_input(
                    "Score", value=None, step=1.0, key=f"tw:{page}:{goal_id}:score", width=140
                )
                setting = st.selectbox(
                    "Setting",
                    SETTING_CHOICES,
                    format_func=SETTING_LABELS.get,
                    key=f"tw:{page}:{goal_id}:setting",
                    width=200,
                )
            if st.form_submit_button("Add probe", type="primary"):
                try:
                    _store().add_probe(
                        goal_id, day, "" if score is None else score, setting, actor=_actor()
                    )
                except Exception as error:
                    if not _entry_error(error):
                        raise
                else:
                    common.refresh_data_version()
                    st.session_state[SAVED_KEY] = f"Added the probe of {day:%B %d, %Y}."
                    st.rerun()
        _probe_corrections(goal_id, page)


def _probe_corrections(goal_id: str, page: str) -> None:
    history = _store().probes(goal_id)
    if history.empty:
        st.caption("Probes entered here can be corrected here; imported scores by a new import.")
        return
    current = history[history["corrected_by"].isna()]
    options = current["id"].astype(int).tolist()
    shown = {
        int(r.id): f"{r.date:%Y-%m-%d}: {r.score:g} ({SETTING_LABELS[r.setting]})"
        for r in current.itertuples()
    }
    picked = st.selectbox(
        "Correct a probe entered here",
        options,
        format_func=lambda pid: shown.get(pid, str(pid)),
        key=f"tw:{page}:{goal_id}:fix_pick",
        index=None,
        placeholder="Pick the probe to correct",
    )
    if picked is not None:
        old = current[current["id"] == picked].iloc[0]
        with st.form(f"tw:{page}:{goal_id}:fix", border=False):
            with st.container(horizontal=True):
                day = st.date_input("Date", value=old["date"].date(), width=160)
                score = st.number_input("Score", value=float(old["score"]), step=1.0, width=140)
                setting = st.selectbox(
                    "Setting",
                    SETTING_CHOICES,
                    index=SETTING_CHOICES.index(old["setting"]),
                    format_func=SETTING_LABELS.get,
                    width=200,
                )
            note = st.text_input("Why (kept in the audit log)", width=420)
            if st.form_submit_button("Save correction"):
                try:
                    _store().correct_probe(
                        int(picked),
                        date=day,
                        score=score,
                        setting=setting,
                        actor=_actor(),
                        note=note,
                    )
                except Exception as error:
                    if not _entry_error(error):
                        raise
                else:
                    common.refresh_data_version()
                    st.session_state[SAVED_KEY] = f"Corrected the probe of {old['date']:%B %d}."
                    st.rerun()
    corrected = history[history["corrected_by"].notna()]
    for r in corrected.itertuples():
        st.caption(
            privacy.escape_markdown(
                f"Probe {r.id} ({r.date:%Y-%m-%d}: {r.score:g}) was corrected by probe "
                f"{int(r.corrected_by)}."
            )
        )


# --------------------------------------------------------------------------- service log


def service_log_entry(service_id: str, page: str = "student") -> None:
    """Editors: log one session of the service, delivered or missed and why."""
    from pushin_rules.data.contract import MISSED_REASONS

    if not common.can_edit():
        return
    row = _service_row(service_id)
    with (
        st.expander("Log a session", icon=":material/event_available:"),
        st.form(f"tw:{page}:{service_id}:log", clear_on_submit=True, border=False),
    ):
        with st.container(horizontal=True):
            day = st.date_input("Date", key=f"tw:{page}:{service_id}:log_date", width=160)
            setting = st.selectbox(
                "Setting",
                SETTING_CHOICES[1:],
                format_func=SETTING_LABELS.get,
                key=f"tw:{page}:{service_id}:log_setting",
                width=200,
            )
            minutes = st.number_input(
                "Minutes",
                min_value=1,
                max_value=24 * 60,
                value=int(row["session_minutes"]),
                step=5,
                key=f"tw:{page}:{service_id}:log_minutes",
                width=140,
            )
        with st.container(horizontal=True):
            status = st.radio(
                "Session",
                ["delivered", "missed"],
                format_func={"delivered": "Delivered", "missed": "Missed"}.get,
                horizontal=True,
                key=f"tw:{page}:{service_id}:log_status",
            )
            reason = st.selectbox(
                "Reason (when missed)",
                ("", *MISSED_REASONS),
                format_func=lambda r: r.replace("_", " ") if r else "-",
                key=f"tw:{page}:{service_id}:log_reason",
                width=220,
            )
        if st.form_submit_button("Log session", type="primary"):
            entry = {
                "service_id": service_id,
                "date": day,
                "setting": setting,
                "minutes": int(minutes),
                "status": status,
                "reason": reason if status == "missed" else "",
            }
            try:
                counts = _store().add_service_log([entry], actor=_actor())
            except Exception as error:
                if not _entry_error(error):
                    raise
            else:
                common.refresh_data_version()
                what = "Updated" if counts.updated else "Logged"
                st.session_state[SAVED_KEY] = f"{what} the session of {day:%B %d, %Y}."
                st.rerun()


def service_log_import() -> None:
    """Data page, editors: merge a service_log.csv into the stored log (all rows or none)."""
    if not common.can_edit():
        return
    st.subheader("Service log", anchor=False)
    st.caption(
        "Add sessions from a service_log.csv (columns service_id, date, setting, minutes, "
        "status, reason): rows with the same service, date and setting are updated, new ones "
        "added. A file with any problem changes nothing."
    )
    # Behind a switch: the district upload above stays the page's only file input until asked.
    if not st.toggle("Merge a service_log.csv into the stored log", key="tw_log_toggle"):
        return
    upload = st.file_uploader("service_log.csv", type=["csv"], key="tw_log_upload")
    if upload is not None and st.button("Import the service log", key="tw_log_import"):
        try:
            counts = _store().import_service_log(upload.getvalue(), actor=_actor())
        except Exception as error:
            if not _entry_error(error):
                raise
        else:
            common.refresh_data_version()
            st.success(f"Service log: {counts.inserted} added, {counts.updated} changed.")


def service_tools(service_id: str, page: str) -> None:
    """The team's work on one service: worksheet, rating history, session log."""
    rating_worksheet(service_id, page)
    rating_history(service_id)
    service_log_entry(service_id, page)
