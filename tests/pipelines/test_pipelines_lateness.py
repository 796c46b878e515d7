"""Which months of a partner's extracts are overdue: due `due_days` after the month ends; a snapshot source only
behind its latest month, an append source also missing a month in between."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from pipelines.lateness import Lateness, lateness
from pipelines.settings import Settings, SettingsError, get_settings


@pytest.mark.parametrize(
    ("today", "due"),
    [
        (date(2026, 1, 30), "2025-12"),  # 31 December + 30 days
        (date(2026, 1, 29), "2025-11"),
        (date(2026, 3, 1), "2025-12"),  # January's is due on 2 March
        (date(2026, 3, 2), "2026-01"),
        (date(2026, 3, 29), "2026-01"),
        (date(2026, 3, 30), "2026-02"),  # 28 February + 30 days
    ],
)
def test_a_month_is_due_its_due_days_after_it_ends(today: date, due: str) -> None:
    assert lateness(["2020-01"], "snapshot", today, 30).due == due


def test_a_snapshot_source_is_only_behind_its_latest_month() -> None:
    late = lateness(["2025-09", "2025-11"], "snapshot", date(2026, 2, 20), 20)
    assert late == Lateness(latest="2025-11", due="2026-01", missing=("2025-12", "2026-01"))


def test_an_append_source_also_misses_the_months_that_never_came() -> None:
    late = lateness(["2025-09", "2025-11"], "append", date(2026, 2, 20), 20)
    assert late == Lateness(latest="2025-11", due="2026-01", missing=("2025-10", "2025-12", "2026-01"))


def test_an_append_sources_first_month_quarantined_whole_is_overdue_not_before_its_months() -> None:
    """Its first month holds every event before the next: quarantined whole, it is missing, not a month before the
    source's first (which a snapshot's, replaced by the next, is)."""
    late = lateness(["2025-12"], "append", date(2026, 1, 31), 30, unobserved=["2025-11"])
    assert late == Lateness(latest="2025-12", due="2025-12", missing=("2025-11",))
    assert lateness(["2025-12"], "snapshot", date(2026, 1, 31), 30, unobserved=["2025-11"]).missing == ()


def test_up_to_date_or_ahead_is_on_time() -> None:
    assert lateness(["2025-12"], "append", date(2026, 1, 31), 30).missing == ()
    assert lateness(["2025-12", "2026-01"], "snapshot", date(2026, 1, 31), 30).missing == ()  # sent early


def test_due_days_zero_makes_a_month_due_on_its_last_day() -> None:
    assert lateness(["2026-01"], "snapshot", date(2026, 1, 31), 0).due == "2026-01"
    assert lateness(["2026-01"], "snapshot", date(2026, 1, 30), 0).due == "2025-12"


def test_no_extract_yet_and_periods_that_are_not_past_months() -> None:
    assert lateness([], "snapshot", date(2026, 1, 31), 30) == Lateness(latest=None, due="2025-12", missing=())
    assert lateness(["20240202T093000000000"], "append", date(2026, 1, 31), 30) is None  # an sql watermark
    # a mistyped month or one still to come is no month loaded: the source stays behind, and they are named
    late = lateness(["2025-10", "2025-13", "2052-01"], "snapshot", date(2026, 1, 31), 30)
    assert late == Lateness("2025-10", "2025-12", ("2025-11", "2025-12"), unusable=("2025-13", "2052-01"))
    assert lateness(["2052-01"], "snapshot", date(2026, 1, 31), 30) == Lateness(None, "2025-12", (), ("2052-01",))


@pytest.mark.parametrize(
    ("timezone", "instant", "today"),
    [
        ("Europe/Paris", datetime(2026, 1, 31, 23, 30, tzinfo=UTC), date(2026, 2, 1)),  # already February in Paris
        ("UTC", datetime(2026, 1, 31, 23, 30, tzinfo=UTC), date(2026, 1, 31)),
        ("Pacific/Noumea", datetime(2026, 2, 28, 13, 0, tzinfo=UTC), date(2026, 3, 1)),
        ("America/Cayenne", datetime(2026, 3, 1, 2, 0, tzinfo=UTC), date(2026, 2, 28)),
    ],
)
def test_today_is_the_programmes_date_not_the_machines(timezone: str, instant: datetime, today: date, tmp_path) -> None:
    """The day a month falls due turns at the programme's midnight, whatever clock the machine or Dagster keeps."""
    assert Settings(tmp_path, tmp_path / "key", None, timezone).today(instant) == today


def test_the_programmes_time_zone_is_read_from_the_environment(monkeypatch) -> None:
    assert get_settings().timezone == "Europe/Paris"
    monkeypatch.setenv("ABORD_TIMEZONE", "America/Cayenne")
    assert get_settings().timezone == "America/Cayenne"
    monkeypatch.setenv("ABORD_TIMEZONE", "Europe/Lutece")
    with pytest.raises(SettingsError, match="ABORD_TIMEZONE: 'Europe/Lutece' is no IANA time zone"):
        get_settings()


@pytest.mark.parametrize("timezone", ["Europe", "America"])
def test_a_region_without_its_city_is_no_time_zone(monkeypatch, timezone: str) -> None:
    """tzdata keeps a region's zones in a folder: reading the folder as a zone must not crash the CLI."""
    monkeypatch.setenv("ABORD_TIMEZONE", timezone)
    with pytest.raises(SettingsError, match=f"ABORD_TIMEZONE: '{timezone}' is no IANA time zone"):
        get_settings()


def test_ingestion_validates_dates_against_the_programmes_today(monkeypatch, tmp_path, warehouse_url: str) -> None:
    """'Not in the future' is judged on the programme's date: the ingestion context takes Settings.today(), not
    the machine's date.today() (they differ only near midnight, so a date far off stands for the programme's)."""
    from pipelines.pipeline import ingest_context
    from pseudonymisation.keys import new_key

    monkeypatch.setattr(Settings, "today", lambda self, now=None: date(2031, 1, 1))
    settings = Settings(tmp_path, tmp_path / "abord.key", warehouse_url, "Pacific/Kiritimati")
    new_key(settings.key_file)
    assert ingest_context(settings, warehouse_url).today == date(2031, 1, 1)
