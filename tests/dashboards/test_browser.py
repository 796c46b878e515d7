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

import pytest

if TYPE_CHECKING:
    from playwright.sync_api import Locator, Page

REPO_ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
NBSP = "\u00a0"

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


def test_french_then_english_in_chromium(app_url: str, tmp_path: Path) -> None:
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 2200})
            page.goto(app_url)
            expect(page.get_by_role("heading", name="Maintien dans le logement à 12 mois")).to_be_visible(
                timeout=15_000
            )
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

            page.get_by_text("English", exact=True).click()
            expect(page.get_by_role("heading", name="12-month housing retention")).to_be_visible(timeout=10_000)
            expect(page.get_by_test_id("stMetricValue").first).to_have_text("86.0%")
            page.screenshot(path=tmp_path / "retention_en.png", full_page=True)
        finally:
            browser.close()


@contextmanager
def indicators_page(app_url: str) -> Iterator[Page]:
    """The indicators page in chromium, opened in French."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 1600})
            page.goto(f"{app_url}/indicators")
            expect(page.get_by_role("heading", name="Indicateurs publiés")).to_be_visible(timeout=15_000)
            yield page
        finally:
            browser.close()


def test_indicators_page_opens_with_its_table(app_url: str) -> None:
    from playwright.sync_api import expect

    with indicators_page(app_url) as page:
        # The first housing indicator by code (the share of days stably housed), formatted in French.
        expect(page.get_by_role("cell", name=f"93,3{NBSP}%").first).to_be_visible(timeout=10_000)
        # Quarter after quarter: its heading, its chart, a quarter's row.
        expect(page.get_by_role("heading", name="Trimestre après trimestre")).to_be_visible()
        expect(page.get_by_test_id("stVegaLiteChart")).to_have_count(1)
        quarter = page.get_by_role("row").filter(has=page.get_by_role("cell", name="2024-T4", exact=True))
        expect(quarter).to_contain_text(f"93,8{NBSP}%")


def choose(page: Page, label: str, option: str) -> None:
    page.get_by_test_id("stSelectbox").filter(has_text=label).click()
    page.get_by_role("option", name=option, exact=True).click()


def row(page: Page, breakdown: str) -> Locator:
    return page.get_by_role("row").filter(has=page.get_by_role("cell", name=breakdown))


def test_each_clause_of_a_funder_reads_whole_in_french_then_english(app_url: str) -> None:
    from playwright.sync_api import expect

    with indicators_page(app_url) as page:
        choose(page, "Secteur", "Financeurs")
        choose(page, "Indicateur", "Paiement dû")
        expect(page.get_by_role("heading", name="Paiement dû")).to_be_visible(timeout=10_000)
        choose(page, "Site", "Lyon")
        # Two tiers of one clause: a row each, whole, told apart by the partner's clause id; no card.
        tier = "CIS-LDA — Maintien dans le logement à 12 mois (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-{})"
        expect(row(page, tier.format(80))).to_contain_text(f"12\u202f345{NBSP}€")
        expect(row(page, tier.format(90))).to_contain_text(f"0{NBSP}€")
        expect(page.get_by_test_id("stMetric")).to_have_count(0)

        page.get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name="Payment due")).to_be_visible(timeout=10_000)
        tier = "CIS-LDA — 12-month housing retention (clause PP-CIS-LDA-LYO-2024-housing_retention_12m-90)"
        expect(row(page, tier)).to_contain_text("€0")


def test_a_funders_amounts_read_by_funder_and_sector_name_in_french_then_english(app_url: str) -> None:
    from playwright.sync_api import expect

    def at_site(page: Page, breakdown: str, site: str) -> Locator:
        return row(page, breakdown).filter(has=page.get_by_role("cell", name=site, exact=True))

    with indicators_page(app_url) as page:
        choose(page, "Secteur", "Financeurs")
        expect(page.get_by_role("heading", name="Montants engagés par financeur")).to_be_visible(timeout=10_000)
        expect(at_site(page, "ARS — Santé", "Tous les sites")).to_contain_text(f"120\u202f000{NBSP}€")
        expect(at_site(page, "METRO-LYON — Hébergement d'urgence", "Tous les sites")).to_be_visible()
        expect(page.get_by_test_id("stMetricLabel").first).to_have_text("Toutes cohortes — ARS — Santé")

        page.get_by_text("English", exact=True).click()
        expect(page.get_by_role("heading", name="Amounts committed by funder")).to_be_visible(timeout=10_000)
        expect(at_site(page, "ARS — Health", "All sites")).to_contain_text("€120,000")
        expect(at_site(page, "METRO-LYON — Housing", "All sites")).to_be_visible()
        expect(at_site(page, "FDF — divers", "All sites")).to_be_visible()
        expect(page.get_by_test_id("stMetricLabel").first).to_have_text("All cohorts — ARS — Health")
