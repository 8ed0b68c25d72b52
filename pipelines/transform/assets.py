"""dbt models as Dagster assets: clean keys (schema/model), groups by layer, dbt tests as asset checks."""

import os
from collections.abc import Mapping
from typing import Any

from dagster import AssetExecutionContext, AssetKey, MetadataValue, Output
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from pipelines import paths, warehouse
from pipelines.quality import gx_runner
from pipelines.transform import changes
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
    """`dbt build` (models and their tests) of the selected models whose sources changed since the last
    successful build (pipelines/transform/changes.py); the others are reported unchanged, not rebuilt."""
    os.environ.update(paths.dbt_env())
    manifest = changes.load_manifest(MANIFEST_PATH)
    with warehouse.connect() as con:
        plan = changes.plan_build(con, manifest, paths.DBT_PROJECT_DIR)
        if plan.builds_everything:  # the facts are rebuilt from scratch: no GX row verdict carries over
            gx_runner.forget_validated_keys(con)
    context.log.info(plan.summary())
    # Unchanged models first (they are only ever upstream of rebuilt ones), in dependency order, as Dagster
    # requires of a multi-asset; reported so the reports and publish steps downstream still run.
    selected = context.selected_asset_keys
    for uid in plan.unchanged_models:
        key = translator.get_asset_key(manifest["nodes"][uid])
        if key in selected:
            yield Output(None, output_name=context.assets_def.get_output_name_for_asset_key(key), metadata={
                "rebuilt": False,
                "why_not_rebuilt": MetadataValue.text(
                    "none of its dbt sources changed since the last successful build; the table is as it was"),
            })
    if not plan.builds_nothing:
        # A full build also rebuilds the incremental models from scratch: the project may have changed how they
        # are computed. An incremental one appends only what is new to them (fct_staffing_snapshot, ...).
        args = ["build"] + (["--exclude", " ".join(plan.exclude)] if plan.exclude else ["--full-refresh"])
        # raises after streaming when any node failed
        yield from dbt.cli(args, context=context, target_path=paths.dbt_target_dir()).stream()
    if selected == context.assets_def.keys:  # a build of the whole project: remember what it was built from
        with warehouse.connect() as con:
            changes.record_success(con, plan, context.run_id)
