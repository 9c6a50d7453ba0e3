"""Resources shared by the asset definitions."""

from __future__ import annotations

import os

import dagster as dg

from gjj.settings import Settings


class PlatformSettings(dg.ConfigurableResource):  # type: ignore[misc]
    """The platform settings for a run; the lakehouse root defaults to the environment (GJJ_LAKEHOUSE_ROOT)."""

    lakehouse_root: str = ""
    core_db_url: str = ""

    def get(self) -> Settings:
        overrides: dict[str, object] = {}
        if self.lakehouse_root:
            overrides["lakehouse_root"] = self.lakehouse_root
        if self.core_db_url:
            overrides["core_db_url"] = self.core_db_url
        return Settings(**overrides)  # type: ignore[arg-type]


OWNER = "team:data-stewards"  # 数据管理科 (data stewards): the owner the UI shows on every asset


def dbt_env(settings: Settings) -> None:
    """dbt reads the lakehouse root and its memory limit from the environment: make them the run's."""
    os.environ["GJJ_LAKEHOUSE_ROOT"] = str(settings.root)
    os.environ["GJJ_DUCKDB_MEMORY_LIMIT"] = settings.duckdb_memory_limit
