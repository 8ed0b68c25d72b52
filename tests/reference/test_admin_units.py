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
