"""One typed settings object for the whole platform.

Every value comes from an environment variable prefixed ``GJJ_`` (or a ``.env`` file);
every path derives from the single lakehouse root.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GJJ_", env_file=".env", extra="ignore")

    lakehouse_root: Path = Field(default=Path("lakehouse"), description="Root of every platform path")
    core_db_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL of the core business system; default: embedded SQLite under the root",
    )
    scale: float = Field(default=0.05, gt=0, le=10, description="Simulator scale (1.0 = 三门峡 profile)")
    seed: int = Field(default=20261126, description="Simulator seed")
    extract_batch_rows: int = Field(default=500_000, gt=0, description="Rows per streamed extract batch")
    snapshots_kept: int = Field(default=5, ge=1, description="Published snapshot versions kept for rollback")
    duckdb_memory_limit: str = Field(
        default="4GB", pattern=r"^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$",
        description="DuckDB memory_limit of the dbt build and of publishing (they spill to disk beyond it)",
    )
    api_host: str = Field(default="127.0.0.1", description="Serving API bind address")
    api_port: int = Field(default=8000, description="Serving API port")
    dagster_port: int = Field(default=3000, description="Dagster UI port")
    superset_port: int = Field(default=8088, description="Superset (big screens) port on 127.0.0.1")
    superset_secret_key: str | None = Field(
        default=None, description="Superset SECRET_KEY; default: generated once, kept under <root>/superset/"
    )
    superset_admin_password: str | None = Field(
        default=None, description="Superset admin password; default: generated once, kept under <root>/superset/"
    )

    @property
    def root(self) -> Path:
        return self.lakehouse_root.resolve()

    @property
    def sources_dir(self) -> Path:
        return self.root / "sources"

    @property
    def core_url(self) -> str:
        return self.core_db_url or f"sqlite:///{self.sources_dir / 'core.sqlite'}"

    @property
    def landing_dir(self) -> Path:
        return self.root / "landing"

    @property
    def ground_truth_dir(self) -> Path:
        return self.root / "ground_truth"

    @property
    def bronze_dir(self) -> Path:
        return self.root / "bronze"

    @property
    def state_dir(self) -> Path:
        return self.root / "state"

    @property
    def warehouse_path(self) -> Path:
        """The one read-write DuckDB warehouse: only the pipeline writes it."""
        return self.root / "warehouse" / "warehouse.duckdb"

    @property
    def snapshots_dir(self) -> Path:
        """Published read-only snapshots: v<N>/ folders and the CURRENT pointer."""
        return self.root / "snapshots"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
