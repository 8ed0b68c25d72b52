"""Dagster assets that load the vietnamadminunits reference dataset into raw tables."""

import pyarrow as pa
from dagster import AssetExecutionContext, AssetSpec, MaterializeResult, MetadataValue, multi_asset

from pipelines.resources import TRANSIENT_RETRY
from pipelines import warehouse
from pipelines.reference import admin_units

RAW_REFERENCE_TABLES = {
    "admin_units_legacy": ("The 63-province map as it stood on 2025-06-30 (admin_units_legacy, 10,040 rows).",
                           admin_units.legacy_units_columns),
    "admin_units_2025": ("The 34-province map in force from 2025-07-01 (admin_units, 3,321 rows).",
                         admin_units.current_units_columns),
    "admin_converter_ward": ("converter_2025.json: legacy unit -> 2025 unit pairs, with split defaults and areas.",
                             admin_units.converter_rows),
    "admin_converter_province": ("converter_2025.json: 2025 province -> the legacy provinces merged into it.",
                                 admin_units.province_converter_rows),
}


@multi_asset(
    specs=[
        AssetSpec(["raw", name], description=desc, group_name="reference", kinds={"python", "duckdb"})
        for name, (desc, _) in RAW_REFERENCE_TABLES.items()
    ],
    name="raw_admin_units",
    retry_policy=TRANSIENT_RETRY,
)
def raw_admin_units(context: AssetExecutionContext):
    """Load the vietnamadminunits package's SQLite dataset and JSON converter verbatim into raw.* tables."""
    version = admin_units.package_version()
    with warehouse.connect() as con:
        for name, (_, read) in RAW_REFERENCE_TABLES.items():
            rows = warehouse.replace_table(con, f"raw.{name}", pa.table(read()))
            yield MaterializeResult(
                asset_key=["raw", name],
                metadata={"rows": MetadataValue.int(rows), "vietnamadminunits_version": version},
            )
    context.log.info("loaded vietnamadminunits %s", version)
