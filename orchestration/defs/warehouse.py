"""The standard layer and marts: the dbt project's models as assets, its tests as asset checks.

Every dbt model writes the one DuckDB warehouse, so the assets run in the `warehouse` pool, whose
limit is 1 (dagster.yaml): the warehouse has a single writer at a time.
"""


import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.resources import OWNER, PlatformSettings, dbt_env
from orchestration.warehouse_project import project

WAREHOUSE_POOL = "warehouse"
_LAYER_GROUPS = {"staging": "standard_staging", "intermediate": "intermediate", "marts": "marts"}


class WarehouseTranslator(DagsterDbtTranslator):
    """Groups by layer (staging/intermediate/marts), one owner, the layer as a tag."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        fqn = dbt_resource_props.get("fqn", [])
        layer = fqn[1] if len(fqn) > 2 else ""
        if dbt_resource_props.get("resource_type") == "seed":
            return "reference_seeds"
        return _LAYER_GROUPS.get(layer, "warehouse")

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_tags(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, str]:
        group = self.get_group_name(dbt_resource_props) or ""
        return {"layer": group}

    def get_metadata(self, dbt_resource_props: Mapping[str, Any]) -> Mapping[str, Any]:
        """dbt's own metadata plus, for a catalogued dataset, the data catalog's facts (quality/standards.yaml)."""
        from quality.standards import catalog_metadata

        meta = dict(super().get_metadata(dbt_resource_props))
        meta.update(catalog_metadata(str(dbt_resource_props.get("name", ""))))
        return meta


translator = WarehouseTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=project.manifest_path, project=project, dagster_dbt_translator=translator, pool=WAREHOUSE_POOL)
def warehouse_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, platform: PlatformSettings) -> Iterator[Any]:
    """`dbt build` of the selected models (seeds, models, tests) into the warehouse."""
    dbt_env(platform.get())
    yield from dbt.cli(["build"], context=context).stream()


def dbt_resource() -> DbtCliResource:
    # the dbt beside this interpreter (the project's virtualenv), whether or not it is on PATH
    executable = Path(sys.executable).with_name("dbt")
    return DbtCliResource(project_dir=project, profiles_dir=str(project.profiles_dir), target=project.target,
                          dbt_executable=str(executable))
