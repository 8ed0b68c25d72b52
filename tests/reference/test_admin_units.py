"""The reference dataset reader, straight from the vietnamadminunits package."""

from pipelines.reference import admin_units


def test_map_sizes() -> None:
    assert len(admin_units.provinces("legacy_63")) == 63
    assert len(admin_units.provinces("v2025_34")) == 34
    assert len(admin_units.units("legacy_63")) == 10_035
    assert len(admin_units.units("v2025_34")) == 3_321


def test_converter_covers_every_legacy_row() -> None:
    legacy = admin_units.legacy_units_columns()
    keys = {f"{p}_{d}_{w or ''}" for p, d, w in zip(legacy["provinceKey"], legacy["districtKey"], legacy["wardKey"])}
    converted = set(admin_units.converter_rows()["legacy_key"])
    assert len(keys) == 10_040
    assert keys == converted


def test_province_converter_merges_63_into_34() -> None:
    rows = admin_units.province_converter_rows()
    assert len(set(rows["legacy_province_key"])) == 63
    assert len(set(rows["new_province_key"])) == 34


def test_raw_reference_tables_reload_only_when_their_source_changes(tmp_path, monkeypatch) -> None:
    """raw_admin_units (the real asset, materialized twice): the second run leaves the tables as they are; a
    table whose rows were lost, or a changed package checksum, is loaded again."""
    import duckdb
    from dagster import DagsterInstance, materialize

    from pipelines import paths
    from pipelines.reference.assets import RAW_REFERENCE_TABLES, raw_admin_units

    monkeypatch.setenv("WAREHOUSE_DATA_DIR", str(tmp_path / "data"))
    paths.ensure_dirs()

    def run() -> dict[str, tuple[int, bool]]:
        result = materialize([raw_admin_units], instance=DagsterInstance.ephemeral())
        assert result.success
        out = {}
        for event in result.get_asset_materialization_events():
            mat = event.event_specific_data.materialization
            out[mat.asset_key.path[-1]] = (mat.metadata["rows"].value, mat.metadata["reloaded"].value)
        return out

    first = run()
    assert set(first) == set(RAW_REFERENCE_TABLES) and all(fresh for _, fresh in first.values())
    assert first["admin_units_2025"][0] == 3321
    second = run()
    assert {name: rows for name, (rows, _) in second.items()} == {name: rows for name, (rows, _) in first.items()}
    assert not any(fresh for _, fresh in second.values())

    with duckdb.connect(str(paths.build_db())) as con:
        con.execute('delete from raw.admin_units_2025 where "provinceCode" = ?', ['01'])
    third = run()
    assert third["admin_units_2025"] == (3321, True)
    assert not third["admin_units_legacy"][1]

    monkeypatch.setattr(admin_units, "source_checksum", lambda: "another package")
    assert all(fresh for _, fresh in run().values())
