"""The dbt project as Dagster sees it. Kept in its own module: `prepare` must not import the assets.

The manifest is prepared before the code location loads (`gjj pipeline prepare` → `dbt parse`),
never at load time; `prepare_if_dev` only acts under `dagster dev`.
"""

from __future__ import annotations

from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt_project"

project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR, target="dev")
