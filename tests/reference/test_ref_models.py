"""The ref schema as analysts see it in the published warehouse (built by a real refresh)."""

import pytest

pytestmark = pytest.mark.slow


def test_provinces_per_map(sample_run) -> None:
    rows = dict(sample_run.query("select map_version, count(*) from ref.dim_province group by 1"))
    assert rows == {"legacy_63": 63, "v2025_34": 34}


def test_commune_counts_equal_the_dataset(sample_run) -> None:
    rows = dict(sample_run.query("select map_version, count(*) from ref.dim_commune group by 1"))
    assert rows == {"legacy_63": 10_035, "v2025_34": 3_321}
    (dac_khu,) = sample_run.query(
        "select count(*) from ref.dim_commune where map_version = 'v2025_34' and unit_type = 'đặc khu'")[0]
    assert dac_khu == 13
    (islands,) = sample_run.query("select count(*) from ref.dim_district where not has_commune_level")[0]
    assert islands == 5


def test_thai_binh_legacy(sample_run) -> None:
    (districts,) = sample_run.query("select count(*) from ref.dim_district where province_code = '34'")[0]
    assert districts == 8
    types = dict(sample_run.query(
        "select unit_type, count(*) from ref.dim_commune where map_version = 'legacy_63' and province_code = ? "
        "group by 1", ["34"]))
    assert types == {"phường": 10, "thị trấn": 9, "xã": 223}
    (name,) = sample_run.query(
        "select province_name from ref.dim_province where map_version = 'legacy_63' and province_code = '34'")[0]
    assert name == "Tỉnh Thái Bình"


def test_validity_windows(sample_run) -> None:
    rows = sample_run.query(
        "select map_version, min(valid_from)::varchar, max(valid_to)::varchar from ref.dim_province group by 1 "
        "order by 1")
    assert rows == [("legacy_63", "2008-08-01", "2025-06-30"), ("v2025_34", "2025-07-01", None)]


def test_every_legacy_unit_reaches_2025_with_weights_summing_to_one(sample_run) -> None:
    (units, bad, bad_default) = sample_run.query(
        "select count(*), count(*) filter (where abs(w - 1) > 1e-9), count(*) filter (where abs(wd - 1) > 1e-9) "
        "from (select legacy_unit_id, sum(weight) w, sum(weight_default) wd from ref.bridge_commune_2025 "
        "group by 1)")[0]
    assert units == 10_040 and bad == 0 and bad_default == 0
    (unreached,) = sample_run.query(
        "select count(*) from ref.dim_commune c where c.map_version = 'v2025_34' and not exists "
        "(select 1 from ref.bridge_commune_2025 b where b.new_commune_code = c.commune_code)")[0]
    assert unreached == 0


def test_province_bridge(sample_run) -> None:
    rows = dict(sample_run.query(
        "select legacy_province_name, new_province_name from ref.bridge_province_2025"))
    assert len(rows) == 63
    assert rows["Tỉnh Thái Bình"] == "Tỉnh Hưng Yên"
    assert rows["Tỉnh Nam Định"] == "Tỉnh Ninh Bình"


def test_analyst_schemas_are_stable(sample_run) -> None:
    schemas = {r[0] for r in sample_run.query("select distinct schema_name from duckdb_tables()")}
    assert "ref" in schemas
    assert schemas <= {"ref", "marts", "audit", "meta"}, schemas
