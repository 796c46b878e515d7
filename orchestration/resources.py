"""The one resource every abord asset uses: settings, the warehouse URL and the ingestion context."""

from __future__ import annotations

from dagster import ConfigurableResource

from pipelines.ingest import IngestContext
from pipelines.pipeline import ingest_context
from pipelines.settings import Settings, get_settings
from pipelines.warehouse import database_url, dbt_env


class AbordResource(ConfigurableResource):
    """Reads ABORD_* settings from the environment; holds no secret in its config."""

    def settings(self) -> Settings:
        return get_settings()

    def url(self) -> str:
        return database_url(self.settings())

    def ingest_context(self) -> IngestContext:
        return ingest_context(self.settings(), self.url())

    def dbt_env(self) -> dict[str, str]:
        return dbt_env(self.url())
