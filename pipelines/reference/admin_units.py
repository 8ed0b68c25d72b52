"""Read the vietnamadminunits reference dataset (both maps and the 2025 converter) without Dagster.

The package ships an SQLite file (`data/dataset.db`) and a JSON converter (`data/converter_2025.json`).
We read them with sqlite3/json and return plain column dicts, ready for Arrow/DuckDB.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from functools import lru_cache
import hashlib
from importlib import metadata, resources
from pathlib import Path

LEGACY_COLUMNS = (
    "province", "district", "ward", "provinceShort", "districtShort", "wardShort", "districtType", "wardType",
    "provinceCode", "provinceLat", "provinceLon", "districtCode", "districtLat", "districtLon",
    "wardCode", "wardLat", "wardLon", "provinceKey", "districtKey", "wardKey",
)
CURRENT_COLUMNS = (
    "province", "ward", "provinceShort", "wardShort", "wardType", "provinceCode", "provinceLat", "provinceLon",
    "wardCode", "wardLat", "wardLon", "wardAreaKm2", "provinceKey", "wardKey",
)


@dataclass(frozen=True)
class Unit:
    """One commune-level unit of one map (enough for generators and templates)."""

    map_version: str
    province_code: str
    province_name: str
    district_code: str | None
    district_name: str | None
    unit_code: str
    unit_name: str
    unit_type: str


def package_data_dir() -> Path:
    """The folder holding dataset.db and converter_2025.json inside the installed package."""
    return Path(str(resources.files("vietnamadminunits") / "data"))


def package_version() -> str:
    return metadata.version("vietnamadminunits")


def source_checksum() -> str:
    """sha256 of what the raw reference tables are made from: the package's dataset.db and converter JSON, and
    this module (how they are read). Equal checksums mean equal tables."""
    digest = hashlib.sha256()
    for path in (package_data_dir() / "dataset.db", package_data_dir() / "converter_2025.json", Path(__file__)):
        digest.update(path.name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _query(sql: str) -> list[tuple]:
    con = sqlite3.connect(f"file:{package_data_dir() / 'dataset.db'}?mode=ro", uri=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def _columns(table: str, columns: tuple[str, ...]) -> dict[str, list]:
    # Table and column names are constants of this module, never input values.
    column_list = ", ".join('"' + c + '"' for c in columns)
    rows = _query(f"select {column_list} from {table}")
    return {name: [r[i] for r in rows] for i, name in enumerate(columns)}


def legacy_units_columns() -> dict[str, list]:
    """All rows of `admin_units_legacy` (10,040: 10,035 communes + 5 island districts without communes)."""
    return _columns("admin_units_legacy", LEGACY_COLUMNS)


def current_units_columns() -> dict[str, list]:
    """All rows of `admin_units` (the 2025 map: 3,321 units)."""
    return _columns("admin_units", CURRENT_COLUMNS)


def converter_rows() -> dict[str, list]:
    """The old->new ward converter flattened to one row per (legacy unit key, new unit) pair.

    Columns: new_province_key, legacy_key ('province_district_ward' keys), new_ward_key, is_divided,
    is_default, new_ward_area_km2. An undivided legacy unit has one row with is_default true.
    """
    with open(package_data_dir() / "converter_2025.json", encoding="utf-8") as fh:
        conv = json.load(fh)
    out: dict[str, list] = {k: [] for k in ("new_province_key", "legacy_key", "new_ward_key", "is_divided",
                                            "is_default", "new_ward_area_km2")}

    def add(npk: str, legacy_key: str, nwk: str, divided: bool, default: bool, area: float | None) -> None:
        for key, value in zip(out, (npk, legacy_key, nwk, divided, default, area)):
            out[key].append(value)

    for npk, wards in conv["DICT_PROVINCE_WARD_NO_DIVIDED"].items():
        for nwk, legacy_keys in wards.items():
            for legacy_key in legacy_keys:
                add(npk, legacy_key, nwk, False, True, None)
    for npk, legacy in conv["DICT_PROVINCE_WARD_DIVIDED"].items():
        for legacy_key, targets in legacy.items():
            for t in targets:
                add(npk, legacy_key, t["newWardKey"], True, bool(t["isDefaultNewWard"]), t.get("newWardAreaKm2"))
    return out


def province_converter_rows() -> dict[str, list]:
    """New province key -> the legacy province keys merged into it."""
    with open(package_data_dir() / "converter_2025.json", encoding="utf-8") as fh:
        conv = json.load(fh)
    pairs = [(npk, opk) for npk, olds in conv["DICT_PROVINCE"].items() for opk in olds]
    return {"new_province_key": [p[0] for p in pairs], "legacy_province_key": [p[1] for p in pairs]}


@lru_cache(maxsize=2)
def units(map_version: str) -> tuple[Unit, ...]:
    """The commune-level units of one map, ordered by code (island districts without communes excluded)."""
    if map_version == "legacy_63":
        rows = _query("select provinceCode, province, districtCode, district, wardCode, ward, wardType "
                      "from admin_units_legacy where wardCode is not null order by wardCode")
        return tuple(Unit("legacy_63", *r) for r in rows)
    if map_version == "v2025_34":
        rows = _query("select provinceCode, province, null, null, wardCode, ward, wardType "
                      "from admin_units order by wardCode")
        return tuple(Unit("v2025_34", *r) for r in rows)
    raise ValueError(f"unknown map_version {map_version!r}")


@lru_cache(maxsize=2)
def provinces(map_version: str) -> dict[str, str]:
    """Province code -> full province name (with diacritics) for one map."""
    table = {"legacy_63": "admin_units_legacy", "v2025_34": "admin_units"}[map_version]
    return dict(_query(f"select distinct provinceCode, province from {table} order by provinceCode"))
