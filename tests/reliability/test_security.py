"""Security checks: parameterized SQL, formula-safe report cells, no secret in the repository, UI on localhost."""

from __future__ import annotations

import ast
import re
import subprocess
import zipfile
from pathlib import Path

import openpyxl
import pytest
import yaml
from openpyxl import Workbook

from pipelines.reports import xlsx

REPO = Path(__file__).resolve().parents[2]
SQL_METHODS = {"execute", "executemany", "sql", "query"}

# The only values allowed inside SQL text built by f-string / concatenation / % / .format and handed to DuckDB:
# identifiers and fragments that come from code constants, never from an input file. (file, expression) -> why.
ALLOWED_INTERPOLATIONS: dict[tuple[str, str], str] = {
    ("pipelines/warehouse.py", "schema"): "RAW_SCHEMAS constant",
    ("pipelines/warehouse.py", "table"): "table names of our own build database (set_aside_if_corrupt)",
    ("pipelines/warehouse.py", "qualified_name"): "replace_table callers pass constant table names",
    ("pipelines/news/ingest.py", "DDL"): "module constant",
    ("pipelines/news/ingest.py", "table_name"): "_insert callers pass the three constant table names",
    ("pipelines/submissions/ingest.py", "DDL"): "module constant",
    ("pipelines/submissions/ingest.py", "_check_rows_sql()"): "built from contract.COLUMNS names and constants",
    ("pipelines/submissions/reader.py", "columns"): "ROW_SCHEMA field names (a constant schema)",
    ("pipelines/submissions/reader.py", "selects"): "contract.COLUMNS names and column positions c0..cN",
    ("pipelines/submissions/reader.py", "pick('province_code')"): "column positions c0..cN",
    ("pipelines/submissions/reader.py", "pick('period')"): "column positions c0..cN",
    ("pipelines/publish/release.py", "schema"): "PUBLISHED_SCHEMAS, quoted",
    ("pipelines/publish/release.py", "catalog"): "current_database() of the file being built, quoted",
    ("pipelines/publish/release.py", "table"): "table names from DuckDB's catalog of the build db, quoted",
    ("pipelines/publish/release.py", "target"): "_q(): quoted catalog.schema.table from DuckDB's own catalog",
    ("pipelines/publish/release.py", "source"): "_q(): quoted build.schema.table from DuckDB's own catalog",
    ("pipelines/publish/release.py", "_q(schema, table, catalog)"): "quoted names from DuckDB's own catalog",
    ("pipelines/publish/release.py", "SYNC_KEY"): "module constant (a column name)",
    ("pipelines/publish/release.py", "MATCH_KEYS"): "module constant; the source files are bound as ?",
    ("pipelines/publish/release.py", "FINGERPRINT_DDL"): "module constant",
    ("pipelines/landing.py", "HASH_CACHE_DDL"): "module constant",
    ("pipelines/quality/checks.py", "gx_runner.QUALITY_RESULTS_DDL"): "module constant",
    ("pipelines/quality/gx_runner.py", "sql"): "relation SQL built from expectation suites in the repo; values bound",
    ("pipelines/quality/gx_runner.py", "VALIDATED_KEYS_DDL"): "module constant",
    ("pipelines/reference/assets.py", "LOADS_DDL"): "module constant",
    ("pipelines/reference/admin_units.py", "sql"): "_query callers pass constant SQL (package SQLite, read-only)",
    ("pipelines/reports/queries.py", "sql"): "report queries are module constants; values bound as params",
    ("pipelines/rebuild.py", "source.audit_table"): "ArchiveSource audit table: a constant per source",
    ("pipelines/transform/changes.py", "schema"): "dbt source schema from the project's own manifest, quoted",
    ("pipelines/transform/changes.py", "table"): "dbt source identifier from the project's own manifest, quoted",
    ("pipelines/transform/changes.py", "STATE_TABLE"): "module constant",
    ("pipelines/transform/changes.py", "STATE_DDL"): "module constant",
}


def _dynamic_parts(node: ast.expr) -> list[str]:
    """Source text of every non-constant piece of a string expression (empty when it is a literal)."""
    if isinstance(node, ast.Constant):
        return []
    if isinstance(node, ast.JoinedStr):
        return [ast.unparse(v.value) for v in node.values if isinstance(v, ast.FormattedValue)]
    if isinstance(node, ast.BinOp) and isinstance(node.op, (ast.Add, ast.Mod)):
        return _dynamic_parts(node.left) + _dynamic_parts(node.right)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "format":
        return [".format(" + ", ".join(ast.unparse(a) for a in node.args) + ")"]
    return [ast.unparse(node)]


def _assignments(function: ast.AST | None, name: str) -> list[ast.expr]:
    if function is None:
        return []
    return [n.value for n in ast.walk(function) if isinstance(n, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == name for t in n.targets)]


def sql_interpolations(source: str) -> list[tuple[int, str]]:
    """(line, expression) for every non-constant piece of SQL text passed to execute/sql/query in `source`.

    A variable passed as the SQL is followed to its assignments in the same function (one level), so
    `sql = f"... {value}"; con.execute(sql)` is caught like the inline form.
    """
    tree = ast.parse(source)
    functions = [n for n in ast.walk(tree) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                and node.func.attr in SQL_METHODS and node.args):
            continue
        arg = node.args[0]
        if isinstance(arg, ast.Name):
            owner = max((f for f in functions if f.lineno <= node.lineno <= f.end_lineno),
                        key=lambda f: f.lineno, default=None)
            assigned = _assignments(owner, arg.id)
            if assigned:
                for value in assigned:
                    found.extend((node.lineno, part) for part in _dynamic_parts(value))
                continue
        found.extend((node.lineno, part) for part in _dynamic_parts(arg))
    return found


def test_the_scanner_catches_every_way_of_building_sql_from_values() -> None:
    source = '''
def load(con, value, name):
    con.execute(f"select * from t where x = '{value}'")
    con.execute("select * from t where x = '" + value + "'")
    con.execute("select * from t where x = '%s'" % value)
    con.sql("select * from t where x = '{}'".format(value))
    query = f"delete from t where name = '{name}'"
    con.execute(query)
    con.execute("select * from t where x = ?", [value])
'''
    parts = [p for _, p in sql_interpolations(source)]
    assert parts == ["value", "value", "value", ".format(value)", "name"]


def test_sql_is_parameterized_everywhere_in_pipelines() -> None:
    offenders = []
    for path in sorted((REPO / "pipelines").rglob("*.py")):
        rel = path.relative_to(REPO).as_posix()
        for line, part in sql_interpolations(path.read_text(encoding="utf-8")):
            if (rel, part) not in ALLOWED_INTERPOLATIONS:
                offenders.append(f"{rel}:{line}: {part}")
    assert offenders == [], "SQL text built from a value: bind it with ? instead\n" + "\n".join(offenders)


# --- formula injection in reports ------------------------------------------------------------------------

HOSTILE = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A2)",
           "\t=1+1", "\r=1+1", "=1+1"]


def test_report_cells_starting_like_a_formula_are_stored_as_text(tmp_path: Path) -> None:
    """A real workbook written by the report code, read back with openpyxl: no formula, every hostile text inert."""
    wb = Workbook()
    wb.remove(wb.active)
    rows = [{"name": text, "count": i} for i, text in enumerate(HOSTILE)]
    xlsx.write_sheet(wb, "Tỉnh", [xlsx.col("Tên", "name"), xlsx.col("Số", "count", "int")], rows)
    path = tmp_path / "report.xlsx"
    wb.save(path)
    ws = openpyxl.load_workbook(path)["Tỉnh"]
    cells = [ws.cell(row=r, column=1) for r in range(2, len(HOSTILE) + 2)]
    for cell, text in zip(cells, HOSTILE):
        assert cell.data_type == "s", (text, cell.data_type)
        assert cell.value.startswith("'") and cell.quotePrefix, (text, cell.value)
        assert cell.value[1:].strip() == text.strip()  # XML turns the CR into LF; the text is otherwise intact
    assert [ws.cell(row=r, column=2).value for r in range(2, len(HOSTILE) + 2)] == list(range(len(HOSTILE)))
    with zipfile.ZipFile(path) as raw:
        sheet = raw.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet  # no formula element anywhere in the file


@pytest.mark.parametrize("text", HOSTILE + ["-", "=", "@"])
def test_safe_text_neutralizes_every_trigger(text: str) -> None:
    assert xlsx.safe_text(text).startswith("'")
    assert xlsx.safe_text("Xã " + text) == "Xã " + text  # only a leading trigger is neutralized


def test_no_csv_export_bypasses_the_neutralization() -> None:
    """Reports write HTML and XLSX only; a CSV writer added later must go through xlsx.safe_text."""
    writers = [p.relative_to(REPO).as_posix() for p in (REPO / "pipelines" / "reports").rglob("*.py")
               if re.search(r"csv\.writer|to_csv\(|DictWriter", p.read_text(encoding="utf-8"))
               and "safe_text" not in p.read_text(encoding="utf-8")]
    assert writers == []


# --- secrets ------------------------------------------------------------------------------------------------

SECRET_PATTERNS = {
    "private key": re.compile(r"-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY-----"),
    "password in a URL": re.compile(r"\b[a-z][a-z0-9+.-]*://[^/\s:@'\"]+:(?!\$|\{|<|\*)[^@\s/'\"]{3,}@[\w.-]+"),
    "AWS access key": re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    "GitHub token": re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,}\b"),
    "Slack token": re.compile(r"\bxox[abposr]-[A-Za-z0-9-]{10,}"),
    "Google API key": re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    "assigned secret": re.compile(r"(?i)\b(?:password|passwd|secret|api[_-]?key|token)\s*[=:]\s*['\"][^'\"\s$<{]{8,}['\"]"),
}
# Documented placeholders a reader replaces (deploy/README.md, deploy/dagster.yaml examples): not secrets.
PLACEHOLDERS = re.compile(r"change[-_]?me|example|placeholder|<[^>]+>|\$\{|\bxxx|your[-_]", re.IGNORECASE)


def tracked_text_files() -> list[Path]:
    names = subprocess.run(["git", "ls-files", "-z"], cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    files = []
    for name in filter(None, names):
        path = REPO / name.decode()
        if path.is_file() and path.stat().st_size < 5_000_000 and b"\0" not in path.read_bytes()[:4096]:
            files.append(path)
    return files


def test_no_secret_in_tracked_files() -> None:
    hits = []
    for path in tracked_text_files():
        text = path.read_text(encoding="utf-8", errors="replace")
        for kind, pattern in SECRET_PATTERNS.items():
            for m in pattern.finditer(text):
                line = text[text.rfind("\n", 0, m.start()) + 1: text.find("\n", m.end())]
                if not PLACEHOLDERS.search(line):
                    hits.append(f"{path.relative_to(REPO)}: {kind}: {m.group(0)[:40]}")
    assert hits == []
    assert not [p for p in tracked_text_files() if p.name in {".env", "id_rsa", "id_ed25519", ".htpasswd"}]


def test_the_secret_scan_would_catch_real_looking_secrets() -> None:
    # assembled from pieces so that this file itself does not hold anything the scan flags
    samples = ["-----BEGIN RSA " + "PRIVATE KEY-----", "postgresql://warehouse:" + "s3cr3tPass@db.internal/dagster",
               "AKIA" + "IOSFODNN7EXAMPLF", "ghp_" + "a1B2" * 9, "password = " + "'hunter2hunter2'"]
    for sample in samples:
        assert any(p.search(sample) for p in SECRET_PATTERNS.values()), sample


# --- UI binding ---------------------------------------------------------------------------------------------

def test_ui_binds_to_localhost_by_default() -> None:
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    ui_target = re.search(r"^ui:.*?(?=^\S|\Z)", makefile, re.MULTILINE | re.DOTALL).group(0)
    commands = [line for line in ui_target.splitlines() if "dagster" in line and (" dev" in line or "webserver" in line)]
    assert commands and all(re.search(r"(?:-h|--host)\s+127\.0\.0\.1\b", c) for c in commands), commands
    assert "0.0.0.0" not in ui_target
    service = (REPO / "deploy" / "dagster-webserver.service").read_text(encoding="utf-8")
    exec_start = [line for line in service.splitlines() if line.startswith("ExecStart=")]
    assert exec_start and all(re.search(r"-h\s+127\.0\.0\.1\b", line) for line in exec_start)
    workspace = yaml.safe_load((REPO / "workspace.yaml").read_text(encoding="utf-8"))
    # the workspace only loads our code; a grpc/host entry would expose a code server on a network address
    for location in workspace["load_from"]:
        assert "grpc_server" not in location
    assert "0.0.0.0" not in (REPO / "deploy" / "dagster.yaml").read_text(encoding="utf-8")


def test_readme_says_how_to_put_the_ui_behind_authentication() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Security"):]
    assert "127.0.0.1" in section and "deploy/README.md" in section
    assert re.search(r"basic auth", section, re.IGNORECASE) and "oauth2-proxy" in section
