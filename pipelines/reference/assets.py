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


LOADS_DDL = """
create table if not exists audit.reference_loads (
    table_name      varchar primary key,  -- raw.<table_name>
    source_checksum varchar not null,     -- admin_units.source_checksum() of the load
    row_count       bigint not null,
    package_version varchar,
    loaded_at       timestamp with time zone not null default now()
)
"""


@multi_asset(
    specs=[
        AssetSpec(["raw", name], description=desc, group_name="reference", kinds={"python", "duckdb"})
        for name, (desc, _) in RAW_REFERENCE_TABLES.items()
    ],
    name="raw_admin_units",
    retry_policy=TRANSIENT_RETRY,
)
def raw_admin_units(context: AssetExecutionContext):
    """Load the vietnamadminunits package's SQLite dataset and JSON converter verbatim into raw.* tables.

    A table already loaded from the same package files by the same code (audit.reference_loads: checksum and row
    count) is left as it is: the reference changes only when the package is upgraded.
    """
    version = admin_units.package_version()
    checksum = admin_units.source_checksum()
    with warehouse.connect() as con:
        con.execute(LOADS_DDL)
        loaded = {name: (cs, rows) for name, cs, rows in con.execute(
            "select table_name, source_checksum, row_count from audit.reference_loads").fetchall()}
        existing = {name for (name,) in con.execute(
            "select table_name from duckdb_tables() where schema_name = 'raw'").fetchall()}
        reloaded = []
        for name, (_, read) in RAW_REFERENCE_TABLES.items():
            recorded = loaded.get(name)
            if (recorded and recorded[0] == checksum and name in existing
                    and con.table(f"raw.{name}").count("*").fetchall()[0][0] == recorded[1]):
                rows, fresh = recorded[1], False
            else:
                rows, fresh = warehouse.replace_table(con, f"raw.{name}", pa.table(read())), True
                con.execute("insert or replace into audit.reference_loads (table_name, source_checksum, row_count, "
                            "package_version) values (?, ?, ?, ?)", [name, checksum, rows, version])
                reloaded.append(name)
            yield MaterializeResult(
                asset_key=["raw", name],
                metadata={"rows": MetadataValue.int(rows), "vietnamadminunits_version": version,
                          "reloaded": fresh, "source_checksum": checksum[:16]},
            )
    context.log.info("vietnamadminunits %s: %s", version,
                     f"reloaded {', '.join(reloaded)}" if reloaded else "unchanged since the last load, not reloaded")
