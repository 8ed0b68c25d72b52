"""The official XLSX form: every unit pre-filled, the header block, validations, instructions, stable bytes."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.reference import admin_units
from pipelines.submissions import contract, template
from pipelines.submissions.contract import canonical_header, canonical_hq_status


def load(path: Path):
    return openpyxl.load_workbook(path)


def table(ws) -> tuple[dict[str, object], list[str], list[tuple], int]:
    """Header block, canonical columns, data rows and the header row number of the form's data sheet."""
    block: dict[str, object] = {}
    for row in ws.iter_rows():
        first = row[0].value
        names = [canonical_header(c.value) for c in row]
        if "unit_code" in names:
            data = [tuple(c.value for c in r) for r in ws.iter_rows(min_row=row[0].row + 1)]
            return block, names, data, row[0].row
        if isinstance(first, str):
            block[first] = row[1].value
    raise AssertionError("no header row")


@pytest.fixture(scope="module")
def form(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("form")
    assert template.main(["--province", "34", "--period", "2025-06", "--out", str(out)]) == 0
    return out / "34_2025-06.xlsx"


def test_form_lists_every_unit_of_the_province_prefilled(form):
    ws = load(form)[template.DATA_SHEET]
    block, names, rows, _ = table(ws)
    units = [u for u in admin_units.units(contract.MAP_LEGACY) if u.province_code == "34"]
    assert len(rows) == len(units) > 200
    code, name, kind = names.index("unit_code"), names.index("unit_name"), names.index("unit_type")
    assert [(r[code], r[name], r[kind]) for r in rows] == [(u.unit_code, u.unit_name, u.unit_type) for u in units]
    figures = [i for i, n in enumerate(names) if n not in template.PREFILLED]
    assert all(r[i] is None for r in rows for i in figures)


def test_header_block_and_columns_follow_the_contract(form):
    ws = load(form)[template.DATA_SHEET]
    block, names, _, header_row = table(ws)
    assert block["Mã tỉnh"] == "34"
    assert contract.parse_period(block["Kỳ báo cáo"]) == "2025-06"
    assert block["Hạn nộp"] == datetime(2025, 7, 5)
    assert None not in names
    assert set(contract.REQUIRED_COLUMNS) <= set(names)
    assert "semi_professional_officers" not in names  # transition columns only in 2019-2020 forms
    assert {"investigators", "head_is_investigator", "deputies_investigators"} <= set(names)
    assert ws.freeze_panes == f"C{header_row + 1}"
    assert ws.column_dimensions["B"].width >= 25


def test_validations_guard_every_figure_column(form):
    ws = load(form)[template.DATA_SHEET]
    _, names, rows, header_row = table(ws)
    first, last = header_row + 1, header_row + len(rows)
    letter = {n: openpyxl.utils.get_column_letter(i + 1) for i, n in enumerate(names)}

    def rule_for(name: str):
        ref = f"{letter[name]}{first}:{letter[name]}{last}"
        found = [dv for dv in ws.data_validations.dataValidation if ref in {str(r) for r in dv.sqref.ranges}]
        assert len(found) == 1, name
        return found[0]

    for name in names:
        dv = rule_for(name) if name not in template.PREFILLED and name != "notes" else None
        if name in ("heads", "head_is_investigator"):
            assert (dv.type, dv.operator, dv.formula1, dv.formula2) == ("whole", "between", "0", "1")
        elif name in contract.COUNT_COLUMNS:
            assert (dv.type, dv.operator, dv.formula1) == ("whole", "greaterThanOrEqual", "0")
        elif name == "hq_status":
            labels = dv.formula1.strip('"').split(",")
            assert dv.type == "list" and labels == list(contract.HQ_STATUSES.values())
            assert all(canonical_hq_status(label) for label in labels)


def test_instructions_sheet_explains_each_column(form):
    wb = load(form)
    assert wb.sheetnames == [template.DATA_SHEET, template.GUIDE_SHEET]
    text = [row for row in wb[template.GUIDE_SHEET].iter_rows(values_only=True)]
    described = {row[0] for row in text if row[0]}
    for col in template.template_columns("2025-06"):
        assert col.header_vi in described
    assert any("05/07/2025" in str(row[0]) for row in text)


def test_filled_form_parses_back(form, tmp_path):
    wb = load(form)
    ws = wb[template.DATA_SHEET]
    _, names, rows, header_row = table(ws)
    values = {"regular_officers": 7, "heads": 1, "deputies": 2, "ca_vien": 0, "investigators": 2,
              "head_is_investigator": 1, "deputies_investigators": 1, "officers_trained": 7, "hq_status": "Độc lập"}
    for r in range(header_row + 1, header_row + len(rows) + 1):
        for j, name in enumerate(names, start=1):
            if name in values:
                ws.cell(r, j, values[name])
    buf = io.BytesIO()
    wb.save(buf)
    _, names, rows, _ = table(openpyxl.load_workbook(buf)[template.DATA_SHEET])
    assert all(canonical_hq_status(r[names.index("hq_status")]) == "doc_lap" for r in rows)
    assert all(r[names.index("regular_officers")] == 7 for r in rows)


def test_same_form_same_bytes(tmp_path):
    a = template.write_template("36", "2020-06", tmp_path / "a")
    b = template.write_template("36", "2020-06", tmp_path / "b")
    assert a.read_bytes() == b.read_bytes()


def test_columns_follow_the_period():
    assert "semi_professional_officers" in {c.name for c in template.template_columns("2020-06")}
    assert "semi_professional_officers" not in {c.name for c in template.template_columns("2021-01")}
    assert "investigators" not in {c.name for c in template.template_columns("2022-12")}
    assert "investigators" in {c.name for c in template.template_columns("2023-01")}


def test_period_picks_the_map(tmp_path):
    path = template.write_template("33", "2025-07", tmp_path)
    _, names, rows, _ = table(load(path)[template.DATA_SHEET])
    new_units = {u.unit_code for u in admin_units.units(contract.MAP_2025) if u.province_code == "33"}
    assert {r[names.index("unit_code")] for r in rows} == new_units
    assert "Đặc khu" in {u.unit_type for u in admin_units.units(contract.MAP_2025)}
    with pytest.raises(ValueError):
        template.build_template("34", "2025-07")  # Thái Bình no longer exists in the 2025 map


def test_cli_writes_one_form_per_listed_province(tmp_path):
    assert template.main(["--province", "33,37", "--period", "2025-08", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["33_2025-08.xlsx", "37_2025-08.xlsx"]
    assert all(contract.FILE_NAME_RE.match(p.name) for p in tmp_path.iterdir())


def test_readme_column_table_matches_the_contract():
    readme = (Path(__file__).resolve().parents[2] / "raw_inputs" / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(" `"): line for line in readme.splitlines() if line.startswith("| `")}
    for col in contract.COLUMNS:
        cells = [c.strip() for c in rows[col.name].split("|")]
        assert cells[2] == col.header_vi
        assert [a.strip() for a in cells[3].split(",")] == list(col.aliases)
        assert cells[5] == ("yes" if col.required else "no")
    for code, label in contract.HQ_STATUSES.items():
        assert f"| `{code}` | {label} |" in readme
