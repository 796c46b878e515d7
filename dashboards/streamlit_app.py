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
# Bound to the query string, the language travels with a link a reader shares (?lang=English, the option's
# label, the same in either language) and stays in the URL from page to page; French, the default, leaves it out.
st.session_state.setdefault(SESSION_KEY, DEFAULT_LANG)
st.sidebar.radio(
    t("lang.label"),
    options=list(LANGUAGES),
    format_func=LANGUAGES.__getitem__,
    key=SESSION_KEY,
    horizontal=True,
    bind="query-params",
)
st.sidebar.caption(t("app.caption"))

# The retention page is the default, served at the root, where the dashboard is opened; Streamlit serves the default
# page there only (its path is ""), so it is also a page at /retention, a link a committee member may bookmark or
# share. The root does not switch to /retention: the browser keeps a switch in its history, and Back from /retention
# reopened the root, which switched on again, the reader kept from the page they came from.


def pages(retention_shown_at: str = "") -> list[st.Page]:
    """The navigation, the retention page's entry in the sidebar the one at `retention_shown_at` (the root or
    "retention"), its twin at the other path hidden."""
    retention = [
        st.Page(
            PAGES_DIR / "retention.py",
            title=t("nav.retention"),
            icon=":material/house:",
            url_path=path,
            default=path == "",
            visibility="visible" if path == retention_shown_at else "hidden",
        )
        for path in ("", "retention")
    ]
    indicators = st.Page(
        PAGES_DIR / "indicators.py", title=t("nav.indicators"), icon=":material/bar_chart:", url_path="indicators"
    )
    return [*retention, indicators]


page = st.navigation(pages())
if page.url_path == "retention":
    # The sidebar marks as open only the entry of the page that runs: at /retention, the hidden twin, so no entry was
    # marked. Told again with /retention's entry in the root's place, it marks that one; the URL stays as it is.
    page = st.navigation(pages(retention_shown_at="retention"))
page.run()
