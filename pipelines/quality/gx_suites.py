"""Expectation-suite files: the YAML format, its loader and the checks made at load time.

One YAML file per guarded relation lives in ``expectations/`` (format documented in
``expectations/README.md``). This module turns a file into a :class:`SuiteSpec`; it never runs anything.
Every expectation is checked against the Great Expectations 1.x class of that name at load time
(unknown type, unknown or missing kwargs, bad values), so a broken suite fails when it is loaded, not in
the middle of a pipeline run.

Great Expectations takes several seconds to import, so it is imported lazily, on the first load that checks
types (``check_types=True``, the default). ``load_suite(path, check_types=False)`` parses and checks the
file structure only, without importing GX (e.g. to enumerate checks while building Dagster definitions).
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

#: The repository's suite directory (``expectations/`` at the repo root).
DEFAULT_SUITES_DIR = Path(__file__).resolve().parents[2] / "expectations"

SEVERITIES = ("error", "warn")
SCOPES = ("batch", "table")

#: Uniqueness rules (the gate reads only the rows of duplicate groups; an incremental_key suite carries their
#: verdict over for rows that passed them before, see gx_runner).
UNIQUE_TYPES = frozenset({"expect_column_values_to_be_unique", "expect_compound_columns_to_be_unique"})

#: Map-type expectations whose verdict depends on other rows: they must see the whole relation.
CROSS_ROW_TYPES = frozenset(
    {
        "expect_column_values_to_be_unique",
        "expect_compound_columns_to_be_unique",
        "expect_multicolumn_values_to_be_unique",
        "expect_column_values_to_be_increasing",
        "expect_column_values_to_be_decreasing",
        "expect_column_value_z_scores_to_be_less_than",
        "expect_column_values_to_not_be_outliers",
    }
)

#: Expectations that only make sense against a SQL datasource or a second asset; use ``query:`` instead.
UNSUPPORTED_TYPES = {
    "unexpected_rows_expectation": "it runs SQL against a SQL datasource; write the SQL as `query:` and use "
    "expect_table_row_count_to_equal {value: 0}",
    "expect_query_results_to_match_comparison": "it needs a SQL datasource; use `query:` instead",
    "expect_table_row_count_to_equal_other_table": "it needs a second asset; use `query:` returning both counts "
    "(or their difference) instead",
}

#: Expectation fields that belong to the suite-file format or to the runner, not to `kwargs`.
RESERVED_KWARGS = frozenset(
    {
        "id",
        "meta",
        "notes",
        "result_format",
        "description",
        "catch_exceptions",
        "rendered_content",
        "severity",
        "windows",
        "batch_id",
    }
)

SUITE_KEYS = frozenset({"name", "table", "description", "batch_sql", "params", "sample_columns", "expectations",
                        "incremental_key"})
EXPECTATION_KEYS = frozenset(
    {"type", "kwargs", "severity", "description", "scope", "query", "name", "sample_columns"}
)

_PARAM_RE = re.compile(r"(?<![\w$])\$([A-Za-z_][A-Za-z0-9_]*)")
_NAME_RE = re.compile(r"[^A-Za-z0-9_]+")


class SuiteFileError(ValueError):
    """A suite file that cannot be used: bad YAML, unknown keys, unknown expectation type, bad kwargs."""


@dataclass(frozen=True, eq=False)
class ExpectationSpec:
    """One expectation of a suite, as written in the file (type normalised to GX's snake_case)."""

    type: str
    kwargs: dict[str, Any]
    severity: str = "error"
    description: str = ""
    scope: str = "batch"  # "batch" (streamed, merged) | "table" (whole relation or query result)
    query: str | None = None  # SQL-assisted rule: validate the result of this SELECT instead of the relation
    name: str = ""  # unique within the suite, identifier-safe
    sample_columns: tuple[str, ...] | None = None  # overrides the suite's sample_columns

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the expectation reads, from its kwargs (empty when it reads none or is table-level)."""
        return referenced_columns(self.kwargs)

    def fingerprint(self) -> str:
        return json.dumps([self.type, self.kwargs, self.severity, self.scope, self.query], sort_keys=True, default=str)


@dataclass(frozen=True, eq=False)
class SuiteSpec:
    """A suite file: the relation it guards and its expectations."""

    name: str
    table: str
    expectations: tuple[ExpectationSpec, ...]
    description: str = ""
    batch_sql: str | None = None
    params: dict[str, Any] = field(default_factory=dict)  # declared parameters -> default (None = required)
    sample_columns: tuple[str, ...] = ()
    path: Path | None = None
    # Rows are only ever added or removed in whole groups of this column, never changed (dbt incremental facts):
    # row-level rules then re-validate only the groups that have not passed them before (see gx_runner).
    incremental_key: str | None = None

    @property
    def row_rules(self) -> list[ExpectationSpec]:
        """The row-level rules on the relation itself (scope batch, no query)."""
        return [e for e in self.expectations if e.scope == "batch" and e.query is None]

    @property
    def unique_rules(self) -> list[ExpectationSpec]:
        """The uniqueness rules on the relation itself (no query)."""
        return [e for e in self.expectations if e.type in UNIQUE_TYPES and e.query is None]

    def carried_rules_checksum(self) -> str:
        """Identifies the rules whose verdicts an incremental_key suite carries over (row-level and uniqueness
        rules) and the relation they read: a verdict recorded under another checksum is not carried over."""
        body = json.dumps([self.relation_sql, self.incremental_key,
                           [e.fingerprint() for e in self.row_rules + self.unique_rules]])
        return hashlib.sha256(body.encode("utf-8")).hexdigest()[:16]

    @property
    def relation_sql(self) -> str:
        """The SELECT that yields the rows validated: ``batch_sql`` or the whole ``table``."""
        if self.batch_sql:
            return expand_tokens(self.batch_sql, self.table, None)
        return f"SELECT * FROM {self.table}"

    def query_sql(self, query: str) -> str:
        return expand_tokens(query, self.table, self.relation_sql)

    def resolve_params(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        """Declared defaults overlaid with ``params``; raises if a parameter the SQL uses has no value."""
        given = dict(params or {})
        merged: dict[str, Any] = dict(self.params)
        merged.update(given)
        needed: set[str] = set(self.params)
        for sql in self.all_sql():
            needed |= sql_param_names(sql)
        missing = sorted(n for n in needed if merged.get(n) is None and n not in given)
        if missing:
            raise ValueError(
                f"suite {self.name!r}: no value for SQL parameter(s) {', '.join('$' + m for m in missing)}; "
                "pass them in validate(params=...) or give defaults under `params:`"
            )
        return merged

    def all_sql(self) -> list[str]:
        out = [self.relation_sql]
        out += [self.query_sql(e.query) for e in self.expectations if e.query]
        return out


# --------------------------------------------------------------------------------------------------------------
# helpers shared with the runner


def referenced_columns(kwargs: Mapping[str, Any]) -> tuple[str, ...]:
    cols: list[str] = []
    for key in ("column", "column_A", "column_B"):
        v = kwargs.get(key)
        if isinstance(v, str):
            cols.append(v)
    v = kwargs.get("column_list")
    if isinstance(v, (list, tuple)):
        cols.extend(str(c) for c in v)
    return tuple(dict.fromkeys(cols))


def sql_param_names(sql: str) -> set[str]:
    """Names of the ``$name`` placeholders in ``sql`` (string literals are skipped)."""
    return set(_PARAM_RE.findall(_strip_sql_strings(sql)))


def _strip_sql_strings(sql: str) -> str:
    return re.sub(r"'(?:[^']|'')*'", "''", sql)


def expand_tokens(sql: str, table: str, relation_sql: str | None) -> str:
    """Replace ``{table}`` by the suite's table and ``{relation}`` by the validated relation, as a parenthesised
    subquery (``FROM {relation} f`` gives it an alias)."""
    out = sql.replace("{table}", table)
    if relation_sql is not None:
        out = out.replace("{relation}", f"({relation_sql})")
    return out


def bind_params(sql: str, params: Mapping[str, Any]) -> dict[str, Any] | None:
    """The subset of ``params`` that ``sql`` references (DuckDB rejects unused named parameters)."""
    names = sql_param_names(sql)
    if not names:
        return None
    missing = sorted(n for n in names if n not in params)
    if missing:
        raise ValueError(f"no value for SQL parameter(s) {', '.join('$' + m for m in missing)}")
    return {n: params[n] for n in names}


# --------------------------------------------------------------------------------------------------------------
# GX expectation registry (lazy: importing GX takes seconds)


def quiet_gx() -> None:
    """Keep GX quiet: no analytics, and its INFO chatter (hundreds of lines at import) off unless configured."""
    import logging

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logger = logging.getLogger("great_expectations")
    if logger.level == logging.NOTSET:
        logger.setLevel(logging.WARNING)


@functools.lru_cache(maxsize=1)
def expectation_registry() -> dict[str, type]:
    """GX 1.x expectation classes by snake_case type and by CamelCase class name."""
    quiet_gx()
    import great_expectations.expectations as gxe
    from great_expectations.expectations.expectation import Expectation

    reg: dict[str, type] = {}
    for attr in dir(gxe):
        cls = getattr(gxe, attr)
        if not (isinstance(cls, type) and issubclass(cls, Expectation)) or cls is Expectation:
            continue
        etype = getattr(cls, "expectation_type", None)
        if not etype:
            continue
        reg[etype] = cls
        reg[cls.__name__] = cls
    return reg


def resolve_type(name: str) -> tuple[str, type]:
    reg = expectation_registry()
    cls = reg.get(name) or reg.get(_camel_to_snake(name))
    if cls is None:
        import difflib

        snake = [k for k in reg if k.startswith("expect_")]
        close = difflib.get_close_matches(_camel_to_snake(name), snake, n=3, cutoff=0.75)
        hint = f" (did you mean {', '.join(close)}?)" if close else ""
        raise KeyError(f"unknown expectation type {name!r}{hint}")
    return cls.expectation_type, cls


def is_batch_safe(etype: str, cls: type | None = None) -> bool:
    """True when validating every batch separately and merging gives the whole relation's verdict."""
    if etype in CROSS_ROW_TYPES:
        return False
    if cls is None:
        try:
            cls = resolve_type(etype)[1]
        except KeyError:
            return False
    from great_expectations.expectations.expectation import (
        ColumnMapExpectation,
        ColumnPairMapExpectation,
        MulticolumnMapExpectation,
    )

    return issubclass(cls, (ColumnMapExpectation, ColumnPairMapExpectation, MulticolumnMapExpectation))


def _camel_to_snake(name: str) -> str:
    s = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", s).lower()


# --------------------------------------------------------------------------------------------------------------
# loading


def load_suite(path: str | os.PathLike[str], *, check_types: bool = True) -> SuiteSpec:
    """Read one suite file. Raises :class:`SuiteFileError` naming the file and the faulty entry."""
    path = Path(path)
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise SuiteFileError(f"{path}: cannot read suite file: {exc}") from exc
    return parse_suite(doc, path=path, check_types=check_types)


def load_suites(
    directory: str | os.PathLike[str] = DEFAULT_SUITES_DIR, *, check_types: bool = True
) -> dict[str, SuiteSpec]:
    """Every ``*.yml`` / ``*.yaml`` directly in ``directory`` (names starting with ``_`` or ``.`` skipped)."""
    directory = Path(directory)
    if not directory.is_dir():
        raise SuiteFileError(f"{directory}: not a directory")
    suites: dict[str, SuiteSpec] = {}
    files = sorted(p for p in directory.iterdir() if p.suffix in (".yml", ".yaml") and p.name[0] not in "_.")
    for p in files:
        spec = load_suite(p, check_types=check_types)
        if spec.name in suites:
            raise SuiteFileError(f"{p}: suite name {spec.name!r} already used by {suites[spec.name].path}")
        suites[spec.name] = spec
    return dict(sorted(suites.items()))


def parse_suite(doc: Any, *, path: Path | None = None, check_types: bool = True) -> SuiteSpec:
    where = str(path) if path else "<suite>"
    if not isinstance(doc, dict):
        raise SuiteFileError(f"{where}: a suite file must be a YAML mapping")
    unknown = sorted(set(doc) - SUITE_KEYS)
    if unknown:
        raise SuiteFileError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(SUITE_KEYS)}")
    name = doc.get("name") or (path.stem if path else None)
    if not isinstance(name, str) or not name:
        raise SuiteFileError(f"{where}: `name` must be a non-empty string")
    table = doc.get("table")
    if not isinstance(table, str) or not table.strip():
        raise SuiteFileError(f"{where}: `table` (the relation validated, e.g. marts.fct_x) is required")
    batch_sql = doc.get("batch_sql")
    if batch_sql is not None and (not isinstance(batch_sql, str) or not batch_sql.strip()):
        raise SuiteFileError(f"{where}: `batch_sql` must be a SELECT statement or null")
    params = doc.get("params") or {}
    if not isinstance(params, dict) or not all(isinstance(k, str) for k in params):
        raise SuiteFileError(f"{where}: `params` must map parameter names to default values (null = required)")
    sample_columns = _str_tuple(doc.get("sample_columns"), f"{where}: `sample_columns`") or ()
    incremental_key = doc.get("incremental_key")
    if incremental_key is not None and (not isinstance(incremental_key, str)
                                        or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", incremental_key)):
        raise SuiteFileError(f"{where}: `incremental_key` must be a column name")
    raw = doc.get("expectations")
    if not isinstance(raw, list) or not raw:
        raise SuiteFileError(f"{where}: `expectations` must be a non-empty list")

    exps: list[ExpectationSpec] = []
    used_names: set[str] = set()
    for i, item in enumerate(raw):
        exps.append(_parse_expectation(item, f"{where}: expectations[{i}]", used_names, check_types))
    return SuiteSpec(
        name=name,
        table=table.strip(),
        expectations=tuple(exps),
        description=str(doc.get("description") or "").strip(),
        batch_sql=batch_sql.strip().rstrip(";") if batch_sql else None,
        params=dict(params),
        sample_columns=sample_columns,
        path=path,
        incremental_key=incremental_key,
    )


def _parse_expectation(item: Any, where: str, used_names: set[str], check_types: bool) -> ExpectationSpec:
    if not isinstance(item, dict):
        raise SuiteFileError(f"{where}: each expectation must be a mapping with at least `type`")
    unknown = sorted(set(item) - EXPECTATION_KEYS)
    if unknown:
        raise SuiteFileError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(EXPECTATION_KEYS)}")
    raw_type = item.get("type")
    if not isinstance(raw_type, str) or not raw_type:
        raise SuiteFileError(
            f"{where}: `type` is required (a GX expectation, e.g. expect_column_values_to_not_be_null)"
        )
    where = f"{where} ({raw_type})"
    kwargs = item.get("kwargs") or {}
    if not isinstance(kwargs, dict):
        raise SuiteFileError(f"{where}: `kwargs` must be a mapping")
    reserved = sorted(set(kwargs) & RESERVED_KWARGS)
    if reserved:
        raise SuiteFileError(
            f"{where}: {reserved} cannot go in `kwargs` (severity/description are expectation keys; "
            "result_format/catch_exceptions/meta are set by the runner)"
        )
    severity = item.get("severity", "error")
    if severity not in SEVERITIES:
        raise SuiteFileError(f"{where}: severity must be one of {SEVERITIES}, got {severity!r}")
    query = item.get("query")
    if query is not None and (not isinstance(query, str) or not query.strip()):
        raise SuiteFileError(f"{where}: `query` must be a SELECT statement")
    scope = item.get("scope")
    if scope is not None and scope not in SCOPES:
        raise SuiteFileError(f"{where}: scope must be one of {SCOPES}, got {scope!r}")
    sample_columns = _str_tuple(item.get("sample_columns"), f"{where}: `sample_columns`")

    etype = _camel_to_snake(raw_type) if raw_type[:1].isupper() else raw_type
    if check_types:
        try:
            etype, cls = resolve_type(raw_type)
        except KeyError as exc:
            raise SuiteFileError(f"{where}: {exc.args[0]}") from None
        if etype in UNSUPPORTED_TYPES:
            raise SuiteFileError(f"{where}: not supported by the runner: {UNSUPPORTED_TYPES[etype]}")
        try:
            cls(**kwargs)
        except Exception as exc:  # pydantic ValidationError, InvalidExpectationConfigurationError, ...
            msg = " ".join(str(exc).split())
            raise SuiteFileError(f"{where}: invalid kwargs {kwargs!r}: {msg}") from None
        safe = is_batch_safe(etype, cls)
    else:
        safe = etype not in CROSS_ROW_TYPES and etype.startswith(
            ("expect_column_values_", "expect_column_value_", "expect_column_pair_values", "expect_multicolumn_",
             "expect_select_column_values")
        )
    if scope == "batch" and not safe:
        raise SuiteFileError(
            f"{where}: scope: batch is only for row-level rules; {etype} needs the whole relation "
            "(leave scope out, or use scope: table / a query)"
        )
    resolved_scope = scope or ("batch" if safe else "table")

    name = item.get("name")
    if name is not None:
        if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            raise SuiteFileError(f"{where}: `name` must be an identifier ([A-Za-z_][A-Za-z0-9_]*)")
        if name in used_names:
            raise SuiteFileError(f"{where}: expectation name {name!r} is used twice in the suite")
    else:
        cols = referenced_columns(kwargs)
        base = etype + ("__" + "__".join(cols) if cols else "")
        base = _NAME_RE.sub("_", base).strip("_")
        name, n = base, 2
        while name in used_names:
            name, n = f"{base}_{n}", n + 1
    used_names.add(name)
    return ExpectationSpec(
        type=etype,
        kwargs=dict(kwargs),
        severity=severity,
        description=str(item.get("description") or "").strip(),
        scope=resolved_scope,
        query=query.strip().rstrip(";") if query else None,
        name=name,
        sample_columns=sample_columns,
    )


def _str_tuple(value: Any, where: str) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise SuiteFileError(f"{where} must be a list of column names")
    return tuple(value)
