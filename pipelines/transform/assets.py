"""dbt models as Dagster assets: clean keys (schema/model), groups by layer, dbt tests as asset checks."""

import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines import paths
from pipelines.transform.project import MANIFEST_PATH, dbt_project

SOURCE_ASSETS: dict[str, list[str]] = {}  # dbt source name -> Dagster key when it is not <schema>/<name>
GROUP_BY_FOLDER = {"staging": "staging", "intermediate": "staging", "ref": "reference", "marts": "marts",
                   "audit": "audit"}


class WarehouseDbtTranslator(DagsterDbtTranslator):
    """Asset keys are <schema>/<model> (what analysts see); groups follow the model folder."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            name = dbt_resource_props["name"]
            return AssetKey(SOURCE_ASSETS.get(name, [dbt_resource_props["schema"], name]))
        return AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        folder = dbt_resource_props.get("fqn", ["", "staging"])[1]
        return GROUP_BY_FOLDER.get(folder, "staging")


translator = WarehouseDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(manifest=MANIFEST_PATH, project=dbt_project, dagster_dbt_translator=translator, name="dbt_models")
def dbt_models(context: AssetExecutionContext, dbt: DbtCliResource):
    """`dbt build` (models and their tests) of whatever models this run selected."""
    os.environ.update(paths.dbt_env())
    yield from dbt.cli(["build"], context=context).stream()
