"""The generator writes realistic, deterministic submissions that parse back with the contract.

The files are read here with csv/openpyxl and the contract's own helpers (not with the project's reader), so these
tests pin down what the generator promises whatever the reader does with it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import unicodedata
import zipfile
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from pipelines.reference import admin_units
from pipelines.submissions import contract, generate
from pipelines.submissions.contract import canonical_header, canonical_hq_status, fold, parse_period

LEGACY, NEW = contract.MAP_LEGACY, contract.MAP_2025


# --- a small independent reader -------------------------------------------------------------------------------

def read_grid(path: Path) -> list[list[str]]:
    """All rows of a CSV (by BOM: UTF-16 tab / UTF-8) or XLSX (sheet 'Báo cáo' or the first) as text cells."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True)
        ws = wb["Báo cáo"] if "Báo cáo" in wb.sheetnames else wb.worksheets[0]
        return [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
    if data.startswith(b"\xff\xfe"):
        return list(csv.reader(io.StringIO(data.decode("utf-16")), delimiter="\t"))
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def parse(path: Path) -> dict:
    """Header block or meta columns, the header row, and data rows keyed by canonical column."""
    grid = read_grid(path)
    meta: dict[str, str] = {}
    for i, row in enumerate(grid):
        cells = [c.strip() for c in row]
        names = [canonical_header(c) for c in cells]
        if len({n for n in names if n in contract.COLUMN_BY_NAME}) >= 3:
            columns = names
            break
        if cells and cells[0]:
            key, _, inline = cells[0].partition(":")
            name = canonical_header(key)
            if name in ("province_code", "period"):
                meta[name] = inline.strip() or (cells[1] if len(cells) > 1 else "")
    else:
        raise AssertionError(f"{path.name}: no header row")
    rows = []
    for row in grid[i + 1:]:
        if not any(c.strip() for c in row):
            continue
        rows.append({c: (row[j].strip() if j < len(row) else "") for j, c in enumerate(columns) if c})
    if rows and "province_code" in rows[0]:
        meta.setdefault("province_code", rows[0]["province_code"])
        meta.setdefault("period", rows[0]["period"])
    if "province_code" in meta:  # a header-only file with meta columns carries neither
        meta["province_code"] = meta["province_code"].zfill(2)
        meta["period"] = parse_period(meta["period"])
    return {"meta": meta, "columns": [c for c in columns if c], "rows": rows}


def number(text: str) -> int:
    return int(text) if text else 0


def code_of(row: dict) -> str:
    return row["unit_code"].zfill(5)


def province_codes(map_version: str, province: str) -> set[str]:
    return {u.unit_code for u in admin_units.units(map_version) if u.province_code == province}


def run(out: Path, *args: str, truth: bool = True) -> list[dict]:
    argv = ["--out", str(out), "--jobs", "1", *args]
    if truth:
        argv += ["--truth", str(out / "_truth.jsonl")]
    assert generate.main(argv) == 0
    if not truth:
        return []
    return [json.loads(line) for line in (out / "_truth.jsonl").read_text(encoding="utf-8").splitlines()]


# --- fixtures: a few provinces around the reform and through the roll-out -----------------------------------

@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("clean")
    truth = run(out, "--from", "2025-05", "--to", "2025-08", "--legacy-provinces", "34,36",
                "--new-provinces", "33,37", "--seed", "7", "--xlsx-share", "0.4", "--resubmit-rate", "0.3")
    return out, truth


@pytest.fixture(scope="module")
def rollout(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("rollout")
    truth = run(out, "--from", "2018-01", "--to", "2023-12", "--provinces", "34,35", "--seed", "3",
                "--missing-rate", "0", "--resubmit-rate", "0")
    return out, truth


@pytest.fixture(scope="module")
def dirty(tmp_path_factory) -> tuple[Path, list[dict]]:
    out = tmp_path_factory.mktemp("dirty")
    truth = run(out, "--from", "2024-01", "--to", "2025-12", "--provinces", "33,37,02", "--seed", "11",
                "--dirty-rate", "1", "--xlsx-share", "0.3", "--missing-rate", "0")
    return out, truth


def latest(truth: list[dict]) -> dict[tuple[str, str], dict]:
    """The file that counts for each province-period (a _v2 supersedes the first file)."""
    out = {}
    for t in truth:
        key = (t["province_code"], t["period"])
        if key not in out or t.get("supersedes"):
            out[key] = t
    return out


# --- determinism ----------------------------------------------------------------------------------------------

def test_same_seed_gives_identical_bytes_mtimes_and_truth(tmp_path):
    args = ("--from", "2020-11", "--to", "2021-01", "--provinces", "34,36", "--seed", "5", "--dirty-rate", "0.5",
            "--xlsx-share", "0.5", "--resubmit-rate", "0.3")
    a, b = tmp_path / "a", tmp_path / "b"
    truth_a, truth_b = run(a, *args), run(b, *args)
    assert truth_a == truth_b
    names = sorted(p.name for p in a.iterdir() if p.name != "_truth.jsonl")
    assert names == sorted(p.name for p in b.iterdir() if p.name != "_truth.jsonl")
    assert any(n.endswith(".xlsx") for n in names)
    for name in names:
        assert (a / name).read_bytes() == (b / name).read_bytes(), name
        assert os.stat(a / name).st_mtime == os.stat(b / name).st_mtime, name


def test_parallel_run_matches_single_process(tmp_path):
    args = ["--from", "2025-05", "--to", "2025-08", "--provinces", "33,37,01", "--seed", "2", "--dirty-rate", "0.3"]
    single, multi = tmp_path / "single", tmp_path / "multi"
    generate.main(["--out", str(single), "--jobs", "1", "--truth", str(tmp_path / "t1"), *args])
    generate.main(["--out", str(multi), "--jobs", "2", "--truth", str(tmp_path / "t2"), *args])
    assert (tmp_path / "t1").read_bytes() == (tmp_path / "t2").read_bytes()
    for p in single.iterdir():
        assert p.read_bytes() == (multi / p.name).read_bytes()


def test_other_seed_gives_other_files(tmp_path):
    base = ("--from", "2022-03", "--to", "2022-03", "--provinces", "34")
    run(tmp_path / "a", *base, "--seed", "1", "--missing-rate", "0", truth=False)
    run(tmp_path / "b", *base, "--seed", "2", "--missing-rate", "0", truth=False)
    a = next((tmp_path / "a").iterdir()).read_bytes()
    b = next((tmp_path / "b").iterdir()).read_bytes()
    assert a != b


# --- files parse back, with the right map -------------------------------------------------------------------

def test_every_clean_file_parses_with_the_contract(clean):
    out, truth = clean
    assert truth and all(not t["mistakes"] and t["file_level_error"] is None for t in truth)
    assert {t["format"] for t in truth} == {"csv", "xlsx"}
    for t in truth:
        path = out / t["file"]
        assert contract.FILE_NAME_RE.match(t["file"])
        parsed = parse(path)
        assert parsed["meta"] == {"province_code": t["province_code"], "period": t["period"]}, t["file"]
        assert set(contract.REQUIRED_COLUMNS) <= set(parsed["columns"])
        assert len(parsed["rows"]) == t["rows"]
        codes = [code_of(r) for r in parsed["rows"]]
        assert sorted(codes) == sorted(province_codes(t["map_version"], t["province_code"])), t["file"]
        for row in parsed["rows"]:
            assert_row_follows_contract(row, t["period"])


def assert_row_follows_contract(row: dict, period: str) -> None:
    officers, heads, deputies = number(row["regular_officers"]), number(row["heads"]), number(row["deputies"])
    semi = number(row.get("semi_professional_officers", ""))
    assert heads in (0, 1)
    assert heads + deputies <= officers + semi
    for col in contract.COUNT_COLUMNS:
        if row.get(col):
            assert int(row[col]) >= 0
    assert number(row.get("investigators", "")) <= officers
    assert number(row.get("officers_trained", "")) <= officers
    assert number(row.get("deputies_investigators", "")) <= deputies
    if "head_is_investigator" in row:
        assert fold(row["head_is_investigator"]) in contract.FLAG_TRUE | contract.FLAG_FALSE
    assert canonical_hq_status(row["hq_status"]) in contract.HQ_STATUSES
    if period >= "2021-07":
        assert semi == 0


def test_province_selection_follows_each_periods_map(clean, tmp_path):
    _, truth = clean
    maps = {(t["period"], t["province_code"]): t["map_version"] for t in truth}
    assert {p for (per, p) in maps if per < "2025-07"} <= {"34", "36"}
    assert {p for (per, p) in maps if per >= "2025-07"} <= {"33", "37"}
    assert all(mv == (LEGACY if per < "2025-07" else NEW) for (per, _), mv in maps.items())
    # One list for both maps: 34/36 exist only in the legacy map, 33/37 in both.
    truth = run(tmp_path, "--from", "2025-06", "--to", "2025-07", "--provinces", "33,34,36,37", "--seed", "1",
                "--missing-rate", "0", "--resubmit-rate", "0")
    assert {(t["period"], t["province_code"]) for t in truth} == {
        ("2025-06", "33"), ("2025-06", "34"), ("2025-06", "36"), ("2025-06", "37"),
        ("2025-07", "33"), ("2025-07", "37")}


def test_merged_units_are_bigger_after_the_reform(clean):
    out, truth = clean
    files = latest(truth)
    before = [number(r["regular_officers"]) for k in (("34", "2025-06"), ("36", "2025-06")) if k in files
              for r in parse(out / files[k]["file"])["rows"]]
    after = [number(r["regular_officers"]) for k in (("33", "2025-07"), ("37", "2025-07")) if k in files
             for r in parse(out / files[k]["file"])["rows"]]
    assert before and after
    assert sum(after) / len(after) > 2 * sum(before) / len(before)


def test_mtime_is_the_received_time_and_resubmissions_come_later(clean):
    out, truth = clean
    by_name = {t["file"]: t for t in truth}
    for t in truth:
        assert os.stat(out / t["file"]).st_mtime == datetime.fromisoformat(t["received_at"]).timestamp()
    v2 = [t for t in truth if t.get("supersedes")]
    assert v2, "the fixture asks for resubmissions"
    for t in v2:
        assert t["file"].endswith("_v2" + Path(t["file"]).suffix)
        first = by_name[t["supersedes"]]
        assert first["superseded_by"] == t["file"]
        assert t["received_at"] > first["received_at"]


def test_most_files_arrive_by_the_deadline_and_a_few_never_do():
    opts, model = generate.Options(seed=4), generate.StaffingModel(4)
    months = generate.periods_between("2021-01", "2022-12")
    plans = [(generate.plan_submission(opts, model.province(LEGACY, code), period), period)
             for code in admin_units.provinces(LEGACY) for period in months]
    sent = [(plan, period) for plan, period in plans if plan]
    assert 0 < len(plans) - len(sent) < 0.05 * len(plans)
    late = sum(plan.received.date() > contract.period_deadline(period) for plan, period in sent)
    assert 0.03 < late / len(sent) < 0.3
    assert {plan.encoding for plan, _ in sent} == {"utf-8", "utf-8-sig", "utf-16"}
    assert 0.1 < sum(plan.fmt == "xlsx" for plan, _ in sent) / len(sent) < 0.2
    assert 0.01 < sum(plan.resubmitted is not None for plan, _ in sent) / len(sent) < 0.04


# --- realism over time -----------------------------------------------------------------------------------------

def series(out: Path, truth: list[dict]) -> dict[str, dict[str, dict[str, dict]]]:
    """province -> period -> unit code -> row."""
    data: dict = defaultdict(dict)
    for (province, period), t in sorted(latest(truth).items()):
        data[province][period] = {code_of(r): r for r in parse(out / t["file"])["rows"]}
    return data


@pytest.fixture(scope="module")
def rollout_series(rollout) -> dict:
    return series(*rollout)


def test_regular_police_roll_out_2019_2021(rollout_series):
    for province, months in rollout_series.items():
        coverage = {p: sum(number(r["regular_officers"]) > 0 for r in rows.values()) / len(rows)
                    for p, rows in months.items()}
        assert coverage["2018-01"] < 0.5, province
        assert coverage["2021-12"] == 1.0, province
        assert max(p for p, c in coverage.items() if c < 1.0) <= "2021-06"
        periods = sorted(coverage)
        assert all(coverage[a] <= coverage[b] for a, b in zip(periods, periods[1:])), province
        for period, rows in months.items():
            for row in rows.values():
                if number(row["regular_officers"]) == 0:  # still semi-professional, with a semi-professional head
                    assert 3 <= number(row["semi_professional_officers"]) <= 6
                    assert row["heads"] == "1"
        later = [p for p, rows in months.items() if p >= "2022-01"]
        assert all("semi_professional_officers" not in next(iter(months[p].values())) for p in later)


def test_staffing_drifts_slowly_and_hq_only_moves_forward(rollout_series):
    order = {code: i for i, code in enumerate(generate.HQ_ORDER)}
    for months in rollout_series.values():
        periods = sorted(months)
        same = total = 0
        for a, b in zip(periods, periods[1:]):
            for code, row in months[a].items():
                nxt = months[b][code]
                total += 1
                same += row["regular_officers"] == nxt["regular_officers"]
                assert order[canonical_hq_status(row["hq_status"])] <= order[canonical_hq_status(nxt["hq_status"])]
        assert same / total > 0.8


def test_officers_by_unit_type(rollout_series):
    kinds = {u.unit_code: u.unit_type for u in admin_units.units(LEGACY)}
    officers: dict[str, list[int]] = defaultdict(list)
    for months in rollout_series.values():
        for code, row in months["2023-12"].items():
            officers[kinds[code]].append(number(row["regular_officers"]))
    mean = {k: sum(v) / len(v) for k, v in officers.items()}
    assert 5 <= mean["Xã"] <= 8.5
    assert 8 <= mean["Phường"] <= 15
    assert mean["Xã"] < mean["Thị trấn"] < mean["Phường"]


def test_investigators_zero_before_2023_then_rising(rollout_series):
    for months in rollout_series.values():
        totals = {p: sum(number(r.get("investigators", "")) for r in rows.values()) for p, rows in months.items()}
        assert all(v == 0 for p, v in totals.items() if p < "2023-01")
        assert totals["2023-12"] > 0
        heads = {p: sum(fold(r.get("head_is_investigator", "")) in contract.FLAG_TRUE - {""} for r in rows.values())
                 for p, rows in months.items()}
        assert heads["2023-12"] >= heads["2023-06"]


# --- mistakes --------------------------------------------------------------------------------------------------

ROW_KINDS = set(generate.ROW_MISTAKES)
FILE_KINDS = set(generate.FILE_MISTAKES)


def test_dirty_rate_one_plants_every_kind_listed_in_truth(dirty):
    _, truth = dirty
    firsts = [t for t in truth if not t.get("supersedes")]
    assert all(t["mistakes"] or t["file_level_error"] for t in firsts)
    assert all(not t["mistakes"] and not t["file_level_error"] for t in truth if t.get("supersedes"))
    kinds = {m["kind"] for t in truth for m in t["mistakes"]} | {t["file_level_error"] for t in truth} - {None}
    assert kinds >= ROW_KINDS - {"deputies_investigators_exceed_deputies", "trained_exceed_officers"}
    assert kinds >= FILE_KINDS - {"truncated_xlsx", "empty_file"}


def test_planted_row_mistakes_are_where_truth_says(dirty):
    out, truth = dirty
    for t in truth:
        if not t["mistakes"]:
            continue
        parsed = parse(out / t["file"])
        rows = parsed["rows"]
        assert len(rows) == t["rows"]
        valid = province_codes(t["map_version"], t["province_code"])
        every = {u.unit_code for u in admin_units.units(t["map_version"])}
        seen: Counter = Counter()
        firsts = {}
        for i, row in enumerate(rows, start=1):
            seen[row["unit_code"]] += 1
            firsts.setdefault(row["unit_code"], i)
        for m in t["mistakes"]:
            row, kind, col = rows[m["row"] - 1], m["kind"], m["column"]
            if kind in ("unit_code_typo", "unit_code_short"):
                assert row["unit_code"].zfill(5) not in every
            elif kind == "unit_code_other_province":
                assert row["unit_code"] in every - valid
            elif kind == "negative_count":
                assert int(row[col]) < 0
            elif kind == "impossible_count":
                assert int(row[col]) > {"regular_officers": 150, "heads": 1, "deputies": 10}[col]
            elif kind == "text_in_number":
                assert not row[col].lstrip("-").isdigit()
            elif kind == "duplicate_unit":
                assert seen[row["unit_code"]] == 2 and firsts[row["unit_code"]] < m["row"]
            elif kind == "total_row":
                assert row["unit_code"] == "" and fold(row["unit_name"]) in ("tong cong", "cong")
            elif kind == "heads_deputies_exceed_officers":
                assert number(row["heads"]) + number(row["deputies"]) > number(row["regular_officers"])
            elif kind == "investigators_exceed_officers":
                assert number(row["investigators"]) > number(row["regular_officers"])
            elif kind == "trained_exceed_officers":
                assert number(row["officers_trained"]) > number(row["regular_officers"])
            elif kind == "deputies_investigators_exceed_deputies":
                assert number(row["deputies_investigators"]) > number(row["deputies"])
            elif kind == "unknown_hq_status":
                assert canonical_hq_status(row["hq_status"]) is None
            elif kind == "missing_value":
                assert row[col] == ""
            else:
                raise AssertionError(kind)


def test_file_level_errors_break_the_file_as_truth_says(dirty):
    out, truth = dirty
    for t in truth:
        kind, path = t["file_level_error"], out / t["file"]
        if kind is None:
            continue
        data = path.read_bytes()
        if kind == "empty_file":
            assert data == b""
        elif kind == "truncated_xlsx":
            with pytest.raises(zipfile.BadZipFile):
                zipfile.ZipFile(path).testzip()
        elif kind == "wrong_encoding":
            assert not data.startswith((b"\xef\xbb\xbf", b"\xff\xfe"))
            with pytest.raises(UnicodeDecodeError):
                data.decode("utf-8")
            if t["file_level_detail"] == "cp1258":  # readable once you know the code page: a real ANSI save
                text = unicodedata.normalize("NFC", data.decode("cp1258"))
                assert "Xã" in text or "Phường" in text
        elif kind == "header_only":
            assert parse(path)["rows"] == []
        elif kind == "missing_required_column":
            assert t["file_level_detail"] not in parse(path)["columns"]
        elif kind == "name_content_mismatch":
            meta = parse(path)["meta"]
            assert (meta["province_code"], meta["period"]) != (t["province_code"], t["period"])


def test_dirty_rate_zero_plants_nothing(tmp_path):
    truth = run(tmp_path, "--from", "2020-01", "--to", "2020-02", "--provinces", "all", "--seed", "9",
                "--dirty-rate", "0", "--xlsx-share", "0.2")
    assert truth
    assert all(not t["mistakes"] and t["file_level_error"] is None for t in truth)
    for t in truth[::7]:
        for row in parse(tmp_path / t["file"])["rows"]:
            assert_row_follows_contract(row, t["period"])


def test_mistake_share_follows_dirty_rate():
    opts, model = generate.Options(seed=8, dirty_rate=0.2), generate.StaffingModel(8)
    plans = [generate.plan_submission(opts, model.province(LEGACY, code), period)
             for code in admin_units.provinces(LEGACY) for period in generate.periods_between("2022-01", "2022-12")]
    plans = [p for p in plans if p]
    assert 0.16 < sum(p.dirty for p in plans) / len(plans) < 0.24
    errors = [p.file_error for p in plans if p.dirty]
    assert 0.15 < sum(e is not None for e in errors) / len(errors) < 0.35


def test_every_province_template_uses_headers_the_contract_accepts():
    model = generate.StaffingModel(0)
    styles = Counter()
    for map_version in (LEGACY, NEW):
        for code in admin_units.provinces(map_version):
            t = model.province(map_version, code).template
            styles[t.header_style, t.layout] += 1
            for name, header in t.headers.items():
                assert canonical_header(header) == (None if name == "stt" else name), header
            assert t.columns(map_version, generate.month_index("2024-01"))  # stable order per province
    assert {s for s, _ in styles} == {"vi", "vi_alias", "ascii", "en"}
    assert {layout for _, layout in styles} == {"block", "block_inline", "meta_columns"}


def test_parallel_run_ends_when_a_dagster_execution_captures_interrupts(tmp_path):
    """A process with Dagster's interrupt capture active (SIGTERM -> a flag) forks the pool: the pool still ends.
    Before the workers reset their signal handlers, this hung within a few runs (Pool.terminate's SIGTERM was
    swallowed while a worker waited on the task-queue lock). Run in its own process group, killed on timeout; 20 runs, as the hang did not come every time."""
    script = (
        "import sys\n"
        "from dagster._utils.interrupts import capture_interrupts\n"
        "capture_interrupts().__enter__()\n"
        "from pipelines.submissions import generate\n"
        "for i in range(20):\n"
        "    generate.main(['--out', sys.argv[1] + f'/m{i}', '--jobs', '2', '--truth', sys.argv[1] + f'/t{i}',\n"
        "                   '--from', '2025-05', '--to', '2025-08', '--provinces', '33,37,01', '--seed', '2', '--dirty-rate', '0.3'])\n"
    )
    proc = subprocess.Popen([sys.executable, "-c", script, str(tmp_path)], start_new_session=True,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _, err = proc.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        pytest.fail("the parallel generator hung with Dagster's interrupt handlers inherited")
    assert proc.returncode == 0, err[-2000:]
    assert len(list((tmp_path / "m19").iterdir())) == len(list((tmp_path / "m0").iterdir())) > 0
