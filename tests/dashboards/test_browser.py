"""The whole app in a real browser: `streamlit run` as a server, Debian's chromium driven by playwright."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

import pytest
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from tests.dashboards.conftest import LATEST, curve_rows

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NBSP = "\u00a0"
# A whole script run, the first one importing and connecting, on a 2-core machine busy with other work: only a
# broken app takes longer.
RUN_TIMEOUT_S = 90

pytestmark = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="Debian chromium not installed (/usr/bin/chromium): apt-get install chromium",
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_healthy(url: str, server: subprocess.Popen[bytes], log: Path, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"streamlit exited with {server.returncode}:\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=1) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    pytest.fail(f"streamlit not healthy after {timeout}s:\n{log.read_text()[-2000:]}")


@pytest.fixture
def app_url(published_db: str, tmp_path: Path) -> Iterator[str]:
    """The dashboards served on a free port, reading the seeded warehouse."""
    port = _free_port()
    log = tmp_path / "streamlit.log"
    env = {**os.environ, "ABORD_DATABASE_URL": published_db}
    command = [
        sys.executable, "-m", "streamlit", "run", "dashboards/streamlit_app.py",
        "--server.headless", "true", "--server.port", str(port), "--server.address", "127.0.0.1",
        "--server.fileWatcherType", "none", "--browser.gatherUsageStats", "false",
    ]  # fmt: skip
    with log.open("wb") as out:
        server = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            url = f"http://127.0.0.1:{port}"
            _wait_healthy(url, server, log)
            yield url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


class Dashboard:
    """A page of the app in chromium, knowing when the script run an action started has finished.

    Streamlit shows a run's elements as they come, over the previous run's: a heading of the new run can be on
    screen while the rest is still being computed, and an absent element proves nothing until the run is over.
    The frontend only learns that a run started when the server says so, so no DOM state tells a run not yet
    begun from one finished; the server's own message ending the run (a ForwardMsg on the app's websocket) does,
    and then the page's own state says when the browser has drawn it.
    """

    def __init__(self, page: Page) -> None:
        self.page = page
        self.runs_finished = 0
        page.on("websocket", lambda socket: socket.on("framereceived", self._count_run))

    def _count_run(self, payload: str | bytes) -> None:
        if isinstance(payload, bytes):
            message = ForwardMsg.FromString(payload)
            # A run cut short by the next one (FINISHED_EARLY_FOR_RERUN) is not the one waited for.
            if (
                message.WhichOneof("type") == "script_finished"
                and message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
            ):
                self.runs_finished += 1

    @contextmanager
    def rerun(self) -> Iterator[None]:
        """Waits, after the block's action (opening the page, a click, a choice), for the run it started."""
        before = self.runs_finished
        yield
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while self.runs_finished == before:
            if time.monotonic() > deadline:
                pytest.fail(f"the app's script run did not finish within {RUN_TIMEOUT_S}s")
            self.page.wait_for_timeout(50)  # playwright delivers the websocket's frames while it waits
        self._drawn(deadline)

    def _drawn(self, deadline: float) -> None:
        """Waits for the browser to show the finished run: it reads the run's messages after playwright sees
        them, and draws a kind of element (metric, selectbox, chart, table...) first met on the page with code
        it loads then, showing a grey skeleton meanwhile. On a busy machine chromium took over 5 s (an
        assertion's wait) to draw the first metric card of the opened page, its heading already shown."""
        from playwright.sync_api import expect

        timeout_ms = max(deadline - time.monotonic(), 1) * 1000
        expect(self.page.get_by_test_id("stApp")).to_have_attribute(
            "data-test-script-state", "notRunning", timeout=timeout_ms
        )
        expect(self.page.get_by_test_id("stSkeleton")).to_have_count(0, timeout=timeout_ms)

    def switch_to(self, language: str) -> None:
        with self.rerun():
            self.page.get_by_text(language, exact=True).click()

    def choose(self, label: str, option: str) -> None:
        with self.rerun():
            self.page.get_by_test_id("stSelectbox").filter(has_text=label).click()
            self.page.get_by_role("option", name=option, exact=True).click()

    def choice(self, label: str) -> Locator:
        """The selectbox's input, its value the label of the option chosen."""
        return self.page.get_by_role("combobox", name=label, exact=True)


@contextmanager
def opened(app_url: str, path: str = "", height: int = 1600) -> Iterator[Dashboard]:
    """A page of the app in chromium, 1280 px wide, its first run over: in French unless `path`'s query string
    says otherwise."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            dashboard = Dashboard(browser.new_page(viewport={"width": 1280, "height": height}))
            with dashboard.rerun():
                dashboard.page.goto(f"{app_url}/{path}")
            yield dashboard
        finally:
            browser.close()


def test_french_then_english_in_chromium(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with opened(app_url, height=2200) as dashboard:
        page = dashboard.page
        expect(page.get_by_role("heading", name="Maintien dans le logement à 12 mois")).to_be_visible()
        # The programme-wide value in the first metric card, and a table cell, formatted in French.
        expect(page.get_by_test_id("stMetricValue").first).to_have_text(f"86,0{NBSP}%")
        lyon_2023_t1 = (
            page.get_by_role("row")
            .filter(has=page.get_by_role("cell", name="Lyon", exact=True))
            .filter(has=page.get_by_role("cell", name="2023-T1", exact=True))
        )
        expect(lyon_2023_t1).to_contain_text(f"85,7{NBSP}%")
        expect(page.get_by_role("cell", name="< 11").first).to_be_visible()
        # The chart by entry cohort is the quarterly series: no quarter-after-quarter section beside it.
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
        expect(page.get_by_text("le graphique suit le maintien trimestre après trimestre")).to_be_visible()
        expect(page.get_by_role("heading", name="Trimestre après trimestre")).to_have_count(0)
        page.screenshot(path=tmp_path / "retention_fr.png", full_page=True)

        dashboard.switch_to("English")
        expect(page.get_by_role("heading", name="12-month housing retention")).to_be_visible()
        expect(page.get_by_test_id("stMetricValue").first).to_have_text("86.0%")
        page.screenshot(path=tmp_path / "retention_en.png", full_page=True)


def test_each_page_opens_at_its_own_path_in_french_then_english(app_url: str) -> None:
    """A page's link, bookmarked or shared, opens that page and keeps its path in either language, the sidebar
    marking that page's entry, and it alone, as the page open; the root opens the retention page (opening
    /retention said 'Page not found', the default page being served at the root only, then marked no entry: what
    ran there was a hidden twin of the root's page)."""
    from playwright.sync_api import expect

    def shows(page: Page, url: str, heading: str, entry: str) -> None:
        expect(page.get_by_role("heading", name=heading)).to_be_visible()
        expect(page).to_have_url(url)
        sidebar = page.get_by_test_id("stSidebarNav")
        expect(sidebar.get_by_role("link")).to_have_count(2)
        expect(sidebar.get_by_role("link", name=entry)).to_have_attribute("aria-current", "page")
        expect(sidebar.locator("[aria-current=page]")).to_have_count(1)

    # Each path's heading and sidebar entry, in French then English.
    retention = (
        ("Maintien dans le logement à 12 mois", "Maintien dans le logement"),
        ("12-month housing retention", "Housing retention"),
    )
    indicators = (("Indicateurs publiés", "Indicateurs"), ("Published indicators", "Indicators"))
    for path, (french, english) in {"": retention, "retention": retention, "indicators": indicators}.items():
        with opened(app_url, path) as dashboard:
            page = dashboard.page
            shows(page, f"{app_url}/{path}", *french)
            dashboard.switch_to("English")
            shows(page, f"{app_url}/{path}?lang=English", *english)
            expect(page.get_by_text("Page not found")).to_have_count(0)


def test_back_from_the_dashboard_returns_to_the_page_before_it(app_url: str) -> None:
    """Opened at its root by a shared link, the dashboard shows the retention page there, whole query string kept,
    the sidebar marking it as the page open; Back and Forward step through its pages, and Back from the first one
    leaves the dashboard. The root switched to /retention, a step the browser kept: Back reopened the root, which
    switched on again, and the reader could not leave."""
    from playwright.sync_api import expect

    shared = f"{app_url}/?from=bulletin&from=email"
    with opened(app_url, "?from=bulletin&from=email") as dashboard:
        page = dashboard.page
        expect(page.get_by_role("heading", name="Maintien dans le logement à 12 mois")).to_be_visible()
        expect(page).to_have_url(shared)
        sidebar = page.get_by_test_id("stSidebarNav")
        expect(sidebar.get_by_role("link", name="Maintien dans le logement")).to_have_attribute("aria-current", "page")
        with dashboard.rerun():
            sidebar.get_by_role("link", name="Indicateurs").click()
        expect(page.get_by_role("heading", name="Indicateurs publiés")).to_be_visible()
        expect(page).to_have_url(f"{app_url}/indicators")

        with dashboard.rerun():
            page.go_back()
        expect(page.get_by_role("heading", name="Maintien dans le logement à 12 mois")).to_be_visible()
        expect(page).to_have_url(shared)
        with dashboard.rerun():
            page.go_forward()
        expect(page.get_by_role("heading", name="Indicateurs publiés")).to_be_visible()
        with dashboard.rerun():
            page.go_back()
        page.go_back()
        expect(page).to_have_url("about:blank")


def test_a_shared_link_opens_in_the_language_it_was_shared_in(app_url: str) -> None:
    """A reader who switched to English shares the page open: the link opens it in English, shared from the page
    where they switched as from the page they went to next (a link said nothing of the language, and opened in
    French). Back in French, the default, the link says nothing of it again."""
    from playwright.sync_api import expect

    shared = {"retention?lang=English": "12-month housing retention", "indicators?lang=English": "Published indicators"}
    with opened(app_url, "retention") as dashboard:
        page = dashboard.page
        dashboard.switch_to("English")
        expect(page).to_have_url(f"{app_url}/retention?lang=English")
        with dashboard.rerun():
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Indicators").click()
        expect(page.get_by_role("heading", name="Published indicators")).to_be_visible()
        expect(page).to_have_url(f"{app_url}/indicators?lang=English")
        dashboard.switch_to("Français")
        expect(page).to_have_url(f"{app_url}/indicators")
    for link, heading in shared.items():
        with opened(app_url, link) as dashboard:
            expect(dashboard.page.get_by_role("heading", name=heading)).to_be_visible()
            expect(dashboard.page.get_by_role("radio", name="English")).to_be_checked()
            expect(dashboard.page).to_have_url(f"{app_url}/{link}")


def link_codes(page: Page) -> dict[str, str]:
    """The choices the page's URL carries: each query parameter's value."""
    return {name: value for name, (value,) in parse_qs(urlsplit(page.url).query).items()}


def test_a_shared_link_opens_on_the_choices_it_carries_in_either_language(app_url: str) -> None:
    """A link carrying a sector, indicator and site by their codes opens on them in a new browser, in French as
    in English (a link said nothing of the choices: it opened on the page's defaults), and keeps them."""
    from playwright.sync_api import expect

    link = "indicators?sector=health&indicator=health_emergency_visits&site=Lyon"
    # The page's heading, its all-sites label, and each choice's label with the option shown.
    shown = {
        link: ("Passages aux urgences", "Tous les sites", {"Secteur": "Santé", "Indicateur": "Passages aux urgences"}),
        f"{link}&lang=English": (
            "Emergency visits",
            "All sites",
            {"Sector": "Health", "Indicator": "Emergency visits"},
        ),
    }
    for shared, (heading, all_sites, choices) in shown.items():
        with opened(app_url, shared) as dashboard:
            page = dashboard.page
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            for label, option in {**choices, "Site": "Lyon"}.items():
                expect(dashboard.choice(label)).to_have_value(option)
            # Lyon's cells only: none of all sites together.
            expect(page.get_by_role("cell", name=all_sites, exact=True)).to_have_count(0)
            expect(page).to_have_url(f"{app_url}/{shared}")


def test_a_link_with_an_indicator_opens_on_it_in_a_sector_holding_it(app_url: str) -> None:
    """A link written by hand or in a funder's report, naming an indicator but no sector, or a sector not holding
    it, opens on that indicator in a sector holding it, written in the URL, in French as in English (the
    default or linked sector's list did not offer it: the page opened on that sector's first indicator)."""
    from playwright.sync_api import expect

    # The link, the page's heading, each choice's label with the option shown, and the codes the URL then carries.
    shown = {
        "indicators?indicator=health_emergency_visits&site=Lyon": (
            "Passages aux urgences",
            {"Secteur": "Santé", "Indicateur": "Passages aux urgences", "Site": "Lyon"},
            {"sector": "health", "indicator": "health_emergency_visits", "site": "Lyon"},
        ),
        "indicators?sector=employment&indicator=health_emergency_visits&lang=English": (
            "Emergency visits",
            {"Sector": "Health", "Indicator": "Emergency visits"},
            {"sector": "health", "indicator": "health_emergency_visits", "lang": "English"},
        ),
    }
    for link, (heading, choices, codes) in shown.items():
        with opened(app_url, link) as dashboard:
            page = dashboard.page
            expect(page.get_by_role("heading", name=heading)).to_be_visible()
            for label, option in choices.items():
                expect(dashboard.choice(label)).to_have_value(option)
            assert link_codes(page) == codes


def test_a_choice_changed_is_written_in_the_url_by_its_code_and_kept(app_url: str) -> None:
    """Each choice the reader makes goes into the URL as its code, the default leaving it, kept across a language
    switch and on the next page offering the same choice; a link from any step opens on its choices."""
    from playwright.sync_api import expect

    with opened(app_url, "retention") as dashboard:
        page = dashboard.page
        dashboard.choose("Site", "Lyon")
        dashboard.choose("Fin d'observation", "30/09/2024")
        assert link_codes(page) == {"site": "Lyon", "period": "2024-09-30"}
        dashboard.switch_to("English")
        expect(dashboard.choice("Site")).to_have_value("Lyon")
        assert link_codes(page) == {"site": "Lyon", "period": "2024-09-30", "lang": "English"}
        retention = page.url

        with dashboard.rerun():
            page.get_by_test_id("stSidebarNav").get_by_role("link", name="Indicators").click()
        dashboard.choose("Sector", "Health")
        dashboard.choose("Indicator", "Emergency visits")
        # The site chosen on the retention page is chosen here too; its observation end is not one of this one's.
        expect(dashboard.choice("Site")).to_have_value("Lyon")
        assert link_codes(page) == {
            "sector": "health", "indicator": "health_emergency_visits", "site": "Lyon", "lang": "English"
        }  # fmt: skip
        dashboard.choose("Site", "All sites")
        assert link_codes(page) == {"sector": "health", "indicator": "health_emergency_visits", "lang": "English"}
        indicators = page.url

    with opened(app_url, retention.removeprefix(f"{app_url}/")) as dashboard:
        expect(dashboard.choice("Site")).to_have_value("Lyon")
        expect(dashboard.choice("Observation end")).to_have_value("30 Sep 2024")
    with opened(app_url, indicators.removeprefix(f"{app_url}/")) as dashboard:
        expect(dashboard.choice("Indicator")).to_have_value("Emergency visits")
        expect(dashboard.choice("Site")).to_have_value("All sites")


def test_choices_made_on_a_page_are_there_again_after_another_page(app_url: str, tmp_path: Path) -> None:
    """Back on the retention page from the indicators page, the reader finds the site and observation end they
    chose there, in the page, its URL and its extract (the indicators page, offering no earlier observation end,
    showed its latest, which replaced the reader's choice: the retention page came back on the latest)."""
    from playwright.sync_api import expect

    with opened(app_url, "retention") as dashboard:
        page = dashboard.page
        dashboard.choose("Site", "Lyon")
        dashboard.choose("Fin d'observation", "30/09/2024")
        sidebar = page.get_by_test_id("stSidebarNav")
        with dashboard.rerun():
            sidebar.get_by_role("link", name="Indicateurs").click()
        expect(dashboard.choice("Fin d'observation")).to_have_value("31/12/2024")
        with dashboard.rerun():
            sidebar.get_by_role("link", name="Maintien dans le logement").click()
        expect(dashboard.choice("Site")).to_have_value("Lyon")
        expect(dashboard.choice("Fin d'observation")).to_have_value("30/09/2024")
        assert link_codes(page) == {"site": "Lyon", "period": "2024-09-30"}
        assert download(dashboard, tmp_path)[0] == "abord_housing_retention_12m_lyon_2024-09-30.csv"


def test_back_and_forward_step_through_the_choices_made(app_url: str) -> None:
    """Each choice is a step in the browser's history: Back shows the choice before it, URL and page alike, and
    Forward the one after (the session's choice won over the URL Back went to, which it wrote again)."""
    from playwright.sync_api import expect

    with opened(app_url, "retention") as dashboard:
        page = dashboard.page
        dashboard.choose("Site", "Lyon")
        dashboard.choose("Site", "Marseille")
        for site, query in (("Lyon", "?site=Lyon"), ("Tous les sites", "")):
            with dashboard.rerun():
                page.go_back()
            expect(dashboard.choice("Site")).to_have_value(site)
            expect(page).to_have_url(f"{app_url}/retention{query}")
        with dashboard.rerun():
            page.go_forward()
        expect(dashboard.choice("Site")).to_have_value("Lyon")
        expect(page).to_have_url(f"{app_url}/retention?site=Lyon")


def test_a_link_with_a_code_not_offered_opens_on_the_default_quietly(app_url: str) -> None:
    """A stale or mistyped code (a site closed since, a label instead of a code) opens the page on its default,
    with no error nor warning, and leaves the URL."""
    from playwright.sync_api import expect

    with opened(app_url, "retention?site=Tous+les+sites&period=1999-12-31&lang=English") as dashboard:
        page = dashboard.page
        expect(page.get_by_role("heading", name="12-month housing retention")).to_be_visible()
        expect(dashboard.choice("Site")).to_have_value("All sites")
        expect(dashboard.choice("Observation end")).to_have_value("31 Dec 2024")
        expect(page.get_by_test_id("stException")).to_have_count(0)
        expect(page.get_by_test_id("stAlert")).to_have_count(0)
        expect(page).to_have_url(f"{app_url}/retention?lang=English")


def test_indicators_page_opens_with_its_table(app_url: str) -> None:
    from playwright.sync_api import expect

    with opened(app_url, "indicators") as dashboard:
        page = dashboard.page
        expect(page.get_by_role("heading", name="Indicateurs publiés")).to_be_visible()
        # The first housing indicator by code (the share of days stably housed), formatted in French.
        expect(page.get_by_role("cell", name=f"93,3{NBSP}%").first).to_be_visible()
        # Quarter after quarter: its heading, its chart, a quarter's row.
        expect(page.get_by_role("heading", name="Trimestre après trimestre")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
        quarter = page.get_by_role("row").filter(has=page.get_by_role("cell", name="2024-T4", exact=True))
        expect(quarter).to_contain_text(f"93,8{NBSP}%")


def row(page: Page, breakdown: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=breakdown))


def test_each_clause_of_a_funder_reads_whole_in_french_then_english(app_url: str) -> None:
    from playwright.sync_api import expect

    with opened(app_url, "indicators") as dashboard:
        page = dashboard.page
        dashboard.choose("Secteur", "Financeurs")
        dashboard.choose("Indicateur", "Paiement dû")
        expect(page.get_by_role("heading", name="Paiement dû")).to_be_visible()
        dashboard.choose("Site", "Lyon")
        # Two tiers of one clause: a row each, whole, told apart by the partner's clause id; no card.
        tier = "CIS-LDA — Maintien dans le logement à 12 mois (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-{})"
        expect(row(page, tier.format(80))).to_contain_text(f"12\u202f345{NBSP}€")
        expect(row(page, tier.format(90))).to_contain_text(f"0{NBSP}€")
        # A clause valued to date, its year's entrants not all measured: its payment is not due yet, not missing.
        provisional = "METRO-LYON — En emploi ou en formation à 12 mois (clause PP-ML-LYO-2024-emploi-60)"
        expect(row(page, provisional)).to_contain_text("provisoire : paiement non encore dû")
        expect(page.get_by_test_id("stMetric")).to_have_count(0)

        dashboard.switch_to("English")
        expect(page.get_by_role("heading", name="Payment due")).to_be_visible()
        tier = "CIS-LDA — 12-month housing retention (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-90)"
        expect(row(page, tier)).to_contain_text("€0")
        provisional = "METRO-LYON — In work or training at 12 months (clause PP-ML-LYO-2024-emploi-60)"
        expect(row(page, provisional)).to_contain_text("provisional: payment not due yet")


def cards_read_whole(page: Page, labels: list[str]) -> None:
    """The metric cards carry these labels, in this order, none cut off."""
    from playwright.sync_api import expect

    shown = page.get_by_test_id("stMetricLabel")
    expect(shown).to_have_text(labels)
    # A label wider than its card is cut with an ellipsis: its text box then scrolls wider than it shows.
    whole = shown.get_by_test_id("stMarkdownContainer").evaluate_all(
        "boxes => boxes.map(box => box.scrollWidth <= box.clientWidth)"
    )
    cut = [label for label, fits in zip(labels, whole, strict=True) if not fits]
    assert not cut, f"labels cut off at 1280 px: {cut}"


def test_a_funders_amounts_read_by_funder_and_sector_name_in_french_then_english(app_url: str) -> None:
    from playwright.sync_api import expect

    def at_site(page: Page, breakdown: str, site: str) -> Locator:
        return row(page, breakdown).filter(has=page.get_by_role("cell", name=site, exact=True))

    with opened(app_url, "indicators") as dashboard:
        page = dashboard.page
        dashboard.choose("Secteur", "Financeurs")
        expect(page.get_by_role("heading", name="Montants engagés par financeur")).to_be_visible()
        expect(at_site(page, "ARS — Santé", "Tous les sites")).to_contain_text(f"120\u202f000{NBSP}€")
        expect(at_site(page, "METRO-LYON — Hébergement d'urgence", "Tous les sites")).to_be_visible()
        # A card per funder and sector, two a row, each label whole at 1280 px: four a row cut both METRO-LYON
        # cards to 'Toutes cohortes — M…'.
        cards_read_whole(
            page, ["ARS — Santé", "FDF — divers", "METRO-LYON — Hébergement d'urgence", "METRO-LYON — Logement"]
        )

        dashboard.switch_to("English")
        expect(page.get_by_role("heading", name="Amounts committed by funder")).to_be_visible()
        expect(at_site(page, "ARS — Health", "All sites")).to_contain_text("€120,000")
        expect(at_site(page, "METRO-LYON — Housing", "All sites")).to_be_visible()
        expect(at_site(page, "FDF — divers", "All sites")).to_be_visible()
        cards_read_whole(
            page, ["ARS — Health", "FDF — divers", "METRO-LYON — Emergency shelter", "METRO-LYON — Housing"]
        )


def test_choices_show_in_the_language_switched_to_and_stay_chosen(app_url: str) -> None:
    from playwright.sync_api import expect

    with opened(app_url, "indicators") as dashboard:
        page, choice = dashboard.page, dashboard.choice
        dashboard.choose("Secteur", "Santé")
        dashboard.choose("Indicateur", "Passages aux urgences")
        dashboard.choose("Site", "Lyon")

        dashboard.switch_to("English")
        # Each choice kept, labelled in English at once (the browser kept the French labels, and back in French
        # dropped the indicator, the page failing on it).
        expect(choice("Sector")).to_have_value("Health")
        expect(choice("Indicator")).to_have_value("Emergency visits")
        expect(choice("Site")).to_have_value("Lyon")
        expect(choice("Observation end")).to_have_value("31 Dec 2024")
        expect(page.get_by_role("heading", name="Emergency visits")).to_be_visible()

        dashboard.switch_to("Français")
        expect(choice("Secteur")).to_have_value("Santé")
        expect(choice("Indicateur")).to_have_value("Passages aux urgences")
        expect(choice("Site")).to_have_value("Lyon")
        expect(choice("Fin d'observation")).to_have_value("31/12/2024")
        expect(page.get_by_role("heading", name="Passages aux urgences")).to_be_visible()
        expect(page.get_by_test_id("stException")).to_have_count(0)


def download(dashboard: Dashboard, saved_in: Path) -> tuple[str, bytes]:
    """The page's extract (its French button) as the browser saves it: its file name and bytes."""
    with dashboard.page.expect_download() as started:
        dashboard.page.get_by_role("button", name="Télécharger les données (CSV)").click()
    saved = saved_in / started.value.suggested_filename
    started.value.save_as(saved)
    # Off the download button, whose help tooltip opens on hover, before the next choice.
    dashboard.page.mouse.move(0, 0)
    return saved.name, saved.read_bytes()


def test_each_sites_extract_is_named_for_its_site_and_reads_in_french_excel(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    with opened(app_url) as dashboard:
        expect(dashboard.page.get_by_role("heading", name="Maintien dans le logement à 12 mois")).to_be_visible()
        dashboard.choose("Site", "Marseille")
        marseille = download(dashboard, tmp_path)
        dashboard.choose("Site", "Tous les sites")
        every_site = download(dashboard, tmp_path)
    # A funder saving two sites' extracts gets two files, each saying its indicator, site and observation end
    # (both were 'abord_housing_retention_12m_2024-12-31.csv', the second saved as a copy of the first).
    assert every_site[0] == "abord_housing_retention_12m_all-sites_2024-12-31.csv"
    assert marseille[0] == "abord_housing_retention_12m_marseille_2024-12-31.csv"
    lines = marseille[1].decode("utf-8-sig").splitlines()
    assert marseille[1].startswith(b"\xef\xbb\xbf") and lines[0].startswith("indicator_code;period;site;")
    assert {line.split(";")[2] for line in lines[1:]} == {"Marseille"}


def test_the_time_housed_curve_has_its_extract_month_by_month(app_url: str, tmp_path: Path) -> None:
    # The curve's page offered no download while every other indicator's did.
    from playwright.sync_api import expect

    with opened(app_url, "indicators") as dashboard:
        dashboard.choose("Indicateur", "Courbe de maintien")
        expect(dashboard.page.get_by_role("heading", name="Courbe de maintien")).to_be_visible()
        dashboard.choose("Site", "Marseille")
        name, payload = download(dashboard, tmp_path)
    assert name == "abord_housing_time_housed_curve_marseille_2024-12-31.csv"
    assert payload.startswith(b"\xef\xbb\xbf")
    lines = payload.decode("utf-8-sig").split("\r\n")
    # Named for its indicator, as the indicator extract is: a funder saving both tells them apart out of the app.
    assert lines[0] == "indicator_code;period;site;time_months;at_risk;events;survival;suppressed;suppression_reason"
    by_month = {int(line.split(";")[3]): line for line in lines[1:] if line}
    # Every month, not the table's one in six; the published numbers in French Excel's decimal comma.
    assert sorted(by_month) == list(range(19))
    (month_12,) = [row for row in curve_rows() if row[1] == "Marseille" and row[2] == 12]
    at_risk, events, survival = month_12[3:6]
    curve = f"housing_time_housed_curve;{LATEST};Marseille"
    assert by_month[12] == f"{curve};12;{at_risk};{events};{str(survival).replace('.', ',')};false;"
    # A month under 11 persons followed: flagged, with why and no number, as an indicator's hidden cell.
    assert by_month[13] == f"{curve};13;;;;true;small_cell"
