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
    district = common.district()
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
    students = district.students.set_index("student_id")["name"]
    names = shown["student_id"].map(labels).fillna(shown["student_id"].map(students))
    view = pd.DataFrame(
        {
            "student": names.astype(object).fillna(shown["student_id"]).to_numpy(),
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
