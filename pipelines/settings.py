"""Where abord keeps its files and finds its warehouse, from the environment.

ABORD_DATA_DIR       root of landing/, quarantine/, ground_truth/, the key and the embedded server (./data)
ABORD_KEY_FILE       the pseudonymisation key file (<data dir>/abord.key)
ABORD_DATABASE_URL   a PostgreSQL URL; unset means the embedded server under <data dir>/pgdata
ABORD_TIMEZONE       the programme's time zone (Europe/Paris): its schedules' clock and the day "today" is
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_TIMEZONE = "Europe/Paris"


class SettingsError(ValueError):
    """An ABORD_* variable holds what abord cannot use."""


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    key_file: Path
    database_url: str | None
    timezone: str = DEFAULT_TIMEZONE

    def today(self, now: datetime | None = None) -> date:
        """The programme's date: a month's extract falls due, and a date is in the future, by the programme's
        calendar, not by the machine's or UTC's (Dagster's default for schedules)."""
        return (now or datetime.now(tz=ZoneInfo("UTC"))).astimezone(ZoneInfo(self.timezone)).date()

    @property
    def landing_dir(self) -> Path:
        return self.data_dir / "landing"

    @property
    def quarantine_dir(self) -> Path:
        return self.data_dir / "quarantine"

    @property
    def ground_truth_dir(self) -> Path:
        return self.data_dir / "ground_truth"

    @property
    def pgdata_dir(self) -> Path:
        return self.data_dir / "pgdata"

    @property
    def dagster_home(self) -> Path:
        return self.data_dir / "dagster"


def get_settings() -> Settings:
    data_dir = Path(os.environ.get("ABORD_DATA_DIR", PROJECT_ROOT / "data")).resolve()
    key_file = Path(os.environ.get("ABORD_KEY_FILE", data_dir / "abord.key"))
    timezone = os.environ.get("ABORD_TIMEZONE") or DEFAULT_TIMEZONE
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a folder of zones, such as 'Europe'
        raise SettingsError(f"ABORD_TIMEZONE: {timezone!r} is no IANA time zone (such as Europe/Paris)") from None
    return Settings(
        data_dir=data_dir, key_file=key_file, database_url=os.environ.get("ABORD_DATABASE_URL"), timezone=timezone
    )
