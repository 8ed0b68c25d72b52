"""Run Great Expectations suites against DuckDB relations, in bounded memory.

GX's SQL datasource does not work on DuckDB (every metric fails with ``MetricResolutionError: list index out of
range``), so rows are streamed out of DuckDB as Arrow record batches, re-chunked to ``batch_rows`` rows, turned
into pandas frames and validated by GX's *pandas* datasource. One GX context, datasource, batch definition and
one GX suite object per (suite, frame kind) are built once per process (:class:`GxSession`) and reused for every
batch and suite, so the fixed cost of a validation run (~20 ms per expectation) is paid per frame, not per row.

How each expectation is evaluated (``scope`` in the suite file, see ``expectations/README.md``):

* A source (the relation, or a ``query:`` result) that fits in one batch is validated in ONE GX run holding all
  its rules - every rule is exact on the whole frame.
* ``batch`` (default for row-level "map" rules: not null, in set, between, regex, pair/multicolumn rules):
  validated on every streamed batch; counts are summed and ``success`` is recomputed from the totals with the
  rule's ``mostly``, as GX does on one frame.
* ``table`` (default for everything else: uniqueness, row counts, column aggregates, table shape): validated
  once, on the smallest frame that gives GX the same answer as the whole relation - row counts: ``count(*)``
  and a zero-column frame of that many rows; uniqueness: only the rows of duplicate groups (or with a NULL key),
  the other rows counted as valid; min/max: the 2-row frame ``min, max``; distinct-value / unique-count rules:
  ``SELECT DISTINCT col``; table shape: a zero-row frame with the schema; anything else (mean, median, ...):
  only the referenced columns (plus ``sample_columns``) of the whole relation.
* ``query:`` rules: the SELECT is run in DuckDB (``{relation}``/``{table}`` expand to the validated relation) and
  the expectation validates its result; that result is streamed/reduced by the same rules as above.
* ``incremental_key`` suites (rows only added or removed in whole groups of that column, never changed: the dbt
  incremental facts): given ``carry_over``, the keys whose rows passed every row-level and uniqueness rule before
  (under the same rules, :meth:`SuiteSpec.carried_rules_checksum`), the row-level rules read only the rows of
  other keys; the carried rows count as valid (and their NULLs as missing), so counts and ``mostly`` verdicts are
  those of the whole relation. Uniqueness rules read only the rows whose key values occur among the new rows
  (plus NULL keys): the carried rows are unique among themselves, so every duplicate group holds a new row and
  that frame is exactly the one a full validation would build. Other table-level and query rules still read the
  whole relation. The result lists the keys validated now (``new_keys``); the caller records them only when every
  carried rule found nothing (:attr:`SuiteResult.carry_over_clean`, :func:`record_validated_keys`). Applies when
  every row-level rule reads one ``column``; otherwise the suite is validated in full.

No dagster import here: the Dagster asset checks wrap :func:`validate`.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any, Iterator, Mapping, Sequence

from pipelines.quality.gx_suites import (
    DEFAULT_SUITES_DIR,
    UNIQUE_TYPES,
    ExpectationSpec,
    SuiteFileError,
    SuiteSpec,
    bind_params,
    load_suite,
    load_suites,
    quiet_gx,
    referenced_columns,
    sql_param_names,
)

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

if TYPE_CHECKING:  # pragma: no cover
    import duckdb
    import pandas as pd
    import pyarrow as pa

__all__ = [
    "DEFAULT_SUITES_DIR",
    "ExpectationOutcome",
    "ExpectationSpec",
    "GxSession",
    "QUALITY_RESULTS_COLUMNS",
    "QUALITY_RESULTS_DDL",
    "SuiteFileError",
    "SuiteResult",
    "SuiteSpec",
    "build_data_docs",
    "get_session",
    "load_suite",
    "load_suites",
    "validate",
    "validate_all",
]

#: Keys (``incremental_key`` values) whose rows passed a suite's row-level rules, per rules checksum.
VALIDATED_KEYS_DDL = """
CREATE TABLE IF NOT EXISTS audit.quality_validated_keys (
    suite           VARCHAR NOT NULL,
    rules_checksum  VARCHAR NOT NULL,   -- SuiteSpec.carried_rules_checksum() of the rules they passed
    key_value       VARCHAR NOT NULL,   -- the incremental_key value, as text
    run_id          VARCHAR,
    validated_at    TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now()
)
"""
_CARRY_PARAM = "carried_keys__"

#: Columns of ``audit.quality_results``, in the order :meth:`SuiteResult.to_records` emits them.
QUALITY_RESULTS_COLUMNS = (
    "run_id",
    "suite",
    "table",
    "expectation",
    "kwargs",
    "severity",
    "success",
    "observed_value",
    "element_count",
    "unexpected_count",
    "unexpected_percent",
    "sample",
    "validated_at",
)

QUALITY_RESULTS_DDL = """
CREATE TABLE IF NOT EXISTS audit.quality_results (
    run_id             VARCHAR NOT NULL,
    suite              VARCHAR NOT NULL,
    "table"            VARCHAR NOT NULL,
    expectation        VARCHAR NOT NULL,   -- GX expectation type, snake_case
    kwargs             JSON,               -- GX kwargs (+ "query" for SQL-assisted rules)
    severity           VARCHAR NOT NULL,   -- error | warn
    success            BOOLEAN NOT NULL,
    observed_value     JSON,               -- GX observed value; unexpected count for row rules; {"exception": ..}
    element_count      BIGINT,
    unexpected_count   BIGINT,
    unexpected_percent DOUBLE,
    sample             JSON,               -- up to sample_size offending rows / values
    validated_at       TIMESTAMPTZ NOT NULL
)
""".strip()

SCHEMA_TYPES = frozenset(
    {
        "expect_column_to_exist",
        "expect_table_columns_to_match_ordered_list",
        "expect_table_columns_to_match_set",
        "expect_table_column_count_to_equal",
        "expect_table_column_count_to_be_between",
        "expect_column_type_to_be",
        "expect_column_values_to_be_of_type",
        "expect_column_values_to_be_in_type_list",
    }
)
ROW_COUNT_TYPES = frozenset({"expect_table_row_count_to_equal", "expect_table_row_count_to_be_between"})
MINMAX_TYPES = frozenset({"expect_column_min_to_be_between", "expect_column_max_to_be_between"})
DISTINCT_TYPES = frozenset(
    {
        "expect_column_distinct_values_to_be_in_set",
        "expect_column_distinct_values_to_contain_set",
        "expect_column_distinct_values_to_equal_set",
        "expect_column_unique_value_count_to_be_between",
    }
)
# Uniqueness rules (UNIQUE_TYPES): GX sees only the rows in duplicate groups (and rows with a NULL key, so it can
# count them as missing); the other rows are unique by construction and are added to the counts without
# materialising them.
_SEVERITY_TO_GX = {"error": "critical", "warn": "warning"}


# ==============================================================================================================
# results


@dataclass
class ExpectationOutcome:
    """The verdict of one expectation over the whole relation (all batches merged)."""

    suite: str
    table: str
    name: str
    expectation: str  # GX type, snake_case
    kwargs: dict[str, Any]
    severity: str
    description: str
    scope: str  # batch | table
    query: str | None
    success: bool
    observed_value: Any = None
    element_count: int | None = None
    unexpected_count: int | None = None
    unexpected_percent: float | None = None
    missing_count: int | None = None
    sample: list[Any] = field(default_factory=list)
    exception: str | None = None
    frames: int = 0  # GX validations that contributed (batches, or 1)
    result: dict[str, Any] = field(default_factory=dict, repr=False)  # merged GX `result` dict (JSON-safe)

    @property
    def is_error(self) -> bool:
        return not self.success and self.severity == "error"

    def record_kwargs(self) -> dict[str, Any]:
        kw = dict(self.kwargs)
        if self.query:
            kw["query"] = self.query
        return kw


@dataclass
class SuiteResult:
    suite: str
    table: str
    results: list[ExpectationOutcome]
    rows_validated: int
    batches: int  # record batches streamed from the relation (0 when only table-scope rules ran)
    seconds: float
    validated_at: datetime
    params: dict[str, Any] = field(default_factory=dict)
    gx_runs: int = 0  # GX validation calls made (batches + table frames + query frames)
    spec: SuiteSpec | None = field(default=None, repr=False)
    # incremental_key suites validated with carry_over: rows whose row-level verdict was carried over, the keys
    # whose rows the row-level rules read in this run, and the rules' checksum.
    rows_carried_over: int = 0
    new_keys: list[str] = field(default_factory=list)
    rules_checksum: str | None = None

    @property
    def carry_over_clean(self) -> bool:
        """Every rule whose verdict is carried over (row-level, and uniqueness on the relation) ran without
        exception and found no unexpected row."""
        carried = [r for r in self.results if r.query is None and (r.scope == "batch" or r.expectation in UNIQUE_TYPES)]
        return all(r.success and r.exception is None and not r.unexpected_count for r in carried)

    @property
    def failed_errors(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "error"]

    @property
    def failed_warnings(self) -> list[ExpectationOutcome]:
        return [r for r in self.results if not r.success and r.severity == "warn"]

    @property
    def success(self) -> bool:
        """No failed error-severity expectation (failed warnings do not block)."""
        return not self.failed_errors

    def to_records(self, run_id: str) -> list[dict[str, Any]]:
        """Flat rows for ``audit.quality_results`` (keys: :data:`QUALITY_RESULTS_COLUMNS`, JSON as text)."""
        rows = []
        for r in self.results:
            observed = {"exception": r.exception} if r.exception else r.observed_value
            rows.append(
                {
                    "run_id": run_id,
                    "suite": self.suite,
                    "table": self.table,
                    "expectation": r.expectation,
                    "kwargs": _dumps(r.record_kwargs()),
                    "severity": r.severity,
                    "success": bool(r.success),
                    "observed_value": _dumps(observed),
                    "element_count": r.element_count,
                    "unexpected_count": r.unexpected_count,
                    "unexpected_percent": r.unexpected_percent,
                    "sample": _dumps(r.sample),
                    "validated_at": self.validated_at,
                }
            )
        return rows

    def summary(self) -> str:
        state = "PASS" if self.success else "FAIL"
        return (
            f"{self.suite} [{state}] {len(self.results)} expectations, {len(self.failed_errors)} failed errors, "
            f"{len(self.failed_warnings)} failed warnings, {self.rows_validated} rows in {self.batches} batches, "
            f"{self.seconds:.2f}s"
        )


# ==============================================================================================================
# GX session


class GxSession:
    """One ephemeral GX context + pandas datasource + batch definition, reused for every frame validated.

    GX suites are built once per (suite, frame kind) and cached by content, so re-validating the same suite pays
    no construction cost. Thread-safe (validations are serialised).
    """

    def __init__(self) -> None:
        quiet_gx()
        import great_expectations as gx
        from great_expectations.data_context.types.base import (
            DataContextConfig,
            InMemoryStoreBackendDefaults,
            ProgressBarsConfig,
        )

        self._gx = gx
        _disable_pandas_fingerprint()
        config = DataContextConfig(
            analytics_enabled=False,
            progress_bars=ProgressBarsConfig(globally=False),
            store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        )
        self.context = gx.get_context(mode="ephemeral", project_config=config)
        datasource = self.context.data_sources.add_pandas("duckdb_frames")
        asset = datasource.add_dataframe_asset("frame")
        self.batch_definition = asset.add_batch_definition_whole_dataframe("whole_frame")
        self._suites: dict[str, Any] = {}
        self._lock = threading.RLock()

    def gx_suite(self, key: str, items: Sequence[tuple[int, ExpectationSpec]]) -> Any:
        """A GX ExpectationSuite holding ``items``; each expectation carries its index in ``meta['_idx']``."""
        fp = key + "|" + "|".join(f"{i}:{spec.fingerprint()}" for i, spec in items)
        with self._lock:
            suite = self._suites.get(fp)
            if suite is None:
                suite = self._gx.ExpectationSuite(
                    name=key, expectations=[gx_expectation(spec, meta={"_idx": i}) for i, spec in items]
                )
                if len(self._suites) > 512:
                    self._suites.clear()
                self._suites[fp] = suite
            return suite

    def run(self, frame: pd.DataFrame, suite: Any, *, sample_size: int, params: Mapping[str, Any]) -> Any:
        result_format = {"result_format": "SUMMARY", "partial_unexpected_count": max(int(sample_size), 1)}
        with self._lock:
            batch = self.batch_definition.get_batch(batch_parameters={"dataframe": frame})
            return batch.validate(suite, result_format=result_format, expectation_parameters=dict(params) or None)


def _disable_pandas_fingerprint() -> None:
    """GX md5-hashes every pandas batch under 1 GB (``batch_markers.pandas_data_fingerprint``), twice per
    validation: ~0.5 s per 250k x 15 frame, more than the expectations themselves. The fingerprint is metadata
    only, so switch it off by lowering the module threshold it checks."""
    try:
        from great_expectations.execution_engine import pandas_execution_engine as pee

        if getattr(pee, "HASH_THRESHOLD", 0) > 0:
            pee.HASH_THRESHOLD = 0
    except ImportError:  # pragma: no cover
        pass


_SESSION: GxSession | None = None
_SESSION_LOCK = threading.Lock()


def get_session() -> GxSession:
    """The process-wide :class:`GxSession` (created on first use)."""
    global _SESSION
    with _SESSION_LOCK:
        if _SESSION is None:
            _SESSION = GxSession()
        return _SESSION


def gx_expectation(spec: ExpectationSpec, meta: dict[str, Any] | None = None) -> Any:
    from pipelines.quality.gx_suites import resolve_type

    _, cls = resolve_type(spec.type)
    m = {"name": spec.name, "scope": spec.scope, "severity": spec.severity}
    if spec.query:
        m["query"] = spec.query
    m.update(meta or {})
    return cls(
        **spec.kwargs,
        meta=m,
        severity=_SEVERITY_TO_GX[spec.severity],
        notes=spec.description or None,
    )


# ==============================================================================================================
# validation


def validate(
    con: duckdb.DuckDBPyConnection,
    suite: SuiteSpec,
    params: Mapping[str, Any] | None = None,
    batch_rows: int = 250_000,
    sample_size: int = 10,
    *,
    session: GxSession | None = None,
    carry_over: Sequence[str] | None = None,
) -> SuiteResult:
    """Validate ``suite`` against its relation in ``con``; see the module docstring for how rules are run.

    ``params`` bind the ``$name`` placeholders of ``batch_sql``/``query`` (as DuckDB prepared parameters) and are
    also passed to GX as expectation parameters (``{$PARAMETER: name}`` in kwargs). Rule failures never raise;
    SQL errors (missing relation, bad SQL, missing parameter) do. ``carry_over``: see ``incremental_key`` in the
    module docstring (ignored for suites without one).
    """
    if batch_rows < 1:
        raise ValueError("batch_rows must be >= 1")
    started = time.perf_counter()
    validated_at = datetime.now(timezone.utc)
    session = session or get_session()
    bound = suite.resolve_params(params)
    run = _SuiteRun(con, suite, bound, batch_rows, sample_size, session)
    if suite.incremental_key and carry_over is not None and _carry_over_applies(suite):
        run.carry = list(carry_over)

    sources: dict[str | None, list[int]] = {}
    for i, spec in enumerate(suite.expectations):
        sources.setdefault(spec.query, []).append(i)
    sources.setdefault(None, [])  # the relation itself is always read (row count, existence)
    for query in sorted(sources, key=lambda q: q is not None):
        run.run_source(query, sources[query])

    outcomes = [run.outcomes[i] for i in range(len(suite.expectations))]
    return SuiteResult(
        suite=suite.name,
        table=suite.table,
        results=outcomes,
        rows_validated=run.rows_validated,
        batches=run.batches,
        seconds=time.perf_counter() - started,
        validated_at=validated_at,
        params={k: _jsonable(v) for k, v in bound.items()},
        gx_runs=run.gx_runs,
        spec=suite,
        rows_carried_over=run.rows_carried_over,
        new_keys=run.new_keys,
        rules_checksum=suite.carried_rules_checksum() if suite.incremental_key else None,
    )


def _carry_over_applies(suite: SuiteSpec) -> bool:
    """Row-level rules that each read one column: their carried rows' contribution (valid, or missing when
    NULL) is known without reading them."""
    return all(set(e.columns) == {e.kwargs.get("column")} for e in suite.row_rules)


def validated_keys(con: duckdb.DuckDBPyConnection, suite: SuiteSpec) -> list[str] | None:
    """The keys whose rows passed ``suite``'s current row-level rules (None: the suite has no incremental_key)."""
    if not suite.incremental_key:
        return None
    exists = con.execute("SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'audit' "
                         "AND table_name = 'quality_validated_keys'").fetchall()[0][0]
    if not exists:
        return []
    return [k for (k,) in con.execute("SELECT key_value FROM audit.quality_validated_keys "
                                      "WHERE suite = ? AND rules_checksum = ?",
                                      [suite.name, suite.carried_rules_checksum()]).fetchall()]


def record_validated_keys(con: duckdb.DuckDBPyConnection, results: Sequence[SuiteResult], run_id: str | None) -> int:
    """Remember the keys whose rows passed every carried rule in ``results``; forget keys recorded under other
    rules of the same suites. Returns the number of keys added."""
    added = 0
    con.execute(VALIDATED_KEYS_DDL)
    for r in results:
        if not r.rules_checksum:
            continue
        con.execute("DELETE FROM audit.quality_validated_keys WHERE suite = ? AND rules_checksum <> ?",
                    [r.suite, r.rules_checksum])
        if r.new_keys and r.carry_over_clean:
            # one statement: executemany runs one statement per row (3 s per 7,000 keys in memory, a 10-year
            # first run records 14,000)
            con.execute("INSERT INTO audit.quality_validated_keys (suite, rules_checksum, key_value, run_id) "
                        "SELECT ?, ?, unnest(?::VARCHAR[]), ?", [r.suite, r.rules_checksum, list(r.new_keys), run_id])
            added += len(r.new_keys)
    return added


def forget_validated_keys(con: duckdb.DuckDBPyConnection) -> None:
    """Every carried-over verdict is void (the facts were rebuilt from scratch)."""
    con.execute(VALIDATED_KEYS_DDL)
    con.execute("DELETE FROM audit.quality_validated_keys")


def validate_all(
    con: duckdb.DuckDBPyConnection,
    suites: Mapping[str, SuiteSpec] | Sequence[SuiteSpec],
    params: Mapping[str, Any] | None = None,
    **kwargs: Any,
) -> list[SuiteResult]:
    """Validate several suites with one GX session (each suite receives only the params it declares/uses)."""
    items = list(suites.values()) if isinstance(suites, Mapping) else list(suites)
    out = []
    for s in items:
        wanted = set(s.params)
        for sql in s.all_sql():
            wanted |= sql_param_names(sql)
        own = {k: v for k, v in (params or {}).items() if k in wanted}
        out.append(validate(con, s, own, **kwargs))
    return out


class _SuiteRun:
    def __init__(self, con, suite: SuiteSpec, params: dict[str, Any], batch_rows: int, sample_size: int, session):
        self.con = con
        self.suite = suite
        self.params = params
        self.batch_rows = batch_rows
        self.sample_size = max(int(sample_size), 0)
        self.session = session
        self.outcomes: dict[int, ExpectationOutcome] = {}
        self.rows_validated = 0
        self.batches = 0
        self.gx_runs = 0
        self.carry: list[str] | None = None  # validated keys, when the suite is validated incrementally
        self.carried_filter: tuple[str, dict[str, Any]] | None = None  # (SQL: a row is carried, its params)
        self.rows_carried_over = 0
        self.new_keys: list[str] = []

    # -- sources ------------------------------------------------------------------------------------------------
    def run_source(self, query: str | None, idxs: list[int]) -> None:
        """Validate the expectations ``idxs`` that read one source (the relation, or one ``query``)."""
        specs = self.suite.expectations
        is_query = query is not None
        sql = self.suite.relation_sql if query is None else self.suite.query_sql(query)
        source = _Source(self.con, sql, self.params)
        label = "relation" if query is None else f"query{idxs[0]}"
        batch_idxs = [i for i in idxs if specs[i].scope == "batch"]
        table_idxs = [i for i in idxs if specs[i].scope != "batch"]
        if not idxs:  # only query rules: the relation is just counted (which also checks that it exists)
            self.rows_validated = source.count()
            return
        if query is None and self.carry is not None:
            self._run_incremental(source, label, batch_idxs)
            self._run_table_rules(source, label, table_idxs, is_query)
            return

        # Small source (one batch): every rule, whatever its scope, is exact on that single frame -> one GX run.
        frames = source.frames(self.batch_rows)
        first = next(frames)
        second = next(frames, None)
        if second is None:
            frame, real = first
            if idxs:
                self._run_frame(frame, label, "whole", idxs, is_query)
            if query is None:
                self.rows_validated = len(frame) if real else 0
                self.batches = int(real)
            return

        if batch_idxs:
            streamed, n_batches = self._run_batches(
                itertools.chain([first, second], frames), label, batch_idxs, is_query
            )
        else:
            frames.close()
            del first, second
            streamed, n_batches = None, 0
        if query is None:
            self.batches = n_batches
            self.rows_validated = streamed if streamed is not None else source.count()
        self._run_table_rules(source, label, table_idxs, is_query)

    def _run_incremental(self, source: _Source, label: str, batch_idxs: list[int]) -> None:
        """Row-level rules on the rows of keys not validated before; the others are carried over."""
        specs = self.suite.expectations
        key = _ident(self.suite.incremental_key or "")
        params = {**self.params, _CARRY_PARAM: list(self.carry or [])}
        # a NULL key is never carried over: its rows are read every time
        carried = f"coalesce(CAST({key} AS VARCHAR) IN (SELECT unnest(${_CARRY_PARAM})), false)"
        self.carried_filter = (carried, params)
        new = _Source(self.con, f"SELECT * FROM {source.sub} WHERE NOT {carried}", params)
        # One scan for what the carried rows contribute (count, NULLs per rule column) and the keys read now.
        cols = sorted({specs[i].kwargs["column"] for i in batch_idxs} & set(source.columns))
        aggregates = ", ".join(
            ["count(*) FILTER (WHERE carried__)",
             f"list_sort(list(DISTINCT CAST({key} AS VARCHAR)) FILTER (WHERE NOT carried__ AND {key} IS NOT NULL))"]
            + [f"count(*) FILTER (WHERE carried__ AND {_ident(c)} IS NULL)" for c in cols])
        row = source._rel(f"SELECT {aggregates} FROM (SELECT *, {carried} AS carried__ FROM {source.sub})",
                          params).fetchall()[0]
        carried_rows, nulls = int(row[0]), dict(zip(cols, (int(v) for v in row[2:])))
        self.new_keys = list(row[1] or [])
        if batch_idxs:
            streamed, n_batches = self._run_batches(new.frames(self.batch_rows), label, batch_idxs, False,
                                                    carried=(carried_rows, nulls))
        else:
            streamed, n_batches = new.count(), 0
        self.batches = n_batches
        self.rows_carried_over = carried_rows
        self.rows_validated = streamed + carried_rows

    def _run_table_rules(self, source: _Source, label: str, table_idxs: list[int], is_query: bool) -> None:
        specs = self.suite.expectations
        groups: dict[tuple[str, str], list[int]] = {}
        for i in table_idxs:
            groups.setdefault(_table_plan(specs[i]), []).append(i)
        projection: list[int] = []
        for (kind, col), members in groups.items():
            if kind == "projection":
                projection += members
            else:
                self._run_table_group(source, label, kind, col, members, is_query)
        if projection:
            self._run_table_group(source, label, "projection", "", projection, is_query)

    def _run_frame(self, frame: pd.DataFrame, label: str, kind: str, idxs: list[int], is_query: bool,
                   *, clean_rows: int = 0, head_source: _Source | None = None) -> None:
        """One GX run of ``idxs`` on ``frame`` (the whole source, or a reduced frame standing for it)."""
        specs = self.suite.expectations
        gx_suite = self.session.gx_suite(f"{self.suite.name}:{label}:{kind}", [(i, specs[i]) for i in idxs])
        res = self.session.run(frame, gx_suite, sample_size=self.sample_size, params=self.params)
        self.gx_runs += 1
        cols = list(frame.columns)
        for er in res.results:
            i = er.expectation_config.meta["_idx"]
            acc = _Accumulator(specs[i], self.sample_size)
            acc.add(er, frame, 0, self._sample_cols(specs[i], cols, is_query))
            if clean_rows:
                acc.add_clean_rows(clean_rows)
            outcome = acc.outcome(self.suite)
            if is_query and specs[i].type in ROW_COUNT_TYPES and not outcome.success and self.sample_size:
                # SQL-assisted "violations" pattern: show the offending rows of the query
                if kind.startswith("row_count") and head_source is not None:
                    outcome.sample = head_source.head(self.sample_size)
                elif not kind.startswith("row_count"):
                    outcome.sample = _records(frame.head(self.sample_size))
            self.outcomes[i] = outcome

    def _sample_cols(self, spec: ExpectationSpec, frame_cols: Sequence[str], is_query: bool) -> list[str]:
        if spec.sample_columns is not None:
            keys = list(spec.sample_columns)
        elif is_query:
            return list(frame_cols)
        else:
            keys = list(self.suite.sample_columns)
        cols = [c for c in dict.fromkeys(keys + list(spec.columns)) if c in frame_cols]
        return cols or ([] if not is_query else list(frame_cols))

    # -- batch scope --------------------------------------------------------------------------------------------
    def _run_batches(self, frames: Iterator[tuple[pd.DataFrame, bool]], label: str, idxs: list[int],
                     is_query: bool, carried: tuple[int, dict[str, int]] | None = None) -> tuple[int, int]:
        specs = self.suite.expectations
        gx_suite = self.session.gx_suite(f"{self.suite.name}:{label}:batch", [(i, specs[i]) for i in idxs])
        accs = {i: _Accumulator(specs[i], self.sample_size) for i in idxs}
        offset = 0
        n_batches = 0
        for frame, real in frames:
            res = self.session.run(frame, gx_suite, sample_size=self.sample_size, params=self.params)
            self.gx_runs += 1
            for er in res.results:
                i = er.expectation_config.meta["_idx"]
                cols = self._sample_cols(specs[i], list(frame.columns), is_query)
                accs[i].add(er, frame, offset, cols)
            offset += len(frame)
            n_batches += int(real)
        for i, acc in accs.items():
            if carried is not None:
                acc.add_carried_rows(carried[0], carried[1].get(specs[i].kwargs.get("column"), 0))
            self.outcomes[i] = acc.outcome(self.suite)
        return offset, n_batches

    # -- table scope --------------------------------------------------------------------------------------------
    def _run_table_group(self, source: _Source, label: str, kind: str, col: str, idxs: list[int], is_query: bool):
        specs = self.suite.expectations
        rel_cols = source.columns
        clean_rows = 0
        if kind == "schema":
            frame = source.frame(f"SELECT * FROM {source.sub} LIMIT 0")
        elif kind == "row_count":
            import pandas as pd

            frame = pd.DataFrame(index=pd.RangeIndex(source.count()))
        elif kind == "minmax":
            q = _ident(col)
            if col in rel_cols:
                frame = source.frame(
                    f"SELECT {q} FROM (SELECT min({q}) AS {q} FROM {source.sub} "
                    f"UNION ALL SELECT max({q}) FROM {source.sub}) WHERE {q} IS NOT NULL"
                )
            else:  # let GX report the missing column
                frame = source.frame(f"SELECT * FROM {source.sub} LIMIT 0")
        elif kind == "dupes":
            keys = json.loads(col)
            if set(keys) <= set(rel_cols):
                cols = [c for c in rel_cols if c in set(keys) | {c2 for i in idxs for c2 in
                                                                self._sample_cols(specs[i], rel_cols, is_query)}]
                part = ", ".join(_ident(k) for k in keys)
                nulls = " OR ".join(f"{_ident(k)} IS NULL" for k in keys)
                where, params = "", None
                if self.carried_filter is not None and not is_query:
                    # only the key values that occur among the new rows can be duplicated (module docstring)
                    carried, params = self.carried_filter
                    where = (f"WHERE ({part}) IN (SELECT {part} FROM {source.sub} WHERE NOT {carried}) OR {nulls} ")
                frame = source.frame(
                    f"SELECT {', '.join(_ident(c) for c in cols)} FROM {source.sub} {where}"
                    f"QUALIFY count(*) OVER (PARTITION BY {part}) > 1 OR {nulls}", params
                )
                clean_rows = source.count() - len(frame)
            else:
                frame = source.frame(f"SELECT * FROM {source.sub} LIMIT 0")
        elif kind == "distinct":
            if col in rel_cols:
                frame = source.frame(f"SELECT DISTINCT {_ident(col)} FROM {source.sub}")
            else:
                frame = source.frame(f"SELECT * FROM {source.sub} LIMIT 0")
        else:  # projection: referenced + sample columns of the whole relation
            wanted: list[str] = []
            star = False
            for i in idxs:
                spec = specs[i]
                if "row_condition" in spec.kwargs or not spec.columns:
                    star = True
                wanted += list(spec.columns) + self._sample_cols(spec, rel_cols, is_query)
            cols = [c for c in rel_cols if c in set(wanted)]
            if star or not cols or set(spec_col for i in idxs for spec_col in specs[i].columns) - set(rel_cols):
                select = "*"  # unknown/missing columns: give GX everything so it reports what is wrong
            else:
                select = ", ".join(_ident(c) for c in cols)
            frame = source.frame(f"SELECT {select} FROM {source.sub}")

        self._run_frame(frame, label, f"{kind}:{col}", idxs, is_query, clean_rows=clean_rows, head_source=source)


def _table_plan(spec: ExpectationSpec) -> tuple[str, str]:
    t = spec.type
    if t in ROW_COUNT_TYPES:
        return ("row_count", "")
    if t in SCHEMA_TYPES and spec.scope == "table" and "row_condition" not in spec.kwargs:
        if t in ("expect_column_values_to_be_of_type", "expect_column_values_to_be_in_type_list"):
            return ("projection", "")  # row-level on object columns: needs the values
        return ("schema", "")
    if "row_condition" in spec.kwargs:
        return ("projection", "")
    col = spec.kwargs.get("column")
    if t in UNIQUE_TYPES and spec.columns:
        return ("dupes", json.dumps(list(spec.columns)))
    if t in MINMAX_TYPES and isinstance(col, str):
        return ("minmax", col)
    if t in DISTINCT_TYPES and isinstance(col, str):
        return ("distinct", col)
    return ("projection", "")


class _Source:
    """A SELECT on the connection, read as Arrow batches / frames."""

    def __init__(self, con, sql: str, params: Mapping[str, Any]):
        self.con = con
        self.sql = sql
        self.sub = f"({sql}) AS _src"
        self.params = params
        self._columns: list[str] | None = None
        self._count: int | None = None

    def _rel(self, sql: str, params: Mapping[str, Any] | None = None):
        return self.con.sql(sql, params=bind_params(sql, self.params if params is None else params))

    @property
    def columns(self) -> list[str]:
        if self._columns is None:
            self._columns = list(self._rel(f"SELECT * FROM {self.sub} LIMIT 0").columns)
        return self._columns

    def count(self) -> int:
        if self._count is None:
            self._count = int(self._rel(f"SELECT count(*) AS n FROM {self.sub}").fetchall()[0][0])
        return self._count

    def frame(self, sql: str, params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        return _to_pandas(_arrow_table(self._rel(sql, params)))

    def head(self, n: int) -> list[dict[str, Any]]:
        return _records(self.frame(f"SELECT * FROM {self.sub} LIMIT {int(n)}"))

    def frames(self, batch_rows: int) -> Iterator[tuple[pd.DataFrame, bool]]:
        """Frames of exactly ``batch_rows`` rows (the last shorter); one empty frame for a zero-row result.

        Yields ``(frame, real)``; ``real`` is False for the schema-only frame of an empty result.
        """
        import pyarrow as pa

        reader = _arrow_reader(self._rel(self.sql), batch_rows)
        schema = reader.schema
        buf: list[pa.RecordBatch] = []
        buffered = 0
        produced = False
        try:
            for rb in reader:
                if rb.num_rows == 0:
                    continue
                buf.append(rb)
                buffered += rb.num_rows
                while buffered >= batch_rows:
                    table = pa.Table.from_batches(buf, schema=schema)
                    head, rest = table.slice(0, batch_rows), table.slice(batch_rows)
                    buf, buffered = rest.to_batches(), rest.num_rows
                    produced = True
                    yield _to_pandas(head), True
                    del head, table
            if buffered:
                produced = True
                yield _to_pandas(pa.Table.from_batches(buf, schema=schema)), True
            if not produced:
                yield _to_pandas(schema.empty_table()), False
        finally:
            close = getattr(reader, "close", None)
            if close is not None:
                close()


def _arrow_reader(rel, batch_rows: int):
    fn = getattr(rel, "to_arrow_reader", None)  # duckdb >= 1.4 / 2.x
    if fn is not None:
        return fn(batch_rows)
    return rel.fetch_record_batch(batch_rows)  # older duckdb


def _arrow_table(rel):
    fn = getattr(rel, "to_arrow_table", None)
    if fn is not None:
        return fn()
    return rel.arrow()


def _to_pandas(table: pa.Table) -> pd.DataFrame:
    """Arrow -> pandas, with the types GX's pandas metrics handle fast and correctly.

    * DECIMAL / HUGEINT -> float64 (GX's numeric metrics do not take Decimal objects well);
    * 8/16/32-bit and unsigned integers -> int64, float32 -> float64: GX's ``values_between`` only vectorises
      ``int64``/``float64`` columns and falls back to a Python call per value otherwise (~3 us/row);
    * TIMESTAMP -> nanosecond precision when every value fits (GX vectorises only ``datetime64[ns]``);
      DATE stays ``datetime.date`` objects so it compares with YAML dates.
    """
    import pyarrow as pa

    fields = []
    changed = False
    for f in table.schema:
        t = f.type
        if pa.types.is_decimal(t) or pa.types.is_float32(t) or pa.types.is_float16(t):
            t = pa.float64()
        elif pa.types.is_integer(t) and t != pa.int64():
            t = pa.float64() if t == pa.uint64() else pa.int64()
        elif pa.types.is_timestamp(t) and t.unit != "ns":
            t = pa.timestamp("ns", tz=t.tz)
        if t != f.type:
            changed = True
        fields.append(pa.field(f.name, t, f.nullable))
    if changed:
        try:
            table = table.cast(pa.schema(fields))
        except (pa.ArrowInvalid, OverflowError):  # e.g. 9999-12-31 timestamps do not fit in ns
            safe = [
                pa.field(f.name, f.type, f.nullable) if pa.types.is_timestamp(f.type) else g
                for f, g in zip(table.schema, fields)
            ]
            table = table.cast(pa.schema(safe))
    return table.to_pandas(split_blocks=True)


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [{str(k): _jsonable(v) for k, v in row.items()} for row in df.to_dict("records")]


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ==============================================================================================================
# merging per-batch GX results


class _Accumulator:
    """Merges one expectation's GX results over the frames it was validated on."""

    def __init__(self, spec: ExpectationSpec, sample_size: int):
        self.spec = spec
        self.sample_size = sample_size
        self.frames = 0
        self.all_success = True
        self.exceptions: list[str] = []
        self.results: list[dict[str, Any]] = []  # JSON-safe GX result dicts (first one kept whole)
        self.element = 0
        self.missing = 0
        self.unexpected = 0
        self.has_map = False
        self.has_missing = False
        self.partial_values: list[Any] = []
        self.partial_index: list[int] = []
        self.sample: list[Any] = []
        self.observed: list[Any] = []
        self.first_raw: dict[str, Any] | None = None
        self.first_success: bool | None = None
        self.clean_rows = 0

    def add(self, er: Any, frame: pd.DataFrame, offset: int, sample_cols: list[str]) -> None:
        self.frames += 1
        result = dict(er.result or {})
        success = bool(er.success)
        exc = _exception_message(er.exception_info)
        if exc:
            self.exceptions.append(exc)
            success = False
        self.all_success &= success
        if self.first_raw is None:
            self.first_raw = result
            self.first_success = success
        if "observed_value" in result:
            self.observed.append(_jsonable(result["observed_value"]))
        if "unexpected_count" in result and "element_count" in result:
            self.has_map = True
            self.element += int(result.get("element_count") or 0)
            self.unexpected += int(result.get("unexpected_count") or 0)
            if "missing_count" in result:
                self.has_missing = True
                self.missing += int(result.get("missing_count") or 0)
        elif "unexpected_count" in result:  # e.g. distinct values not in set
            self.unexpected += int(result.get("unexpected_count") or 0)
        room = self.sample_size - len(self.partial_values)
        if room > 0:
            self.partial_values += [_jsonable(v) for v in (result.get("partial_unexpected_list") or [])[:room]]
        idx = [i for i in (result.get("partial_unexpected_index_list") or []) if isinstance(i, (int,))]
        room = self.sample_size - len(self.sample)
        if idx and room > 0 and sample_cols:
            take = idx[:room]
            rows = frame.iloc[take][sample_cols].to_dict("records")
            self.sample += [{k: _jsonable(v) for k, v in row.items()} for row in rows]
        if room > 0:
            self.partial_index += [offset + i for i in idx[: self.sample_size - len(self.partial_index)]]

    def add_clean_rows(self, n: int) -> None:
        """Count ``n`` rows that were not given to GX because they cannot be unexpected (nor missing)."""
        if self.has_map and n > 0:
            self.element += n
            self.clean_rows += n

    def add_carried_rows(self, n: int, nulls: int) -> None:
        """Count ``n`` rows whose verdict carries over from an earlier run (they passed; ``nulls`` of them are
        NULL in the rule's column, which GX counts as missing where the rule reports missing values)."""
        if self.has_map and n > 0:
            self.element += n
            self.clean_rows += n
            if self.has_missing:
                self.missing += nulls

    def outcome(self, suite: SuiteSpec) -> ExpectationOutcome:
        spec = self.spec
        exception = "; ".join(dict.fromkeys(self.exceptions)) or None
        if self.frames == 1 and not self.clean_rows and self.first_raw is not None:
            result = _jsonable(self.first_raw)
            success = bool(self.first_success)
        else:
            result, success = self._merged()
        element = result.get("element_count") if self.has_map else None
        unexpected = result.get("unexpected_count") if "unexpected_count" in result else None
        missing = result.get("missing_count")
        observed = result.get("observed_value") if "observed_value" in result else unexpected
        sample = self.sample or list(self.partial_values)
        return ExpectationOutcome(
            suite=suite.name,
            table=suite.table,
            name=spec.name,
            expectation=spec.type,
            kwargs=_jsonable(spec.kwargs),
            severity=spec.severity,
            description=spec.description,
            scope=spec.scope,
            query=spec.query,
            success=success and exception is None,
            observed_value=observed,
            element_count=element,
            unexpected_count=unexpected,
            unexpected_percent=result.get("unexpected_percent") if self.has_map else None,
            missing_count=missing,
            sample=sample[: self.sample_size],
            exception=exception,
            frames=self.frames,
            result=result,
        )

    def _merged(self) -> tuple[dict[str, Any], bool]:
        spec = self.spec
        if self.exceptions:
            success = False
        elif self.has_map:
            considered = self.element - (self.missing if self.has_missing else 0)
            if considered <= 0:
                success = True  # vacuously true, as in GX
            else:
                mostly = float(spec.kwargs.get("mostly", 1.0) or 1.0)
                success = (considered - self.unexpected) / considered >= mostly
        else:
            success = self.all_success
        result: dict[str, Any] = {}
        if self.has_map:
            considered = self.element - (self.missing if self.has_missing else 0)
            pct = (self.unexpected / considered * 100.0) if considered > 0 else None
            result.update(
                element_count=self.element,
                unexpected_count=self.unexpected,
                unexpected_percent=pct,
                partial_unexpected_list=self.partial_values,
            )
            if self.has_missing:
                result.update(
                    missing_count=self.missing,
                    missing_percent=(self.missing / self.element * 100.0) if self.element else None,
                    unexpected_percent_total=(self.unexpected / self.element * 100.0) if self.element else None,
                    unexpected_percent_nonmissing=pct,
                )
            counts = Counter(json.dumps(v, sort_keys=True, default=str) for v in self.partial_values)
            result["partial_unexpected_counts"] = [
                {"value": json.loads(k), "count": n} for k, n in counts.most_common(self.sample_size)
            ]
            result["partial_unexpected_index_list"] = self.partial_index
        if self.observed:
            result["observed_value"] = _merge_observed(spec.type, self.observed)
        return result, success


def _merge_observed(etype: str, values: list[Any]) -> Any:
    if len(values) == 1:
        return values[0]
    nums = [v for v in values if isinstance(v, (int, float)) and not isinstance(v, bool)]
    if nums and len(nums) == len(values):
        if "_min_" in etype:
            return min(nums)
        if "_max_" in etype:
            return max(nums)
        if "row_count" in etype or "_sum_" in etype or "unexpected" in etype:
            return sum(nums)
    return values


def _exception_message(info: Any) -> str | None:
    """GX puts exception details either at the top level or keyed by metric id."""
    if not info:
        return None
    if isinstance(info, dict):
        if info.get("raised_exception"):
            return str(info.get("exception_message") or "exception")
        msgs = [
            str(v.get("exception_message") or "exception")
            for v in info.values()
            if isinstance(v, dict) and v.get("raised_exception")
        ]
        return "; ".join(dict.fromkeys(msgs)) or None
    return None


# ==============================================================================================================
# JSON helpers


def _jsonable(v: Any) -> Any:
    """A JSON-serialisable copy of GX/pandas/numpy values (NaN/NA/NaT -> None, dates -> ISO strings)."""
    if v is None or isinstance(v, bool):
        return v
    if isinstance(v, str):
        return str(v)
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return None if math.isnan(v) or math.isinf(v) else float(v)
    if isinstance(v, Mapping):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple, set, frozenset)):
        items = [_jsonable(x) for x in v]
        return sorted(items, key=str) if isinstance(v, (set, frozenset)) else items
    if isinstance(v, Decimal):
        return _jsonable(float(v))
    if isinstance(v, datetime):
        return v.isoformat()
    if isinstance(v, date):
        return v.isoformat()
    try:
        import numpy as np
        import pandas as pd
    except ImportError:  # pragma: no cover
        return str(v)
    if v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, np.generic):
        return _jsonable(v.item())
    if isinstance(v, np.ndarray):
        return [_jsonable(x) for x in v.tolist()]
    if isinstance(v, bytes):
        return v.hex()
    try:
        if pd.isna(v):
            return None
    except (TypeError, ValueError):
        pass
    return str(v)


def _dumps(v: Any) -> str:
    return json.dumps(_jsonable(v), ensure_ascii=False, sort_keys=True)


def build_data_docs(results: Sequence[SuiteResult], out_dir, *, run_id: str | None = None):
    """Build GX Data Docs for ``results`` under ``out_dir``; returns the site's ``index.html``.

    See :mod:`pipelines.quality.gx_docs`.
    """
    from pipelines.quality.gx_docs import build_data_docs as _build

    return _build(results, out_dir, run_id=run_id)


# silence "imported but unused" for re-exports
_ = (DEFAULT_SUITES_DIR, load_suite, load_suites, referenced_columns)
