"""Where abord keeps its files and finds its warehouse, from the environment.

ABORD_DATA_DIR       root of landing/, quarantine/, ground_truth/, the key and the embedded server (./data)
ABORD_KEY_FILE       the pseudonymisation key file (<data dir>/abord.key)
ABORD_DATABASE_URL   a PostgreSQL URL; unset means the embedded server under <data dir>/pgdata
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    key_file: Path
    database_url: str | None

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
    return Settings(data_dir=data_dir, key_file=key_file, database_url=os.environ.get("ABORD_DATABASE_URL"))
