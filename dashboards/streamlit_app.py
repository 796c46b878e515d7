"""abord dashboards: `streamlit run dashboards/streamlit_app.py`.

The entry script sets the page, the language switch and the navigation; each page lives in app_pages/.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboards.i18n import DEFAULT_LANG, LANGUAGES, SESSION_KEY, t

PAGES_DIR = Path(__file__).parent / "app_pages"

st.set_page_config(page_title="abord", page_icon=":material/home:", layout="wide")

# The radio owns st.session_state["lang"]; set before it so every page sees a language from the first run.
st.session_state.setdefault(SESSION_KEY, DEFAULT_LANG)
st.sidebar.radio(
    t("lang.label"),
    options=list(LANGUAGES),
    format_func=LANGUAGES.__getitem__,
    key=SESSION_KEY,
    horizontal=True,
)
st.sidebar.caption(t("app.caption"))

retention = st.Page(PAGES_DIR / "retention.py", title=t("nav.retention"), icon=":material/house:", url_path="retention")
indicators = st.Page(
    PAGES_DIR / "indicators.py", title=t("nav.indicators"), icon=":material/bar_chart:", url_path="indicators"
)


def _root() -> None:
    # Streamlit serves the default page at the root only (its path is ""): the retention page as default made
    # /retention, a link a committee member bookmarked or shared, "Page not found". The root is a hidden page
    # sending on to retention's own path, keeping the query string (a shared link's choices).
    st.switch_page(retention, query_params=st.query_params.to_dict())


home = st.Page(_root, title=t("nav.retention"), url_path="home", default=True, visibility="hidden")
st.navigation([home, retention, indicators]).run()
