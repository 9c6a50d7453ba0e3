"""dbt-duckdb plugin: load DuckDB's delta extension without a network.

``LOAD delta`` works when the extension is already installed in the user's DuckDB extension
directory (ingestion installs it there); otherwise the binary is installed from the pinned
``duckdb-extension-delta`` wheel (``duckdb_extensions.import_extension``) and then loaded.
Sources read bronze with ``delta_scan`` (docs/decisions/0003-dbt-sources-over-delta-bronze.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.extensions = plugin_config.get("extensions", ["delta"])

    def update_connection_config(self, creds: Any, config: dict[str, Any]) -> None:
        # The warehouse folder may not exist yet on a fresh lakehouse.
        path = getattr(creds, "path", None)
        if path and path != ":memory:" and not str(path).startswith("md:"):
            Path(path).parent.mkdir(parents=True, exist_ok=True)

    def configure_connection(self, conn: duckdb.DuckDBPyConnection) -> None:
        for name in self.extensions:
            try:
                conn.execute(f"LOAD {name}")
            except duckdb.Error:
                import duckdb_extensions

                duckdb_extensions.import_extension(name, con=conn)
                conn.execute(f"LOAD {name}")
