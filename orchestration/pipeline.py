"""Running the whole asset graph from the command line (`gjj pipeline run`, `make run`).

The run goes through a persistent Dagster instance (DAGSTER_HOME = <lakehouse>/dagster), so it is
listed in the Dagster UI exactly like a run launched there.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb

from gjj.settings import Settings

REPO = Path(__file__).resolve().parent.parent


def dagster_home(settings: Settings) -> Path:
    """The instance folder under the lakehouse, with the repository's dagster.yaml."""
    home = settings.root / "dagster"
    home.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(REPO / "dagster.yaml", home / "dagster.yaml")
    return home


def prepare(settings: Settings | None = None) -> Path:
    """Parse the dbt project so the code location can load (the manifest is never built at load time),
    and set up the Dagster instance folder."""
    from dbt.cli.main import dbtRunner

    from orchestration.warehouse_project import project

    if settings is not None:
        dagster_home(settings)
    result = dbtRunner().invoke(["parse", "--project-dir", str(project.project_dir), "--profiles-dir",
                                 str(project.profiles_dir), "--quiet"])
    if not result.success:
        raise RuntimeError(f"dbt parse failed: {result.exception}")
    return Path(project.manifest_path)


@dataclass
class PipelineResult:
    success: bool
    run_id: str
    checks_passed: int = 0
    checks_warned: int = 0
    checks_failed: int = 0
    failed_checks: list[str] = field(default_factory=list)
    rows_by_layer: dict[str, int] = field(default_factory=dict)
    snapshot_version: int | None = None

    def summary(self, settings: Settings) -> str:
        lines = [f"Dagster 运行 run {self.run_id}: {'成功 success' if self.success else '失败 FAILED'}"]
        lines += [f"  {layer:<14} {rows:>12,} rows" for layer, rows in self.rows_by_layer.items()]
        lines.append(f"  checks: {self.checks_passed} passed, {self.checks_warned} warned (known data-quality defects, "
                     f"see issue #4), {self.checks_failed} failed")
        lines += [f"    ✗ {name}" for name in self.failed_checks[:20]]
        lines.append(f"  published snapshot: v{self.snapshot_version}" if self.snapshot_version else "  nothing published")
        lines.append(f"Dagster UI: make up → http://{settings.api_host}:{settings.dagster_port}")
        lines.append(f"API docs:   make up → http://{settings.api_host}:{settings.api_port}/docs")
        return "\n".join(lines)


def run_all(settings: Settings) -> PipelineResult:
    """Materialize every asset (extract, load, dbt build with checks, publish) in one run."""
    from orchestration.definitions import defs
    from publish import read_current

    _remove_old_dbt_targets()
    os.environ["DAGSTER_HOME"] = str(dagster_home(settings))
    os.environ["GJJ_LAKEHOUSE_ROOT"] = str(settings.root)
    job = defs.resolve_job_def("daily_incremental")
    with dg.DagsterInstance.get() as instance:
        # the platform resource reads GJJ_LAKEHOUSE_ROOT, set above
        result = job.execute_in_process(instance=instance, raise_on_error=False)
        evaluations = result.get_asset_check_evaluations()
    not_passed = [ev for ev in evaluations if not ev.passed]
    failed = [f"{ev.asset_key.to_user_string()}:{ev.check_name}" for ev in not_passed if ev.severity == dg.AssetCheckSeverity.ERROR]
    return PipelineResult(
        success=result.success, run_id=result.run_id, checks_passed=len(evaluations) - len(not_passed),
        checks_warned=len(not_passed) - len(failed), checks_failed=len(failed), failed_checks=failed,
        rows_by_layer=rows_by_layer(settings),
        snapshot_version=read_current(settings.snapshots_dir),
    )


def _remove_old_dbt_targets() -> None:
    """dagster-dbt leaves one target/<op>-<run>-<hash>/ folder per run: only the last run's is kept."""
    from orchestration.warehouse_project import project

    for folder in Path(project.project_dir, "target").glob("warehouse_models-*"):
        shutil.rmtree(folder, ignore_errors=True)


def rows_by_layer(settings: Settings) -> dict[str, int]:
    """Row counts: bronze from the Delta tables, the warehouse layers by schema."""
    from deltalake import DeltaTable

    out = {"bronze": sum(DeltaTable(str(p)).count() for p in settings.bronze_dir.glob("*/*")
                         if p.parent.name != "_meta" and DeltaTable.is_deltatable(str(p)))}
    if settings.warehouse_path.exists():
        with duckdb.connect(str(settings.warehouse_path), read_only=True) as con:
            tables = con.execute("SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name <> 'main'").fetchall()
            for schema, table in tables:
                n = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()
                out[schema] = out.get(schema, 0) + int(n[0] if n else 0)
    return out
