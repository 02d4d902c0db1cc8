"""Data: the district in use, loading another one (checked first, switched only on success),
templates and the current data to download, and the audit log."""

from __future__ import annotations

import streamlit as st

from pages import common, team_work
from pushin_rules.data.loader import load_district, parse_district
from pushin_rules.errors import DistrictError, InputError
from pushin_rules.present import access, decision_log, exchange, privacy

RESULT_KEY = "data_import_result"


# ---- IEP-system exports (issue 16): SEIS files are recognised by their header row, shown as
# a preview (what will and will not be imported, with the report) and imported only when the
# user confirms, through the same checked, all-or-nothing path as any district.
SEIS_PREVIEW_KEY = "data_seis_preview"


def _seis_upload(raw: list[tuple[str, bytes]]) -> bool:
    """Hold a preview when the uploads are SEIS exports; False when they are not."""
    import datetime as dt

    from pushin_rules.data.importers import seis

    found = seis.recognise_files(dict(raw))
    if not found:
        st.session_state.pop(SEIS_PREVIEW_KEY, None)  # a plain district upload replaces it
        return False
    rosters = [k for k in ("iep_dates", "student_goals") if k in found]
    if "deliveries" not in found or not rosters:
        have = ", ".join(f"{name} ({seis.KIND_LABELS[k]})" for k, (name, _) in found.items())
        need = "a roster (IEP Dates or Student Goals)" if "deliveries" in found else "Deliveries"
        st.session_state[SEIS_PREVIEW_KEY] = {
            "error": f"Found {have}; upload {need} with it, together."
        }
        return True
    try:
        result = seis.import_seis(found["deliveries"], found[rosters[0]], dt.date.today())
    except InputError as error:
        st.session_state[SEIS_PREVIEW_KEY] = {"error": str(error)}
    else:
        st.session_state[SEIS_PREVIEW_KEY] = {"result": result}
    return True


def _seis_preview():
    """Show the held SEIS preview; on "Import", the checked district (or its problems)."""
    held = st.session_state.get(SEIS_PREVIEW_KEY)
    if not held:
        return None, None
    st.markdown("**SEIS exports: what will be imported**")
    if "error" in held:
        st.error(privacy.escape_markdown(held["error"]))  # it quotes file names and cells
        st.session_state.pop(SEIS_PREVIEW_KEY, None)
        return None, None
    result = held["result"]
    report = result.report
    skipped = int((report["outcome"] == "skipped").sum())
    with st.container(horizontal=True):
        st.metric("Students", f"{len(result.students):,}")
        st.metric("Schools", f"{len(result.schools):,}")
        st.metric("Services", f"{len(result.services):,}")
        st.metric("Rows not imported", f"{skipped:,}")
        st.metric("Imported with a note", f"{len(report) - skipped:,}")
    st.caption(
        "Nothing is stored yet. Need ratings arrive empty (not rated); the team rates each "
        "service before it gets a recommendation."
    )
    if len(report):
        st.dataframe(
            report,
            hide_index=True,
            width="stretch",
            column_config={
                "file": "File",
                "row": st.column_config.NumberColumn("Row", format="%d"),
                "what": "What",
                "why": st.column_config.TextColumn("Why", width="large"),
                "outcome": "Outcome",
            },
        )
    with st.container(horizontal=True):
        confirm = st.button("Import these students and services", type="primary")
        discard = st.button("Discard")
    if discard:
        st.session_state.pop(SEIS_PREVIEW_KEY, None)
        st.rerun()
    if not confirm:
        return None, None
    st.session_state.pop(SEIS_PREVIEW_KEY, None)
    try:
        return parse_district(result.files(), source=f"SEIS export ({result.source})"), None
    except DistrictError as error:
        return None, error


# ---- end of IEP-system exports

common.page_header(
    "Data",
    "The district the app is using, loading a new one, templates and the audit log.",
)

district = common.district()
store = common.store()

st.subheader("District in use")
source = district.source or "Stored district"
if source == str(common.SAMPLE_DIR):
    source = "Bundled sample (synthetic)"
st.markdown(
    f"**{privacy.escape_markdown(source)}**: "
    f"{len(district.students):,} students, {len(district.services):,} services, "
    f"{len(district.goals):,} goals, {len(district.progress):,} progress scores."
)
if district.notes:
    with st.expander("Notes from loading this district"):
        for note in district.notes:
            st.text(note)

st.subheader("Load a district")
if not common.can_edit():
    st.info(
        "Your account can view the district but not replace it. Ask a district editor to "
        "load new data."
    )
else:
    st.caption(
        "The files are checked first. If any cell is wrong you get the full list of problems "
        "and nothing changes; the app switches to the new district only when every file is "
        "valid. Required: students.csv and services.csv. Optional: schools.csv, "
        "providers.csv, goals.csv, progress.csv, service_log.csv."
    )
    st.caption(
        "Exports of SEIS (Deliveries with IEP Dates or Student Goals) are recognised by their "
        "header row, whatever their names: you see what will be imported, and every row that "
        "will not be and why, before anything is stored."
    )
    mode = st.radio(
        "How to load",
        options=["replace", "merge"],
        format_func={
            "replace": "Replace the district in use",
            "merge": "Add to it (rows with the same id are updated)",
        }.get,
        horizontal=True,
    )
    # Reading a folder reads the server's disk: only for the single local user, never on a
    # shared deployment with sign-in.
    shared = access.auth_configured(common.secrets())
    tabs = (
        ["Upload CSV files"] if shared else ["Upload CSV files", "Load a folder on this computer"]
    )
    upload_tab, folder_tab = (*st.tabs(tabs), None)[:2]
    with upload_tab, st.form("upload_form", border=False):
        uploads = st.file_uploader(
            "District CSV files (or one zip holding them)",
            type=["csv", "zip"],
            accept_multiple_files=True,
        )
        submitted_upload = st.form_submit_button("Check and load the uploaded files")
    folder, submitted_folder = "", False
    if folder_tab is not None:
        with folder_tab, st.form("folder_form", border=False):
            folder = st.text_input(
                "Folder", placeholder="/path/to/district", help="A folder holding the CSV files."
            )
            submitted_folder = st.form_submit_button("Check and load the folder")

    candidate = None
    failure: DistrictError | None = None
    upload_notes: list[str] = []
    if submitted_upload and _seis_upload([(u.name, u.getvalue()) for u in uploads or []]):
        pass  # SEIS exports: previewed below, imported on confirmation
    elif submitted_upload:
        files, upload_notes = exchange.uploaded_files((u.name, u.getvalue()) for u in uploads or [])
        try:
            candidate = parse_district(files, source="uploaded files")
        except DistrictError as error:
            failure = error
    elif submitted_folder and folder.strip():
        try:
            candidate = load_district(folder.strip())
        except DistrictError as error:
            failure = error
    if candidate is None and failure is None:
        candidate, failure = _seis_preview()
    if candidate is not None:
        try:
            # All or nothing: a district the database refuses (a merge that breaks a
            # reference) rolls back and is reported like any other problem.
            store.import_district(candidate, mode=mode, actor=common.current_user().name)
        except DistrictError as error:
            failure = error
        else:
            common.refresh_data_version()
            st.session_state[RESULT_KEY] = ("loaded", candidate.source, upload_notes)
            st.rerun()
    if failure is not None:
        st.session_state[RESULT_KEY] = ("failed", exchange.problems_frame(failure), upload_notes)

    result = st.session_state.get(RESULT_KEY)
    if result is not None:
        status, detail, notes = result
        if status == "failed":
            count = len(detail)
            st.error(
                f"The files have {count:,} problem{'s' if count != 1 else ''}. Nothing was "
                "loaded; the app is still using the district above."
            )
            # One list per file, so each file's problems can be fixed in one sitting.
            for file_name, problems in detail.groupby("file", sort=False):
                many = len(problems)
                st.markdown(
                    f"**{privacy.escape_markdown(file_name or '(no file)')}**: "
                    f"{many:,} problem{'s' if many != 1 else ''}"
                )
                st.dataframe(
                    problems.drop(columns="file"),
                    hide_index=True,
                    width="stretch",
                    column_config={
                        "row": st.column_config.NumberColumn("Row", format="%d"),
                        "column": "Column",
                        "value": "Value found",
                        "expected": st.column_config.TextColumn("What is expected", width="large"),
                    },
                )
        else:
            st.success(f"Loaded {detail}. Every page now uses this district.")
        for note in notes:
            st.caption(privacy.escape_markdown(note))

team_work.service_log_import()

st.subheader("Downloads")
export_labels = common.student_labels() if common.deidentified() else None
with st.container(horizontal=True):
    st.download_button(
        "Templates (zip of empty CSV files with one example row)",
        data=exchange.templates_zip(),
        file_name="district-templates.zip",
        mime="application/zip",
        icon=":material/download:",
    )
    st.download_button(
        "Current data (zip of CSV files)" + (", de-identified" if common.deidentified() else ""),
        data=lambda: exchange.district_zip(district, export_labels),
        file_name="district-data.zip",
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
    )

st.subheader("Audit log")
st.caption("Who loaded data and who recorded decisions, and when (newest first).")
audit = decision_log.audit_table(store.audit_log(limit=200))
if common.deidentified():
    audit = decision_log.deidentify_audit(audit, common.student_labels().to_dict())
if audit.empty:
    st.info("Nothing has been recorded yet.")
else:
    # A table that wraps its text: the details are read whole, not cut at a column edge.
    shown = audit.rename(columns={"when": "When", "who": "Who", "what": "What"})
    shown = shown.rename(columns={"details": "Details"}).set_index("When")
    recent = 20
    st.table(shown.head(recent))
    if len(shown) > recent:
        with st.expander(f"Older entries ({len(shown) - recent:,})"):
            st.table(shown.iloc[recent:])
