"""Generate realistic province submission files, with a JSONL ground truth of every mistake planted in them.

python -m pipelines.submissions.generate --from 2019-01 --to 2026-10 --provinces all --out DIR --seed 1 \
    [--dirty-rate 0.02] [--truth truth.jsonl] [--xlsx-share 0.15]

Numbers come from a per-unit model over the real unit lists (`admin_units.units`): each unit has a persistent
baseline that drifts in rare steps; provinces switch from semi-professional to regular police on their own
2018-2021 schedule; investigators appear from 2023; HQs move chua_co/chung_ubnd -> dang_xay_dung -> doc_lap;
from 2025-07 each unit of the 2025 map starts from the sum of the legacy units merged into it. Each province has a
stable file template (format, encoding, header wording, layout, column order). On top of that come late, missing and
resubmitted files and, at `--dirty-rate`, the mistakes clerks make.

Every random draw goes through `rng(seed, *key)` (never the global RNG): the same arguments give byte-identical
files and mtimes, and a unit's figures do not depend on which months or provinces are generated.
"""

from __future__ import annotations

import dataclasses

import argparse
import csv
import hashlib
import io
import json
import multiprocessing
import os
import random
import signal
import sys
import time
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from xml.sax.saxutils import escape as xml_escape

from pipelines.reference import admin_units
from pipelines.reference.admin_units import Unit
from pipelines.submissions import contract
from pipelines.submissions.contract import COLUMN_BY_NAME, MAP_2025, MAP_LEGACY, fold

VN_TZ = timezone(timedelta(hours=7))
ALWAYS = -(10**6)  # a month index earlier than any period


def month_index(period: str) -> int:
    """'YYYY-MM' -> months since year 0, so months can be subtracted."""
    year, month = period.split("-")
    return int(year) * 12 + int(month) - 1


def period_of(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


REFORM = month_index(contract.REFORM_PERIOD)
INVESTIGATORS_FROM = month_index("2023-01")
CA_VIEN_UNTIL = month_index("2024-07")  # công an viên posts end when the 2023 grassroots-security law takes effect
TRAINING_FROM = month_index("2019-01")
INVESTIGATOR_COLUMNS = ("investigators", "head_is_investigator", "deputies_investigators")
HQ_ORDER = ("chua_co", "chung_ubnd", "dang_xay_dung", "doc_lap")  # an HQ only moves right
STATE_FIELDS = ("regular_officers", "semi_professional_officers", "heads", "deputies", "ca_vien", "investigators",
                "head_is_investigator", "deputies_investigators", "officers_trained", "hq_status")


# ---------------------------------------------------------------------------------------------------------------
# Randomness: one independent stream per purpose and key.

def stable_hash(*parts: object) -> int:
    """A 64-bit hash of the parts that is the same in every process (unlike hash())."""
    data = "\x1f".join(str(p) for p in parts).encode("utf-8")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "big")


def rng(seed: int, *parts: object) -> random.Random:
    """The random stream for one purpose/key under a seed."""
    return random.Random(seed * 2**64 + stable_hash(*parts))


# ---------------------------------------------------------------------------------------------------------------
# Province profiles: roll-out schedule, punctuality and the province's file template.

@dataclass(frozen=True)
class Template:
    """How one province writes its file; stable for the province within a map."""

    header_style: str  # vi | vi_alias | ascii | en
    headers: dict[str, str]  # canonical column (and stt/province_code/period) -> header text
    layout: str  # block | block_inline | meta_columns
    meta_first: bool
    title_rows: tuple[str, ...]
    blank_after_block: bool
    deadline_row: bool
    period_format: str  # iso | slash | thang
    order: tuple[str, ...]
    optional: frozenset[str]  # optional columns this province keeps
    investigators_early: bool
    training_from: int
    semi_until: int  # first month without the semi-professional column
    semi_blank: bool  # blank rather than 0 once a unit has no semi-professional officers
    hq_style: str  # code | label | ascii
    flag_style: str  # 01 | co_khong | x
    encoding: str  # utf-8 | utf-8-sig | utf-16
    line_end: str
    pad_rows: bool
    ascii_names: bool
    xlsx_numeric_codes: bool
    xlsx_numbers_as_text: bool
    xlsx_sheets: tuple[str, ...]
    xlsx_data_sheet: str

    def columns(self, map_version: str, m: int) -> list[str]:
        """The table's columns for one month, in this template's order."""
        out = []
        for name in self.order:
            if name in ("stt", "province_code", "period"):
                if name == "stt" and "stt" in self.optional:
                    out.append(name)
                continue
            col = COLUMN_BY_NAME[name]
            if not col.required and name not in self.optional and name != "semi_professional_officers":
                continue
            if name == "semi_professional_officers" and (map_version != MAP_LEGACY or m >= self.semi_until):
                continue
            if name in INVESTIGATOR_COLUMNS and m < INVESTIGATORS_FROM and not self.investigators_early:
                continue
            if name == "officers_trained" and m < self.training_from:
                continue
            out.append(name)
        if self.layout == "meta_columns":
            out = ["province_code", "period", *out] if self.meta_first else [*out, "province_code", "period"]
        return out


@dataclass(frozen=True)
class ProvinceProfile:
    map_version: str
    code: str
    name: str
    rollout_start: int
    rollout_months: int
    investigators_start: int
    training_factor: float
    punctuality: float
    template: Template

    def coverage_share(self, m: int) -> float:
        """Planned share of xã/thị trấn with regular police in month m (smoothstep ramp)."""
        x = min(1.0, max(0.0, (m - self.rollout_start + 1) / self.rollout_months))
        return x * x * (3 - 2 * x)

    def coverage_month(self, u: float) -> int:
        """First month the ramp passes a unit's threshold u."""
        for m in range(self.rollout_start, self.rollout_start + self.rollout_months + 1):
            if self.coverage_share(m) > u:
                return m
        return self.rollout_start + self.rollout_months


def _pretty(alias: str) -> str:
    words = [w.upper() if fold(w) in ("ca", "cacq", "dtv", "dvhc", "ubnd") else w for w in alias.split()]
    text = " ".join(words)
    return text[:1].upper() + text[1:]


def _header_for(name: str, style: str, r: random.Random) -> str:
    """One header text for a canonical column in a given wording style (all accepted by the contract)."""
    meta = {"province_code": ("Mã tỉnh", "Mã tỉnh", "Ma tinh", "Province code"),
            "period": ("Kỳ báo cáo", "Tháng báo cáo", "Ky bao cao", "Period"),
            "stt": ("STT", "STT", "STT", "No.")}
    styles = ("vi", "vi_alias", "ascii", "en")
    if name in meta:
        return meta[name][styles.index(style)]
    col = COLUMN_BY_NAME[name]
    if style == "vi":
        return col.header_vi
    if style == "vi_alias":
        accented = [a for a in col.aliases if not a.isascii()]
        return _pretty(r.choice(accented)) if accented and r.random() < 0.7 else col.header_vi
    if style == "ascii":
        return _pretty(fold(col.header_vi))
    return col.name if r.random() < 0.5 else col.name.replace("_", " ").capitalize()


TITLES = (
    ("BÁO CÁO LỰC LƯỢNG VÀ TRỤ SỞ CÔNG AN CẤP XÃ",),
    ("CÔNG AN {PROV}", "BÁO CÁO SỐ LIỆU CÔNG AN XÃ, PHƯỜNG, THỊ TRẤN"),
    ("Biểu tổng hợp tình hình bố trí Công an chính quy về xã", "Đơn vị: Công an {prov}"),
    ("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "Độc lập - Tự do - Hạnh phúc", "BÁO CÁO CÔNG AN CẤP XÃ"),
)


def _make_template(seed: int, map_version: str, code: str, province_name: str) -> Template:
    r = rng(seed, "template", map_version, code)
    style = r.choices(("vi", "vi_alias", "ascii", "en"), weights=(45, 20, 20, 15))[0]
    upper = style in ("vi", "vi_alias") and r.random() < 0.2
    names = ["stt", "province_code", "period", *(c.name for c in contract.COLUMNS)]
    headers = {n: _header_for(n, style, r) for n in names}
    if upper:
        headers = {k: v.upper() for k, v in headers.items()}
    order = [c.name for c in contract.COLUMNS]
    if r.random() < 0.5:  # most keep the contract order; the others move the figure columns around
        lead, rest = order[:3], order[3:]
        r.shuffle(rest)
        order = lead + rest if r.random() < 0.7 else r.sample(order, len(order))
    order = ["stt", *order]
    optional = {n for n, p in (("stt", 0.3), ("unit_type", 0.7),
                               ("ca_vien", 0.8), ("investigators", 0.95), ("head_is_investigator", 0.8),
                               ("deputies_investigators", 0.7), ("officers_trained", 0.85), ("notes", 0.5))
                if r.random() < p}
    layout = r.choices(("block", "block_inline", "meta_columns"), weights=(50, 20, 30))[0]
    titles = () if r.random() < 0.3 else r.choice(TITLES)
    lowered = province_name[:1].lower() + province_name[1:]
    titles = tuple(t.format(PROV=province_name.upper(), prov=lowered) for t in titles)
    encoding = r.choices(("utf-8", "utf-8-sig", "utf-16"), weights=(45, 35, 20))[0]
    sheets = r.choices((("Sheet1",), ("Báo cáo",), ("Báo cáo", "Hướng dẫn"), ("Hướng dẫn", "Báo cáo")),
                       weights=(35, 30, 25, 10))[0]
    return Template(
        header_style=style, headers=headers, layout=layout, meta_first=r.random() < 0.6, title_rows=titles,
        blank_after_block=r.random() < 0.5, deadline_row=r.random() < 0.3,
        period_format=r.choices(("iso", "slash", "thang"), weights=(60, 25, 15))[0], order=tuple(order),
        optional=frozenset(optional), investigators_early=r.random() < 0.3,
        training_from=month_index("2019-01") + r.choice((0, 6, 12, 18)),
        semi_until=month_index(r.choices(("2021-01", "2021-07", "2022-01"), weights=(75, 15, 10))[0]),
        semi_blank=r.random() < 0.5, hq_style=r.choices(("code", "label", "ascii"), weights=(25, 55, 20))[0],
        flag_style=r.choices(("01", "co_khong", "x"), weights=(60, 30, 10))[0], encoding=encoding,
        line_end="\r\n" if encoding == "utf-16" or r.random() < 0.7 else "\n", pad_rows=r.random() < 0.5,
        ascii_names=style == "ascii" and r.random() < 0.5, xlsx_numeric_codes=r.random() < 0.25,
        xlsx_numbers_as_text=r.random() < 0.2, xlsx_sheets=sheets,
        xlsx_data_sheet="Báo cáo" if "Báo cáo" in sheets else sheets[0],
    )


def _make_province(seed: int, map_version: str, code: str) -> ProvinceProfile:
    r = rng(seed, "province", map_version, code)
    name = admin_units.provinces(map_version)[code]
    if r.random() < 0.1:  # pilot provinces started in early 2018
        start = month_index("2018-03") + r.randint(0, 4)
    else:
        start = month_index("2018-08") + r.randint(0, 14)
    months = r.randint(10, 24)
    months = max(months, month_index("2020-01") - start)  # everyone reaches 100% during 2020-2021
    months = min(months, month_index("2021-06") - start)
    return ProvinceProfile(
        map_version=map_version, code=code, name=name, rollout_start=start, rollout_months=months,
        investigators_start=INVESTIGATORS_FROM + r.randint(0, 7), training_factor=r.uniform(0.9, 1.1),
        punctuality=r.uniform(0.5, 1.0),
        # the semi-professional column stays in the template until the last unit has regular police
        template=dataclasses.replace(_make_template(seed, map_version, code, name),
                                     semi_until=max(_make_template(seed, map_version, code, name).semi_until,
                                                    start + months + 1)),
    )


# ---------------------------------------------------------------------------------------------------------------
# Unit model: a persistent baseline per unit, evaluated for any month.

@dataclass(frozen=True, slots=True)
class UnitProfile:
    covered_from: int  # first month with regular police (ALWAYS for phường; REFORM for 2025 units)
    start_officers: int
    target_officers: int
    grow_months: int
    start_deputies: int
    target_deputies: int
    drift: tuple[tuple[int, int], ...]  # (month, +/- officers) steps
    semi: int
    semi_deputies: int
    villages: int  # công an viên posts
    inv_factor: float
    inv_offset: float
    head_inv_u: float
    dep_inv_u: tuple[float, float, float, float, float]
    train_factor: float
    hq_initial: str
    hq_build: int
    hq_done: int


def _drift(r: random.Random, first: int, last: int) -> tuple[tuple[int, int], ...]:
    n = r.choice((0, 0, 1, 1, 2, 3))
    return tuple(sorted((r.randint(first, last), r.choice((-1, 1, 1))) for _ in range(n)))


def _legacy_profile(seed: int, unit: Unit, prov: ProvinceProfile) -> UnitProfile:
    r = rng(seed, "unit", unit.map_version, unit.unit_code)
    kind = unit.unit_type
    if kind == "Phường":  # urban wards always had regular police
        covered, target, villages = ALWAYS, r.randint(8, 15), 0
        start, grow, dep0, dep = target, 1, 2, r.choice((2, 2, 3))
        hq_p = (0.65, 0.92)
    elif kind == "Thị trấn":  # towns got regular police early in the roll-out
        covered, target, villages = prov.coverage_month(r.random() * 0.6), r.randint(6, 11), r.randint(2, 7)
        start, grow = max(3, round(target * r.uniform(0.55, 0.75))), r.randint(12, 36)
        dep0, dep = 1, r.choice((1, 2, 2, 3))
        hq_p = (0.25, 0.8)
    else:
        covered, target, villages = prov.coverage_month(r.random()), r.randint(5, 8), r.randint(3, 12)
        target += r.random() < 0.1
        start, grow = max(3, round(target * r.uniform(0.5, 0.75))), r.randint(12, 40)
        dep0, dep = 1, r.choice((1, 1, 2, 2, 2, 3))
        hq_p = (0.05, 0.75)
    x = r.random()
    hq0 = "doc_lap" if x < hq_p[0] else "chung_ubnd" if x < hq_p[1] else "chua_co"
    build = done = ALWAYS
    if hq0 != "doc_lap":
        build = month_index("2019-06") + int(r.triangular(0, 114, 42))
        if covered != ALWAYS and build < covered + 3:
            build = covered + 3 + r.randint(0, 12)
        done = build + r.randint(6, 18)
    return UnitProfile(
        covered_from=covered, start_officers=start, target_officers=target, grow_months=grow, start_deputies=dep0,
        target_deputies=dep, drift=_drift(r, month_index("2019-06"), month_index("2026-12")), semi=r.randint(3, 6),
        semi_deputies=r.randint(1, 2), villages=villages, inv_factor=r.uniform(0.6, 1.4), inv_offset=r.random(),
        head_inv_u=r.random(), dep_inv_u=tuple(r.random() for _ in range(5)), train_factor=r.uniform(0.85, 1.15),
        hq_initial=hq0, hq_build=build, hq_done=done,
    )


@lru_cache(maxsize=1)
def merger_sources() -> dict[str, tuple[tuple[str, float], ...]]:
    """2025 unit code -> (legacy unit code, share of it) for the legacy units merged into it."""
    legacy = admin_units.legacy_units_columns()
    current = admin_units.current_units_columns()
    conv = admin_units.converter_rows()
    legacy_code = {f"{p}_{d}_{w}": c for p, d, w, c in zip(legacy["provinceKey"], legacy["districtKey"],
                                                           legacy["wardKey"], legacy["wardCode"]) if c}
    new_code = {(p, w): c for p, w, c in zip(current["provinceKey"], current["wardKey"], current["wardCode"])}
    targets: dict[str, list[str]] = {}
    for lk, npk, nwk in zip(conv["legacy_key"], conv["new_province_key"], conv["new_ward_key"]):
        if lk in legacy_code:
            targets.setdefault(legacy_code[lk], []).append(new_code[(npk, nwk)])
    sources: dict[str, list[tuple[str, float]]] = {}
    for old, news in sorted(targets.items()):
        for new in news:  # a legacy unit split across n new units counts 1/n toward each
            sources.setdefault(new, []).append((old, 1 / len(news)))
    return {k: tuple(v) for k, v in sources.items()}


class StaffingModel:
    """Province and unit profiles for one seed, created on first use; `state` gives a unit's figures in a month."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._provinces: dict[tuple[str, str], ProvinceProfile] = {}
        self._units: dict[tuple[str, str], UnitProfile] = {}
        self._legacy_by_code: dict[str, Unit] = {}

    def province(self, map_version: str, code: str) -> ProvinceProfile:
        key = (map_version, code)
        if key not in self._provinces:
            self._provinces[key] = _make_province(self.seed, map_version, code)
        return self._provinces[key]

    def profile(self, unit: Unit) -> UnitProfile:
        key = (unit.map_version, unit.unit_code)
        if key not in self._units:
            if unit.map_version == MAP_LEGACY:
                prov = self.province(MAP_LEGACY, unit.province_code)
                self._units[key] = _legacy_profile(self.seed, unit, prov)
            else:
                self._units[key] = self._merged_profile(unit)
        return self._units[key]

    def state(self, unit: Unit, m: int) -> dict:
        """The unit's true figures in month m (STATE_FIELDS)."""
        return unit_state(self.profile(unit), m, self.province(unit.map_version, unit.province_code))

    def _merged_profile(self, unit: Unit) -> UnitProfile:
        """A 2025 unit starts from the sum of its legacy units in 2025-06 (slightly trimmed or topped up)."""
        if not self._legacy_by_code:
            self._legacy_by_code = {u.unit_code: u for u in admin_units.units(MAP_LEGACY)}
        r = rng(self.seed, "unit", unit.map_version, unit.unit_code)
        before = [(self.state(self._legacy_by_code[c], REFORM - 1), self.profile(self._legacy_by_code[c]), w)
                  for c, w in merger_sources().get(unit.unit_code, ())]
        officers = round(sum(s["regular_officers"] * w for s, _, w in before) * r.uniform(0.88, 1.05))
        if officers < 6:  # special zones on islands had no commune-level predecessor
            officers = r.randint(10, 25) if unit.unit_type == "Đặc khu" else r.randint(12, 22)
        deputies = min(5, max(2, round(sum(s["deputies"] * w for s, _, w in before) * 0.7)))
        statuses = [s["hq_status"] for s, _, _ in before] or ["chung_ubnd"]
        best = max(statuses, key=HQ_ORDER.index)
        build = done = ALWAYS
        if best == "dang_xay_dung":
            build = REFORM - 1
            done = min(p.hq_done for s, p, _ in before if s["hq_status"] == "dang_xay_dung")
        elif best != "doc_lap":
            build = REFORM + r.randint(2, 40)
            done = build + r.randint(8, 18)
        return UnitProfile(
            covered_from=REFORM, start_officers=officers, target_officers=officers + r.randint(0, 3),
            grow_months=r.randint(6, 18), start_deputies=deputies, target_deputies=deputies,
            drift=_drift(r, REFORM + 3, month_index("2027-12")), semi=0, semi_deputies=0, villages=0,
            inv_factor=r.uniform(0.7, 1.3), inv_offset=r.random(), head_inv_u=r.random() * 0.9,
            dep_inv_u=tuple(r.random() for _ in range(5)), train_factor=r.uniform(0.9, 1.1),
            hq_initial=best, hq_build=build, hq_done=done,
        )


def unit_state(p: UnitProfile, m: int, prov: ProvinceProfile) -> dict:
    """A unit's figures in month m, a pure function of its profile."""
    hq = p.hq_initial if m < p.hq_build else ("dang_xay_dung" if m < p.hq_done else "doc_lap")
    villages = p.villages if m < CA_VIEN_UNTIL else 0
    if m < p.covered_from:  # still served by semi-professional police, with a semi-professional head
        return {"regular_officers": 0, "semi_professional_officers": p.semi, "heads": 1,
                "deputies": p.semi_deputies, "ca_vien": villages, "investigators": 0, "head_is_investigator": 0,
                "deputies_investigators": 0, "officers_trained": 0, "hq_status": hq}
    k = 1.0 if p.covered_from == ALWAYS else min(1.0, (m - p.covered_from) / p.grow_months)
    deputies = p.start_deputies + round((p.target_deputies - p.start_deputies) * k)
    officers = round(p.start_officers + (p.target_officers - p.start_officers) * k)
    for when, step in p.drift:
        if when <= m:
            officers += step
    officers = max(officers, deputies + 2)
    inv = head_inv = dep_inv = 0
    t = m - prov.investigators_start
    if t >= 0 and m >= INVESTIGATORS_FROM:
        inv = int(officers * min(0.4, 0.06 + 0.3 * t / 36) * p.inv_factor + p.inv_offset)
        head_inv = 1 if p.head_inv_u < min(0.85, 0.08 + 0.75 * t / 40) else 0
        share = min(0.6, 0.04 + 0.56 * t / 42)
        dep_inv = sum(1 for u in p.dep_inv_u[:deputies] if u < share)
        inv = min(officers, max(inv, head_inv + dep_inv))
    trained = 0
    if m >= TRAINING_FROM:
        share = min(0.97, (0.2 + 0.8 * (m - TRAINING_FROM) / 66) * prov.training_factor) * p.train_factor
        trained = min(officers, round(officers * min(1.0, share)))
    return {"regular_officers": officers, "semi_professional_officers": 0, "heads": 1, "deputies": deputies,
            "ca_vien": villages, "investigators": inv, "head_is_investigator": head_inv,
            "deputies_investigators": dep_inv, "officers_trained": trained, "hq_status": hq}


@lru_cache(maxsize=2)
def units_by_province(map_version: str) -> dict[str, tuple[Unit, ...]]:
    out: dict[str, list[Unit]] = {}
    for u in admin_units.units(map_version):
        out.setdefault(u.province_code, []).append(u)
    return {k: tuple(v) for k, v in out.items()}


@lru_cache(maxsize=2)
def all_codes(map_version: str) -> frozenset[str]:
    return frozenset(u.unit_code for u in admin_units.units(map_version))


# ---------------------------------------------------------------------------------------------------------------
# Rows, mistakes and rendering.

NOTES = ("Mới bổ sung 01 đ/c", "Trụ sở xuống cấp", "Đang mượn nhà văn hóa thôn", "Khuyết Phó Trưởng, đang kiện toàn",
         "Trụ sở mới đưa vào sử dụng", "Có 01 đ/c đi học", "Đã bàn giao đất xây trụ sở",
         "Đang xây dựng, dự kiến xong quý IV", 'Điều động 01 đ/c về "Đội CSGT"')
NUMBER_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín", "mười")
UNKNOWN_HQ = ("Tạm mượn nhà văn hóa", "Thuê nhà dân", "Có", "Đang sửa chữa", "x", "Nhờ trụ sở HTX", "Tốt")
ROW_MISTAKES = {  # kind -> weight
    "unit_code_typo": 3, "unit_code_short": 2, "unit_code_other_province": 2, "negative_count": 2,
    "impossible_count": 2, "text_in_number": 2, "duplicate_unit": 2, "total_row": 1,
    "heads_deputies_exceed_officers": 2, "investigators_exceed_officers": 1, "trained_exceed_officers": 1,
    "deputies_investigators_exceed_deputies": 1, "unknown_hq_status": 2, "missing_value": 1,
}
FILE_MISTAKES = {  # kind -> (weight, formats it applies to)
    "empty_file": (2, ("csv", "xlsx")), "header_only": (2, ("csv", "xlsx")), "wrong_encoding": (3, ("csv",)),
    "name_content_mismatch": (3, ("csv", "xlsx")), "truncated_xlsx": (3, ("xlsx",)),
    "missing_required_column": (2, ("csv", "xlsx")),
}


def clean_rows(model: StaffingModel, units: Sequence[Unit], m: int, r_notes: random.Random) -> list[dict]:
    """The true figures of every unit of a province in month m, one dict per unit."""
    if not units:
        return []
    prov = model.province(units[0].map_version, units[0].province_code)
    rows = []
    for u in units:
        row = unit_state(model.profile(u), m, prov)
        row["unit_code"], row["unit_name"], row["unit_type"] = u.unit_code, u.unit_name, u.unit_type
        row["notes"] = r_notes.choice(NOTES) if r_notes.random() < 0.02 else None
        row["_m"] = []
        rows.append(row)
    return rows


def _copy_rows(rows: list[dict]) -> list[dict]:
    return [{**row, "_m": []} for row in rows]


def _mark(row: dict, kind: str, column: str | None) -> None:
    row["_m"].append((kind, column))


def inject_row_mistakes(rows: list[dict], columns: Sequence[str], map_version: str, province: str,
                        r: random.Random) -> None:
    """Plant 1-4 row-level mistakes (in place); each marked on the row it affects."""
    kinds, weights = list(ROW_MISTAKES), list(ROW_MISTAKES.values())
    wanted, planted = r.choice((1, 1, 2, 2, 3, 4)), 0
    for _ in range(40):
        if planted >= wanted or not rows:
            break
        if _plant(r.choices(kinds, weights)[0], rows, columns, map_version, province, r):
            planted += 1
    rows.sort(key=lambda row: row["unit_code"] == "")  # a total line stays the last line (sort is stable)


def _plant(kind: str, rows: list[dict], columns: Sequence[str], map_version: str, province: str,
           r: random.Random) -> bool:
    """Plant one mistake of a kind if some row allows it; False if none does."""
    free = [row for row in rows if not row["_m"] and row["unit_code"] and not row.get("_keep")]
    covered = [row for row in free if isinstance(row["regular_officers"], int) and row["regular_officers"] > 0]
    counts = [c for c in columns if c in ("regular_officers", "deputies", "ca_vien", "officers_trained")]
    if not free:
        return False
    row = r.choice(free)
    if kind == "unit_code_typo":
        code = row["unit_code"]
        for _ in range(20):
            i = r.randrange(5)
            new = code[:i] + r.choice([d for d in "0123456789" if d != code[i]]) + code[i + 1:]
            if new not in all_codes(map_version):
                row["unit_code"] = new
                break
        else:
            return False
    elif kind == "unit_code_short":  # a digit dropped, so even zero-padding cannot restore the code
        code = row["unit_code"]
        options = [code[:i] + code[i + 1:] for i in range(5)]
        options = [o for o in options if o.zfill(5) != code and o.zfill(5) not in all_codes(map_version)]
        if not options:
            return False
        row["unit_code"] = r.choice(options)
    elif kind == "unit_code_other_province":
        others = [p for p in units_by_province(map_version) if p != province]
        row["unit_code"] = r.choice(units_by_province(map_version)[r.choice(others)]).unit_code
    elif kind == "negative_count":
        col = r.choice(counts)
        row[col] = -r.randint(1, 5)
        kind_col = col
        _mark(row, kind, kind_col)
        return True
    elif kind == "impossible_count":
        col = r.choice(("regular_officers", "heads", "deputies"))
        row[col] = {"regular_officers": r.choice((999, 9999, 300)), "heads": r.choice((2, 3)), "deputies": 12}[col]
        _mark(row, kind, col)
        return True
    elif kind == "text_in_number":
        col = r.choice(counts)
        value = row[col] if isinstance(row[col], int) else 0
        row[col] = r.choice((NUMBER_WORDS[min(value, 10)], f"{value} đ/c", f"{value} người", f"khoảng {value}"))
        _mark(row, kind, col)
        return True
    elif kind == "duplicate_unit":
        row["_keep"] = True  # the first copy must stay as it is, or the pair stops being a duplicate
        copy = {**row, "_m": [(kind, "unit_code")]}
        if r.random() < 0.5 and isinstance(copy["regular_officers"], int):
            copy["regular_officers"] += 1
        rows.insert(rows.index(row) + r.randint(1, 5), copy)
        return True
    elif kind == "total_row":
        if any(not row["unit_code"] for row in rows):
            return False
        rows.append(_total_row(rows, r))
        return True
    elif kind == "heads_deputies_exceed_officers":
        if not covered:
            return False
        row = r.choice(covered)
        row["regular_officers"] = max(1, row["heads"] + row["deputies"] - r.randint(1, 2))
        for col in ("investigators", "officers_trained"):
            row[col] = min(row[col], row["regular_officers"])
        row["deputies_investigators"] = min(row["deputies_investigators"], row["investigators"])
        row["head_is_investigator"] = min(row["head_is_investigator"],
                                          row["investigators"] - row["deputies_investigators"])
        _mark(row, kind, "regular_officers")
        return True
    elif kind == "investigators_exceed_officers":
        if "investigators" not in columns or not covered:
            return False
        row = r.choice(covered)
        row["investigators"] = row["regular_officers"] + r.randint(1, 5)
        _mark(row, kind, "investigators")
        return True
    elif kind == "trained_exceed_officers":
        if "officers_trained" not in columns or not covered:
            return False
        row = r.choice(covered)
        row["officers_trained"] = row["regular_officers"] + r.randint(1, 10)
        _mark(row, kind, "officers_trained")
        return True
    elif kind == "deputies_investigators_exceed_deputies":
        if "deputies_investigators" not in columns or not covered:
            return False
        row = r.choice(covered)
        row["deputies_investigators"] = row["deputies"] + r.randint(1, 2)
        row["investigators"] = max(row["investigators"], row["deputies_investigators"] + row["head_is_investigator"])
        row["regular_officers"] = max(row["regular_officers"], row["investigators"])
        _mark(row, kind, "deputies_investigators")
        return True
    elif kind == "unknown_hq_status":
        row["hq_status"] = r.choice(UNKNOWN_HQ)
        _mark(row, kind, "hq_status")
        return True
    elif kind == "missing_value":
        col = r.choice(("regular_officers", "hq_status", "heads"))
        row[col] = None
        _mark(row, kind, col)
        return True
    else:
        raise ValueError(kind)
    _mark(row, kind, "unit_code")
    return True


def _thousands(n: int) -> str | int:
    return f"{n:,}".replace(",", ".") if n >= 1000 else n


def _total_row(rows: list[dict], r: random.Random) -> dict:
    """The 'Tổng cộng' line clerks add at the bottom, with dotted thousands."""
    total: dict = {"unit_code": "", "unit_name": r.choice(("Tổng cộng", "TỔNG CỘNG", "Cộng")), "unit_type": None,
                   "hq_status": None, "notes": None, "_m": [("total_row", None)]}
    for col in STATE_FIELDS[:-1]:
        total[col] = _thousands(sum(row[col] for row in rows if isinstance(row.get(col), int)))
    return total


def stale_rows(rows: list[dict], r: random.Random) -> list[dict]:
    """A first submission later corrected by a _v2: a few figures off, all of them still plausible."""
    out = _copy_rows(rows)
    covered = [row for row in out if row["regular_officers"] > 0]
    for row in r.sample(covered, min(len(covered), r.randint(2, 6))):
        floor = max(row["heads"] + row["deputies"], row["officers_trained"], row["investigators"])
        row["regular_officers"] += 1 if row["regular_officers"] - 1 < floor or r.random() < 0.5 else -1
    return out


def _strip_accents(text: str) -> str:
    text = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in text if unicodedata.category(ch) != "Mn")


def _period_text(period: str, style: str) -> str:
    year, month = period.split("-")
    return {"iso": period, "slash": f"{month}/{year}", "thang": f"tháng {month}/{year}"}[style]


def render_grid(t: Template, province: ProvinceProfile, period: str, columns: Sequence[str], rows: list[dict],
                fmt: str, content_province: str | None = None, content_period: str | None = None) -> list[list]:
    """The sheet as a list of rows of cells (str/int/None): titles, header block, header row, data rows."""
    code = content_province or province.code
    period_text = _period_text(content_period or period, t.period_format)
    if t.header_style in ("ascii", "en"):
        period_text = _strip_accents(period_text)
    # Codes typed into Excel become numbers; only where no leading zero is lost (the contract wants 5 digits).
    numeric = fmt == "xlsx" and t.xlsx_numeric_codes and not code.startswith("0")
    code_cell = int(code) if numeric else code
    grid: list[list] = [[title] for title in t.title_rows]
    if t.layout != "meta_columns":
        labels = (t.headers["province_code"], t.headers["period"])
        if t.layout == "block":
            grid += [[labels[0], code_cell], [labels[1], period_text]]
        else:
            grid += [[f"{labels[0]}: {code}"], [f"{labels[1]}: {period_text}"]]
        if t.deadline_row:
            grid.append(["Hạn nộp", contract.period_deadline(period).strftime("%d/%m/%Y")])
        if t.blank_after_block:
            grid.append([])
    grid.append([t.headers[c] for c in columns])
    converters = [_converter(c, t, fmt, code_cell, period_text) for c in columns]
    if "stt" in columns:
        at = columns.index("stt")
        for i, row in enumerate(rows, start=1):
            cells = [conv(row) for conv in converters]
            cells[at] = (str(i) if fmt == "csv" else i) if row["unit_code"] else None  # no number on a total line
            grid.append(cells)
    else:
        grid.extend([conv(row) for conv in converters] for row in rows)
    return grid


def _converter(column: str, t: Template, fmt: str, code_cell: str | int, period_text: str):
    """A function row -> cell value for one column, as this template writes it."""
    as_text = fmt == "csv" or t.xlsx_numbers_as_text

    def number(v: object) -> object:
        return str(v) if as_text and isinstance(v, int) else v

    if column in ("province_code", "period", "stt"):
        fixed = code_cell if column == "province_code" else period_text
        return lambda row: fixed
    if column == "unit_code":
        if fmt == "xlsx" and t.xlsx_numeric_codes:
            return lambda row: (int(row["unit_code"]) if row["unit_code"].isdigit() and row["unit_code"][:1] != "0"
                                else row["unit_code"])
        return lambda row: row["unit_code"]
    if column == "unit_name" or column == "unit_type":
        if t.ascii_names or (column == "unit_type" and t.header_style == "ascii"):
            return lambda row: _strip_accents(row[column]) if row[column] else row[column]
        return lambda row: row[column]
    if column == "notes":
        return lambda row: row["notes"]
    if column == "hq_status":
        labels = {"code": {k: k for k in contract.HQ_STATUSES}, "label": contract.HQ_STATUSES,
                  "ascii": {k: _strip_accents(v) for k, v in contract.HQ_STATUSES.items()}}[t.hq_style]
        return lambda row: labels.get(row["hq_status"], row["hq_status"])
    if column == "head_is_investigator":
        flags = {"01": ("0", "1"), "co_khong": ("Không", "Có"), "x": ("", "x")}[t.flag_style]
        if fmt == "xlsx" and t.flag_style == "01" and not as_text:
            flags = (0, 1)
        return lambda row: flags[row[column]] if row[column] in (0, 1) else number(row[column])
    if column == "semi_professional_officers" and t.semi_blank:
        return lambda row: None if row[column] == 0 else number(row[column])
    if as_text:
        return lambda row: str(row[column]) if isinstance(row[column], int) else row[column]
    return lambda row: row[column]


def csv_bytes(grid: list[list], encoding: str, line_end: str, pad: bool) -> bytes:
    """CSV as the province's tool saves it; 'utf-16' means Excel's tab-separated 'Unicode text'."""
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter="\t" if encoding == "utf-16" else ",", lineterminator=line_end)
    width = max(len(row) for row in grid)
    for row in grid:
        cells = ["" if v is None else str(v) for v in row]
        writer.writerow(cells + [""] * (width - len(cells)) if pad else cells)
    text = buf.getvalue()
    if encoding == "utf-16":
        return b"\xff\xfe" + text.encode("utf-16-le")
    if encoding == "cp1258":
        return encode_cp1258(text)
    if encoding == "cp1252":
        return text.encode("cp1252", errors="replace")
    return text.encode(encoding)


def encode_cp1258(text: str) -> bytes:
    """Windows-1258 as Vietnamese Windows writes it: a precomposed letter where the code page has one, else the
    letter with its vowel mark plus a combining tone mark ('ộ' = 'ô' + combining dot below)."""
    out = bytearray()
    for ch in text:
        try:
            out += ch.encode("cp1258")
            continue
        except UnicodeEncodeError:
            pass
        decomposed = unicodedata.normalize("NFD", ch)
        base, marks = decomposed[0], decomposed[1:]
        for i, tone in enumerate(marks):
            head = unicodedata.normalize("NFC", base + marks[:i] + marks[i + 1:])
            try:
                out += head.encode("cp1258") + tone.encode("cp1258")
                break
            except UnicodeEncodeError:
                continue
        else:
            out += b"?"
    return bytes(out)


GUIDE_LINES = ("Hướng dẫn: mỗi dòng một đơn vị cấp xã; không đổi mã đơn vị.",
               "Cột Trụ sở: Độc lập / Chung trụ sở UBND / Đang xây dựng / Chưa có.")


def xlsx_bytes(grid: list[list], t: Template) -> bytes:
    """The province's workbook: the data sheet plus, for some templates, an instructions sheet."""
    guide = [[line] for line in GUIDE_LINES]
    return write_xlsx([(name, grid if name == t.xlsx_data_sheet else guide) for name in t.xlsx_sheets])


# A small SpreadsheetML writer. openpyxl's write-only mode spends ~50 us per cell in pure-Python XML when lxml is
# absent, which made XLSX 60% of a national 10-year run; this writes the same structure Excel does (shared
# strings, one default style) at ~1 us per cell, with fixed dates and zip times so the bytes are reproducible.
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006/relationships"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_ZIP_TIME = (2025, 1, 1, 0, 0, 0)
_DOC_TIME = "2025-01-01T00:00:00Z"
_STYLES = (f'{_XML}<styleSheet xmlns="{_NS}"><fonts count="1"><font><sz val="11"/><name val="Calibri"/></font>'
           '</fonts><fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill '
           'patternType="gray125"/></fill></fills><borders count="1"><border><left/><right/><top/><bottom/>'
           '<diagonal/></border></borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" '
           'borderId="0"/></cellStyleXfs><cellXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" '
           'xfId="0"/></cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
           '</cellStyles></styleSheet>')


def _column_letter(i: int) -> str:
    letters = ""
    i += 1
    while i:
        i, rem = divmod(i - 1, 26)
        letters = chr(65 + rem) + letters
    return letters


_LETTERS = tuple(_column_letter(i) for i in range(64))


def _sheet_xml(rows: Sequence[Sequence[object]], strings: dict[str, int]) -> str:
    out = []
    width = 1
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            if v is None or v == "":
                continue
            if isinstance(v, (int, float)):
                cells.append(f'<c r="{_LETTERS[c]}{r}"><v>{v}</v></c>')
            else:
                index = strings.setdefault(str(v), len(strings))
                cells.append(f'<c r="{_LETTERS[c]}{r}" t="s"><v>{index}</v></c>')
        if cells:
            width = max(width, len(row))
            out.append(f'<row r="{r}">{"".join(cells)}</row>')
    dimension = f"A1:{_LETTERS[width - 1]}{max(1, len(rows))}"
    return (f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><dimension ref="{dimension}"/><sheetData>'
            f'{"".join(out)}</sheetData></worksheet>')


def _shared_strings_xml(strings: dict[str, int]) -> str:
    items = []
    for text in strings:  # dicts keep insertion order = index order
        space = ' xml:space="preserve"' if text != text.strip() else ""
        items.append(f"<si><t{space}>{xml_escape(text)}</t></si>")
    return f'{_XML}<sst xmlns="{_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">{"".join(items)}</sst>'


def write_xlsx(sheets: Sequence[tuple[str, Sequence[Sequence[object]]]]) -> bytes:
    """XLSX bytes for (sheet name, rows of cells) pairs; ints/floats become numbers, everything else text."""
    strings: dict[str, int] = {}
    sheet_xml = [_sheet_xml(rows, strings) for _, rows in sheets]
    n = len(sheets)
    sheet_entries = "".join(f'<sheet name="{xml_escape(name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                            for i, (name, _) in enumerate(sheets, start=1))
    sheet_rels = "".join(f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" Target="worksheets/sheet{i}.xml"/>'
                         for i in range(1, n + 1))
    sheet_types = "".join(f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="application/vnd.'
                          'openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>' for i in range(1, n + 1))
    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            f'spreadsheetml.sheet.main+xml"/>{sheet_types}'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'spreadsheetml.styles+xml"/>'
            '<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sharedStrings+xml"/>'
            '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.'
            'core-properties+xml"/>'
            '<Override PartName="/docProps/app.xml" ContentType="application/vnd.openxmlformats-officedocument.'
            'extended-properties+xml"/></Types>'),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_PKG}">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            f'<Relationship Id="rId2" Type="{_PKG}/metadata/core-properties" Target="docProps/core.xml"/>'
            f'<Relationship Id="rId3" Type="{_REL}/extended-properties" Target="docProps/app.xml"/>'
            '</Relationships>'),
        "docProps/core.xml": (
            f'{_XML}<cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/'
            'core-properties" xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/'
            'terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"><dc:creator>Cong an tinh</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{_DOC_TIME}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{_DOC_TIME}</dcterms:modified></cp:coreProperties>'),
        "docProps/app.xml": (
            f'{_XML}<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
            '<Application>Microsoft Excel</Application></Properties>'),
        "xl/workbook.xml": f'{_XML}<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>{sheet_entries}</sheets></workbook>',
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PKG}">{sheet_rels}'
            f'<Relationship Id="rId{n + 1}" Type="{_REL}/styles" Target="styles.xml"/>'
            f'<Relationship Id="rId{n + 2}" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
            '</Relationships>'),
        "xl/styles.xml": _STYLES,
        "xl/sharedStrings.xml": _shared_strings_xml(strings),
        **{f"xl/worksheets/sheet{i}.xml": xml for i, xml in enumerate(sheet_xml, start=1)},
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, date_time=_ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o600 << 16
            archive.writestr(info, text.encode("utf-8"))
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------------------------
# One province-month: plan, build the file(s), record the truth.

@dataclass
class Options:
    seed: int = 0
    dirty_rate: float = 0.0
    xlsx_share: float = 0.15
    missing_rate: float = 0.01
    resubmit_rate: float = 0.02


@dataclass
class GeneratedFile:
    name: str
    data: bytes
    received_at: datetime
    truth: dict = field(default_factory=dict)


OFFICE_HOURS = (7, 8, 8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 15, 16, 16, 17, 20, 22)  # some send from home at night


def received_time(r: random.Random, period: str, punctuality: float) -> datetime:
    """When the file reached HQ: mostly in the ten days before the deadline, some days or weeks late."""
    deadline = contract.period_deadline(period)
    late_p = 0.06 + 0.14 * (1 - punctuality) + (0.25 if period in ("2025-07", "2025-08") else 0.0)
    x = r.random()
    if x < late_p * 0.8:
        days = -r.randint(1, 12)
    elif x < late_p:
        days = -r.randint(13, 40)
    else:
        days = min(r.randint(0, 9), r.randint(0, 9))
    day = deadline - timedelta(days=days)
    return datetime(day.year, day.month, day.day, r.choice(OFFICE_HOURS), r.randint(0, 59), r.randint(0, 59),
                    tzinfo=VN_TZ)


def _pick_file_mistake(fmt: str, r: random.Random) -> str:
    kinds = [k for k, (_, fmts) in FILE_MISTAKES.items() if fmt in fmts]
    return r.choices(kinds, [FILE_MISTAKES[k][0] for k in kinds])[0]


@dataclass
class SubmissionPlan:
    """What happens to one province-month before any figure is written."""

    fmt: str
    encoding: str
    received: datetime
    resubmitted: datetime | None  # when the _v2 arrived, if there is one
    dirty: bool
    file_error: str | None
    stale_first: bool  # a clean first file whose figures the _v2 corrects
    r_plan: random.Random
    r_dirty: random.Random


def plan_submission(opts: Options, prov: ProvinceProfile, period: str) -> SubmissionPlan | None:
    """Format, encoding, arrival, resubmission and mistakes of one province-month; None if it was never sent."""
    key = (prov.map_version, prov.code, period)
    plan = rng(opts.seed, "plan", *key)
    if plan.random() < opts.missing_rate:
        return None
    fmt = "xlsx" if plan.random() < opts.xlsx_share else "csv"
    encoding = prov.template.encoding if plan.random() < 0.9 else plan.choice(("utf-8", "utf-8-sig", "utf-16"))
    received = received_time(plan, period, prov.punctuality)
    resubmit = plan.random() < opts.resubmit_rate
    again = received.date() + timedelta(days=plan.randint(1, 12))
    again_at = datetime(again.year, again.month, again.day, plan.choice(OFFICE_HOURS), plan.randint(0, 59),
                        plan.randint(0, 59), tzinfo=VN_TZ)
    dirty = rng(opts.seed, "dirty", *key)
    is_dirty = dirty.random() < opts.dirty_rate
    file_error = _pick_file_mistake(fmt, dirty) if is_dirty and dirty.random() < 0.25 else None
    resubmit_after_error = is_dirty and dirty.random() < 0.35  # HQ sent the file back and the province fixed it
    return SubmissionPlan(fmt=fmt, encoding=encoding, received=received,
                          resubmitted=again_at if resubmit or resubmit_after_error else None,
                          dirty=is_dirty, file_error=file_error, stale_first=resubmit and not is_dirty,
                          r_plan=plan, r_dirty=dirty)


def build_province_month(model: StaffingModel, opts: Options, map_version: str, code: str,
                         period: str) -> list[GeneratedFile]:
    """The file(s) one province sends for one month: none (missing), one, or one plus a _v2 resubmission."""
    prov = model.province(map_version, code)
    plan = plan_submission(opts, prov, period)
    if plan is None:
        return []
    m, t = month_index(period), prov.template
    columns = t.columns(map_version, m)
    truth_rows = clean_rows(model, units_by_province(map_version)[code], m, rng(opts.seed, "notes", code, period))
    first = _copy_rows(truth_rows)
    if plan.dirty and plan.file_error is None:
        inject_row_mistakes(first, columns, map_version, code, plan.r_dirty)
    elif plan.stale_first:
        first = stale_rows(truth_rows, plan.r_plan)
    v1 = _render_file(t, prov, period, columns, first, plan.fmt, plan.encoding, plan.file_error, plan.r_dirty)
    v1.name, v1.received_at = contract.file_name(code, period, plan.fmt), plan.received
    out = [v1]
    if plan.resubmitted:
        v2 = _render_file(t, prov, period, columns, _copy_rows(truth_rows), plan.fmt, plan.encoding, None,
                          plan.r_dirty)
        v2.name, v2.received_at = contract.file_name(code, period, plan.fmt, "v2"), plan.resubmitted
        v1.truth["superseded_by"], v2.truth["supersedes"] = v2.name, v1.name
        out.append(v2)
    for f in out:
        f.truth = {"file": f.name, "province_code": code, "period": period, "map_version": map_version,
                   **f.truth, "received_at": f.received_at.isoformat()}
    return out


def _render_file(t: Template, prov: ProvinceProfile, period: str, columns: list[str], rows: list[dict], fmt: str,
                 encoding: str, file_error: str | None, r: random.Random) -> GeneratedFile:
    content_province = content_period = detail = None
    if file_error == "header_only":
        rows = []
    elif file_error == "missing_required_column":
        dropped = r.choice(("hq_status", "regular_officers", "heads", "unit_code"))
        columns = [c for c in columns if c != dropped]
        detail = dropped
    elif file_error == "name_content_mismatch":
        if r.random() < 0.6:  # last month's file copied and the period not updated
            content_period = period_of(month_index(period) - 1)
            detail = f"period {content_period}"
        else:
            content_province = r.choice([p for p in units_by_province(prov.map_version) if p != prov.code])
            detail = f"province {content_province}"
    elif file_error == "wrong_encoding":
        ascii_headers = all(t.headers[c].isascii() for c in columns)
        encoding = "cp1258" if ascii_headers or r.random() < 0.6 else "cp1252"
        detail = encoding
    grid = render_grid(t, prov, period, columns, rows, fmt, content_province, content_period)
    if file_error == "empty_file":
        data = b""
    elif fmt == "xlsx":
        data = xlsx_bytes(grid, t)
        if file_error == "truncated_xlsx":
            data = data[: int(len(data) * r.uniform(0.3, 0.8))]
    else:
        data = csv_bytes(grid, encoding, t.line_end, t.pad_rows)
    mistakes = [{"kind": kind, "row": i, "column": col} for i, row in enumerate(rows, start=1)
                for kind, col in row["_m"]]
    truth = {"format": fmt, "encoding": None if fmt == "xlsx" else encoding,
             "rows": 0 if file_error == "empty_file" else len(rows), "mistakes": mistakes,
             "file_level_error": file_error, "file_level_detail": detail}
    return GeneratedFile(name="", data=data, received_at=datetime.min, truth=truth)


# ---------------------------------------------------------------------------------------------------------------
# CLI

def periods_between(first: str, last: str) -> list[str]:
    return [period_of(i) for i in range(month_index(first), month_index(last) + 1)]


def select_provinces(spec: str, map_version: str) -> list[str]:
    """'all' or a comma list of codes, kept where the code exists in the map."""
    known = admin_units.provinces(map_version)
    if spec.strip().lower() == "all":
        return sorted(known)
    return sorted({c.strip().zfill(2) for c in spec.split(",") if c.strip()} & set(known))


def generate(periods: Sequence[str], provinces: dict[str, str], out_dir: Path, opts: Options,
             jobs: int = 1) -> Iterator[dict]:
    """Write every file (with its mtime) and yield its truth record, in a stable order whatever `jobs` is."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tasks = [(mv, code, period) for period in periods for mv in [contract.map_version_for_period(period)]
             for code in select_provinces(provinces[mv], mv)]
    if jobs <= 1 or len(tasks) < 4 * jobs:
        model = StaffingModel(opts.seed)
        for task in tasks:
            yield from _write_files(model, opts, out_dir, task)
        return
    with multiprocessing.get_context().Pool(jobs, initializer=_init_worker, initargs=(opts, out_dir)) as pool:
        for records in pool.imap(_worker_task, tasks, chunksize=8):
            yield from records


def _write_files(model: StaffingModel, opts: Options, out_dir: Path, task: tuple[str, str, str]) -> list[dict]:
    records = []
    for f in build_province_month(model, opts, *task):
        path = out_dir / f.name
        path.write_bytes(f.data)
        stamp = int(f.received_at.timestamp())
        os.utime(path, (stamp, stamp))
        records.append(f.truth)
    return records


_WORKER: dict = {}


def _init_worker(opts: Options, out_dir: Path) -> None:
    # A forked worker inherits its parent's signal handlers. Pool.terminate() (the end of `with Pool`) stops the
    # workers with SIGTERM while holding their task-queue lock; a handler that does not exit (Dagster's
    # interrupt capture, active while a Dagster execution runs in the same process) left a worker waiting on that
    # lock forever and the parent in join(). Workers take the default actions.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    _WORKER.update(model=StaffingModel(opts.seed), opts=opts, out_dir=out_dir)


def _worker_task(task: tuple[str, str, str]) -> list[dict]:
    return _write_files(_WORKER["model"], _WORKER["opts"], _WORKER["out_dir"], task)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="first", required=True, help="first period YYYY-MM")
    parser.add_argument("--to", dest="last", required=True, help="last period YYYY-MM")
    parser.add_argument("--provinces", default="all", help="'all' or codes, matched against each period's map")
    parser.add_argument("--legacy-provinces", help="override --provinces for periods before 2025-07")
    parser.add_argument("--new-provinces", help="override --provinces for periods from 2025-07")
    parser.add_argument("--out", required=True, type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--dirty-rate", type=float, default=0.0, help="share of files with mistakes")
    parser.add_argument("--truth", type=Path, help="write the JSONL ground truth here")
    parser.add_argument("--xlsx-share", type=float, default=0.15)
    parser.add_argument("--missing-rate", type=float, default=0.01, help="share of province-months not sent")
    parser.add_argument("--resubmit-rate", type=float, default=0.02, help="share of province-months with a _v2")
    parser.add_argument("--jobs", type=int, default=min(8, os.cpu_count() or 1),
                        help="worker processes (output is identical for any value)")
    args = parser.parse_args(argv)
    first, last = contract.parse_period(args.first), contract.parse_period(args.last)
    if not first or not last or first > last:
        parser.error("--from and --to must be periods YYYY-MM with --from <= --to")
    provinces = {MAP_LEGACY: args.legacy_provinces or args.provinces, MAP_2025: args.new_provinces or args.provinces}
    if args.provinces != "all" and not any(select_provinces(provinces[mv], mv) for mv in provinces):
        parser.error(f"no province of {args.provinces!r} exists in either map")
    opts = Options(seed=args.seed, dirty_rate=args.dirty_rate, xlsx_share=args.xlsx_share,
                   missing_rate=args.missing_rate, resubmit_rate=args.resubmit_rate)
    started = time.perf_counter()
    n_files = n_rows = 0
    if args.truth:
        args.truth.parent.mkdir(parents=True, exist_ok=True)
    truth_fh = open(args.truth, "w", encoding="utf-8") if args.truth else None
    try:
        for record in generate(periods_between(first, last), provinces, args.out, opts, args.jobs):
            n_files += 1
            n_rows += record["rows"]
            if truth_fh:
                truth_fh.write(json.dumps(record, ensure_ascii=False, sort_keys=False) + "\n")
    finally:
        if truth_fh:
            truth_fh.close()
    print(f"wrote {n_files} files, {n_rows} data rows to {args.out} in {time.perf_counter() - started:.1f}s",
          file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
