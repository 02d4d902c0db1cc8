"""Page glue shared by every page: cached access to the store, the district, the rule set and
what is derived from them, the signed-in user, and the sidebar chrome.

Nothing here decides anything: it calls pushin_rules and caches the answers, keyed on the
district's stored version and the rule set's hash, so a rerun recomputes only what changed.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

import pandas as pd
import streamlit as st

from pushin_rules.present import access, privacy


def _no_address_lookups() -> None:
    """Streamlit checks a websocket from another web site against this machine's own
    addresses, which it finds by opening a socket toward 8.8.8.8 and asking
    checkip.amazonaws.com: calls to outside addresses. This server only listens on this
    machine, so its addresses are settled here, once, when the first page loads."""
    from streamlit import net_util

    net_util._internal_ip = net_util._internal_ip or "127.0.0.1"
    net_util._external_ip = net_util._external_ip or "127.0.0.1"


_no_address_lookups()

ROOT = Path(__file__).resolve().parent.parent
SAMPLE_DIR = ROOT / "sample_data"
DEIDENTIFIED_KEY = "deidentified"
LABEL_MODE_KEY = "deidentified_mode"


def secrets() -> Mapping[str, object]:
    """Streamlit secrets as a plain mapping ({} when there is no secrets file)."""
    try:
        return {key: st.secrets[key] for key in st.secrets}
    except (FileNotFoundError, KeyError, OSError):
        return {}
    except Exception:  # st.secrets raises its own parse error for a broken secrets.toml
        st.error("The secrets file could not be read; running without it.")
        return {}


@st.cache_resource(show_spinner="Opening the database...")
def _open_store(url: str, seed: str | None):
    from pushin_rules.data.store import Store

    return Store.open(url, seed_dir=Path(seed) if seed else None)


def store():
    """The district's database (SQLite file by default, PostgreSQL through a URL)."""
    from pushin_rules.data.store import database_url

    seed = None if os.environ.get("PUSHIN_SEED", "").lower() == "none" else str(SAMPLE_DIR)
    return _open_store(database_url(secrets()), seed)


VERSION_KEY = "_data_version"


def refresh_data_version() -> str:
    """Read the stored district's version once per run (app.py calls this); every cache
    below keys on it, and asking the database for each of them cost a query apiece."""
    version = str(store().district_version())
    st.session_state[VERSION_KEY] = version
    return version


def data_version() -> str:
    """Changes on every import: the version read at the start of this run."""
    found = st.session_state.get(VERSION_KEY)
    return found if isinstance(found, str) else refresh_data_version()


@st.cache_resource(max_entries=4, show_spinner="Loading the district...")
def _district(version: str, _store):
    return _store.load_district()


def district():
    return _district(data_version(), store())


@st.cache_resource(show_spinner=False)
def _rules(path: str | None):
    from pushin_rules.decide.rules import load_rules

    return load_rules(Path(path) if path else None)


def rules():
    """The rule set in use: the shipped one, or a district's file named by PUSHIN_RULES."""
    return _rules(os.environ.get("PUSHIN_RULES") or secrets().get("rules_file") or None)


@st.cache_resource(max_entries=8, show_spinner="Scoring every service...")
def _recommendations(version: str, rules_hash: str, _district, _rules) -> pd.DataFrame:
    from pushin_rules.decide.recommend import recommend_district

    return recommend_district(_district, _rules)


def recommendations() -> pd.DataFrame:
    """One row per service: the engine's recommendation, split, reasons and LRE figures."""
    current = rules()
    return _recommendations(data_version(), current.file_hash, district(), current)


@st.cache_resource(max_entries=8, show_spinner="Reading the progress data...")
def _goal_summary(version: str, rules_hash: str, _district, _rules) -> pd.DataFrame:
    from pushin_rules.decide.progress import goal_summary

    return goal_summary(_district, _rules.progress)


def goal_summary() -> pd.DataFrame:
    """One row per goal: baseline, aimline, trend, decision rules, projection."""
    current = rules()
    return _goal_summary(data_version(), current.file_hash, district(), current)


def deidentified() -> bool:
    return bool(st.session_state.get(DEIDENTIFIED_KEY, False))


# The de-identified display must survive a reload and a new tab: session state alone does not
# (a reload starts a new session). It is kept in the page address (?deid=pseudonyms or
# ?deid=initials; ?deid=off overrides an operator default) and a projector machine can be set
# to start de-identified (`deidentified_default = true` in secrets.toml, or the environment
# variable PUSHIN_DEIDENTIFIED_DEFAULT=1).
DEID_PARAM = "deid"
_PARAM_MODES = {"pseudonyms": privacy.PSEUDONYM, "initials": privacy.INITIALS}
_MODE_PARAMS = {mode: param for param, mode in _PARAM_MODES.items()}
_TRUE = {"1", "true", "yes", "on"}


def deidentified_default() -> bool:
    """The operator's setting for this machine: start every session de-identified."""
    value = secrets().get("deidentified_default")
    if value is None:
        value = os.environ.get("PUSHIN_DEIDENTIFIED_DEFAULT", "")
    return str(value).strip().lower() in _TRUE


def sync_deidentified() -> None:
    """Settle the de-identified display for this run: a new session (first visit, reload, new
    tab) takes it from the page address, else from the operator default; then the address is
    written back, since Streamlit drops query parameters when the page changes."""
    if DEIDENTIFIED_KEY not in st.session_state:
        param = str(st.query_params.get(DEID_PARAM, "")).strip().lower()
        if param in _PARAM_MODES:
            on, mode = True, _PARAM_MODES[param]
        elif param in {"off", "0", "false", "names"}:
            on, mode = False, privacy.PSEUDONYM
        else:
            on, mode = deidentified_default(), privacy.PSEUDONYM
        st.session_state[DEIDENTIFIED_KEY] = on
        st.session_state.setdefault(LABEL_MODE_KEY, mode)
    _write_deid_param()


def _write_deid_param() -> None:
    if deidentified():
        mode = st.session_state.get(LABEL_MODE_KEY, privacy.PSEUDONYM)
        wanted: str | None = _MODE_PARAMS.get(mode, "pseudonyms")
    else:
        wanted = "off" if deidentified_default() else None
    if wanted is None:
        if DEID_PARAM in st.query_params:
            del st.query_params[DEID_PARAM]
    elif st.query_params.get(DEID_PARAM) != wanted:
        st.query_params[DEID_PARAM] = wanted


def display_mode() -> str:
    """How students are shown now: "names", "pseudonym" or "initials"."""
    if not deidentified():
        return "names"
    return str(st.session_state.get(LABEL_MODE_KEY, privacy.PSEUDONYM))


def mode_key(base: str) -> str:
    """A widget key that changes with the display mode. Streamlit keeps a widget's label,
    options and typed text while its key stays the same, so every widget that shows a
    student's label (or text that may name one) is keyed on the mode: switching the mode
    builds it afresh with the labels of the new mode."""
    return f"{base}@{display_mode()}"


@st.cache_resource(max_entries=8, show_spinner=False)
def _labels(version: str, mode: str | None, salt: str, _district) -> pd.Series:
    return privacy.display_labels(_district.students, mode, salt)


def student_labels() -> pd.Series:
    """student_id -> what to show for that student: the name, or its de-identified stand-in."""
    mode = st.session_state.get(LABEL_MODE_KEY, privacy.PSEUDONYM) if deidentified() else None
    salt = str(secrets().get("pseudonym_salt", ""))
    return _labels(data_version(), mode, salt, district())


def student_label(student_id: str) -> str:
    return str(student_labels().get(student_id, student_id))


def user() -> access.Access | None:
    """The person using the app: the single local user (an editor) when sign-in is not
    configured; otherwise the signed-in user with their role, or None when this visitor may
    see no page (not signed in, or not on the allowlist)."""
    settings = secrets()
    if not access.auth_configured(settings):
        return access.local_access()
    if not st.user.is_logged_in:
        return None
    email = str(st.user.get("email") or "")
    # The allowlist trusts the email claim; an identity provider that says it is unverified
    # could be vouching for an address anyone can type.
    if st.user.get("email_verified") is False:
        return None
    role = access.role_for(email, settings.get("access"))  # type: ignore[arg-type]
    if role is None:
        return None
    return access.Access(name=email or str(st.user.get("name") or "signed-in user"), role=role)


def gate_page() -> None:
    """The only page a visitor without access gets: sign in, or a polite refusal."""
    st.title("Push-in / pull-out decision support")
    if not st.user.is_logged_in:
        st.info(
            "This district's records are private. Sign in with your district account to continue."
        )
        st.button("Sign in", type="primary", on_click=st.login)
        return
    email = str(st.user.get("email") or st.user.get("name") or "this account")
    st.warning(
        f"You are signed in as {email}, but this account has not been given access to the "
        "district's records. Please ask your district administrator to add you as a viewer "
        "or an editor."
    )
    st.button("Sign out", on_click=st.logout)


def current_user() -> access.Access:
    """The user allowed to see this page. Resolved again on every page, not only in app.py:
    on a fresh server Streamlit can run a file of pages/ for its URL before app.py's router
    exists, and that run must meet the same gate."""
    who = user()
    if who is None:
        gate_page()
        st.stop()
    return who


def can_edit() -> bool:
    return current_user().can_edit


_ROUTER = {"seen": False}
WANTED_PAGE_KEY = "_wanted_page"


def mark_routed() -> None:
    """app.py has built its navigation in this server process (from then on Streamlit routes
    every address through app.py)."""
    _ROUTER["seen"] = True


def _through_the_router() -> None:
    """On a fresh server Streamlit runs the file of pages/ named by the address on its own,
    without app.py (no sidebar, no de-identified switch). Send that visit through app.py,
    which then opens the page that was asked for."""
    if _ROUTER["seen"]:
        return
    page = sys._getframe(2).f_globals.get("__file__")
    if page:
        st.session_state[WANTED_PAGE_KEY] = str(Path(page).relative_to(ROOT))
    st.switch_page(str(ROOT / "app.py"))


def page_header(title: str, help: str) -> None:
    """Every page starts here, so the sign-in gate runs before anything is shown."""
    current_user()
    sync_deidentified()  # before the router detour, which drops the page address
    _through_the_router()
    st.title(title)
    st.caption(help)


def sidebar(who: access.Access) -> None:
    """District in use, rule set, de-identified switch and who is signed in."""
    with st.sidebar:
        st.toggle(
            "De-identified display",
            key=DEIDENTIFIED_KEY,
            on_change=_write_deid_param,
            help="Show pseudonyms instead of student names on every page, chart and export "
            "(for projectors and training). Kept in the page address, so a reload or a new "
            "tab stays de-identified.",
        )
        if deidentified():
            st.session_state.setdefault(LABEL_MODE_KEY, privacy.PSEUDONYM)
            st.radio(
                "Show students as",
                options=[privacy.PSEUDONYM, privacy.INITIALS],
                format_func={privacy.PSEUDONYM: "Pseudonyms", privacy.INITIALS: "Initials"}.get,
                key=LABEL_MODE_KEY,
                on_change=_write_deid_param,
                horizontal=True,
            )
        current = district()
        source = current.source or "stored district"
        if Path(source).resolve() == SAMPLE_DIR:
            source = "bundled sample (synthetic)"
        st.caption(
            f"**District:** {privacy.escape_markdown(Path(source).name or source)}  \n"
            f"{len(current.students):,} students · {len(current.services):,} services"
        )
        rule_set = rules()
        st.caption(
            f"**Rules:** {privacy.escape_markdown(rule_set.name)} "
            f"v{privacy.escape_markdown(rule_set.version)}"
        )
        if who.name == access.LOCAL_USER:
            st.caption("Single local user (sign-in is not configured)")
        else:
            st.caption(f"Signed in as {privacy.escape_markdown(who.name)} ({who.role})")
            st.button("Sign out", on_click=st.logout)


# ------------------------------------------------------------------ one student's pages
# The Student and Meeting pages (and What-if's service picker) show the same student data;
# it is cached here once, keyed on the data version, the rule set and the display mode.


def label_key() -> tuple:
    """What a student label depends on: the data, and how names are shown."""
    return (data_version(), deidentified(), st.session_state.get(LABEL_MODE_KEY))


@st.cache_resource(max_entries=8, show_spinner=False)
def _student_choices(key: tuple, with_services: bool, _district, _labels):
    from pushin_rules.present import caseload

    return caseload.student_choices(_district, _labels, with_services), _labels.to_dict()


def student_choices(with_services: bool = False) -> tuple[list[str], dict[str, str]]:
    """Student ids in the order a picker lists them, and the label shown for each."""
    return _student_choices(label_key(), with_services, district(), student_labels())


FOUND_KEY = "_found_students"


def _find_student(box_key: str) -> None:
    """The private finder's callback: match what was typed on the server (real names and
    ids), remember the matching ids, jump to the best one, and clear the box so the typed
    name is not left on screen."""
    text = str(st.session_state.get(box_key, "") or "")
    st.session_state[box_key] = ""
    if not text.strip():
        st.session_state.pop(FOUND_KEY, None)
        return
    matches = privacy.find_students(district().students, text)
    st.session_state[FOUND_KEY] = matches
    if matches:
        st.session_state["student_id"] = matches[0]


def _clear_found() -> None:
    st.session_state.pop(FOUND_KEY, None)


def pick_student(widget_key: str) -> str:
    """The student picker: starts from the student chosen on any page, and remembers the
    pick for the others. Stops the page with a pointer to the Data page when there is none.

    The picker is keyed on the display mode, so switching to pseudonyms or initials builds it
    afresh (no real name left in it) on the same student. Beside it a finder takes a name or
    an id, matches it on the server and shows only the labels of the students found; in the
    de-identified display what is typed is masked and cleared once it has been matched."""
    ids, names = student_choices()
    if not ids:
        st.info("This district has no students yet. Load a district on the Data page.")
        st.page_link("pages/data.py", label="Go to the Data page", icon=":material/database:")
        st.stop()
    found = [sid for sid in st.session_state.get(FOUND_KEY) or [] if sid in names]
    options = found or ids
    wanted = st.session_state.get("student_id")
    if wanted not in options:
        wanted = options[0]
    key = mode_key(widget_key)
    if st.session_state.get(key) != wanted:
        st.session_state[key] = wanted
    with st.container(horizontal=True, vertical_alignment="bottom"):
        student_id = st.selectbox(
            "Student",
            options,
            format_func=lambda sid: str(names.get(sid, sid)),
            key=key,
            on_change=lambda: st.session_state.update(student_id=st.session_state[key]),
            width=360,
        )
        box = mode_key(widget_key + ":find")
        st.text_input(
            "Find a student by name or id",
            key=box,
            on_change=_find_student,
            args=(box,),
            type="password" if deidentified() else "default",
            placeholder="Type a name or id, then Enter",
            help="Matches the real name or the student id on the server. In the de-identified "
            "display the typed text is hidden and cleared, and only the pseudonym or initials "
            "of the students found are shown.",
            width=300,
        )
        if found:
            st.button("Show every student", on_click=_clear_found, icon=":material/close:")
    if FOUND_KEY in st.session_state and not found:
        st.caption("No student matches what was typed.")
        st.session_state.pop(FOUND_KEY, None)
    elif len(found) > 1:
        st.caption(f"{len(found)} students match; the picker lists only them.")
    st.session_state["student_id"] = student_id
    return student_id


@st.cache_resource(max_entries=64, show_spinner=False)
def _student_recommendations(key: tuple, student_id: str, _district, _rules, _goals):
    from pushin_rules.present import student_view

    recommendations = student_view.student_recommendations(_district, _rules, _goals, student_id)
    services = {r.service_id: _district.service(r.service_id) for r in recommendations}
    return _district.student(student_id), recommendations, services


def student_recommendations(student_id: str):
    """The student's record, each service's Recommendation, and the services by id."""
    current = rules()
    key = (data_version(), current.file_hash)
    return _student_recommendations(key, student_id, district(), current, goal_summary())


@st.cache_resource(max_entries=256, show_spinner=False)
def _goal_charts(
    key: tuple, service_id: str, hidden: bool, shown_as: str, wording: str, _district, _rules
):
    import dataclasses
    import textwrap

    from streamlit import dataframe_util

    from pushin_rules.present import charts, decision_log, student_view

    owner = _district.services.loc[_district.services["service_id"] == service_id, "student_id"]
    name = ""
    if hidden and not owner.empty:
        name = str(_district.student(str(owner.iloc[0])).name)
    out = []
    for item in student_view.goal_views(_district, service_id, _rules.progress_settings()):
        if hidden:
            # Goal text does not identify a child, and families need it to know what a goal
            # is; a name typed inside it is replaced like in rationales.
            described = decision_log.redact(item.description, name, shown_as) if name else ""
            item = dataclasses.replace(item, description=described)
        chart = charts.progress_chart(
            item.goal,
            item.points,
            item.analysis,
            title=item.title,
            deidentified_title=item.title if hidden else None,
            wording=wording,
            # Narrow enough that its title and legends fit a graph column at 1024 px;
            # the chart still stretches to a wider column.
            width=300,
            height=260,
        )
        spec = charts.column_spec(chart)
        heading = spec.get("title")
        if isinstance(heading, dict) and isinstance(heading.get("text"), str):
            # Vega cuts a title wider than the graph; a long one goes on two lines instead.
            heading["text"] = textwrap.wrap(heading["text"], 26) or heading["text"]
        # Arrow bytes now, once, instead of Streamlit converting every dataset on every rerun.
        spec["datasets"] = {
            name: dataframe_util.convert_anything_to_arrow_bytes(rows)
            for name, rows in spec.get("datasets", {}).items()
        }
        out.append((item, chart, spec))
    return out


def goal_charts(service_id: str, wording: str = "technical") -> list:
    """(goal view, Altair chart, pre-encoded spec) for each goal of one service; `wording`
    "family" draws the legend in family words (Meeting page, take-home summary)."""
    current = rules()
    key = (data_version(), current.file_hash)
    hidden = deidentified()
    shown_as = ""
    if hidden:
        owner = district().services.loc[district().services["service_id"] == service_id]
        if not owner.empty:
            shown_as = student_label(str(owner["student_id"].iloc[0]))
    return _goal_charts(key, service_id, hidden, shown_as, wording, district(), current)
