"""Router and shared chrome: who is signed in, the district and rule set in use, the
de-identified switch, and the pages."""

from __future__ import annotations

import streamlit as st

from pages import common

st.set_page_config(
    page_title="Push-in / pull-out decision support",
    page_icon=str(common.ROOT / "docs" / "icon.png"),  # served locally: no outside fetch
    layout="wide",
)

# Nobody reaches a page before this line lets them (sign-in and allowlist when configured).
# The gate still goes through st.navigation: without it Streamlit would fall back to listing
# every file in pages/ by itself.
who = common.user()
if who is None:
    st.navigation([st.Page(common.gate_page, title="Sign in")], position="hidden").run()
    st.stop()
st.session_state["_access"] = who
common.sync_deidentified()  # from the page address or the operator default
common.refresh_data_version()

navigation = st.navigation(
    {
        "Plan": [
            st.Page(
                "pages/caseload.py", title="Caseload", icon=":material/table_view:", default=True
            ),
            st.Page("pages/student.py", title="Student", icon=":material/person:"),
            st.Page("pages/what_if.py", title="What-if", icon=":material/tune:"),
            st.Page("pages/meeting.py", title="Meeting", icon=":material/groups:"),
        ],
        "Learn and manage": [
            st.Page("pages/trainer.py", title="Trainer", icon=":material/school:"),
            st.Page("pages/data.py", title="Data", icon=":material/database:"),
        ],
    }
)
common.mark_routed()
wanted = st.session_state.pop(common.WANTED_PAGE_KEY, None)
if wanted:  # an address opened before the router existed (see common._through_the_router)
    st.switch_page(wanted)
common.sidebar(who)
navigation.run()
