"""Great Expectations Data Docs for the results of :func:`pipelines.quality.gx_runner.validate`.

GX's site builder renders what is in a *file* data context's stores, so :func:`build_data_docs` creates a
throw-away file context in a temporary directory, stores one GX suite and one GX suite validation result per
:class:`SuiteResult` (built from the merged per-expectation outcomes), lets GX build its static ``local_site``
and copies the site to ``out_dir`` (replacing the previous build: the docs show the last validation only).

Offline: building needs no network. Viewing GX pages pulls Bootstrap/jQuery/fonts from public CDNs; without
them the pages are unstyled and the GX index (a JavaScript table) is empty. So the build also
  * points the navbar logo at the site's own ``static/images`` copy (GX hard-codes an S3 URL with the context id),
  * adds a plain-HTML list of the validation and suite pages to ``index.html``, hidden when the CDN scripts load,
  * writes ``summary.html``: a self-contained page (inline CSS, no scripts, no external links) with every
    expectation's verdict, observed value, counts and sample.
"""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any, Sequence

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

if TYPE_CHECKING:  # pragma: no cover
    from pipelines.quality.gx_runner import SuiteResult

SITE_NAME = "local_site"
_MANAGED = ("index.html", "summary.html", "validations", "expectations", "static", ".gx_data_docs")
_S3_LOGO = re.compile(r"https://great-expectations-web-assets\.s3\.[a-z0-9-]+\.amazonaws\.com/([\w.-]+)(\?[^\"']*)?")


def build_data_docs(
    results: Sequence[SuiteResult], out_dir: str | os.PathLike[str], *, run_id: str | None = None
) -> Path:
    """Build the GX Data Docs site for ``results`` in ``out_dir``; return ``out_dir/index.html``."""
    from pipelines.quality.gx_suites import quiet_gx

    quiet_gx()
    import great_expectations as gx
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="gx_docs_") as tmp:
        site_dir = Path(tmp) / "site"
        context = gx.get_context(mode="file", project_root_dir=tmp)
        context.enable_analytics(False)
        site_config = {
            "class_name": "SiteBuilder",
            "show_how_to_buttons": False,
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder", "show_cta_footer": False},
        }
        for name in list((context.config.data_docs_sites or {}).keys()):
            context.delete_data_docs_site(name)
        context.add_data_docs_site(SITE_NAME, site_config)

        seen_suites: set[str] = set()
        for res in results:
            if res.suite not in seen_suites:
                context.suites.add_or_update(_gx_suite(gx, res))
                seen_suites.add(res.suite)
            run = RunIdentifier(run_name=run_id or "gx_runner", run_time=res.validated_at)
            key = ValidationResultIdentifier(
                expectation_suite_identifier=ExpectationSuiteIdentifier(name=res.suite),
                run_id=run,
                batch_identifier=_batch_identifier(res),
            )
            context.validation_results_store.set(key, _gx_validation_result(res, run))
        context.build_data_docs(site_names=[SITE_NAME])

        _make_offline_friendly(site_dir)
        _write_summary(site_dir / "summary.html", results, run_id)
        (site_dir / ".gx_data_docs").write_text("built by pipelines.quality.gx_docs\n", encoding="utf-8")

        for name in _MANAGED:  # replace the previous build, leave anything else in out_dir alone
            target = out_dir / name
            if target.is_dir():
                shutil.rmtree(target)
            elif target.exists():
                target.unlink()
        for item in site_dir.iterdir():
            shutil.move(str(item), out_dir / item.name)
    return out_dir / "index.html"


# --------------------------------------------------------------------------------------------------------------


def _batch_identifier(res: SuiteResult) -> str:
    ident = re.sub(r"[^A-Za-z0-9_.-]+", "_", res.table)
    if res.params:
        digest = hashlib.sha1(json.dumps(res.params, sort_keys=True, default=str).encode()).hexdigest()[:8]
        ident += f"__{digest}"
    return ident


def _notes(outcome_or_spec: Any) -> str | None:
    parts = []
    if getattr(outcome_or_spec, "description", ""):
        parts.append(outcome_or_spec.description)
    parts.append(f"severity: {outcome_or_spec.severity}; scope: {outcome_or_spec.scope}")
    if getattr(outcome_or_spec, "query", None):
        parts.append(f"SQL-assisted, validated on: {outcome_or_spec.query}")
    return "\n\n".join(parts)


def _gx_suite(gx: Any, res: SuiteResult) -> Any:
    from pipelines.quality.gx_runner import _SEVERITY_TO_GX
    from pipelines.quality.gx_suites import resolve_type

    exps = []
    for o in res.results:
        _, cls = resolve_type(o.expectation)
        exps.append(
            cls(
                **o.kwargs,
                meta={"name": o.name, "scope": o.scope, **({"query": o.query} if o.query else {})},
                severity=_SEVERITY_TO_GX[o.severity],
                notes=_notes(o),
            )
        )
    meta = {"table": res.table}
    if res.spec is not None and res.spec.description:
        meta["notes"] = {"format": "markdown", "content": [res.spec.description]}
    return gx.ExpectationSuite(name=res.suite, expectations=exps, meta=meta)


def _gx_validation_result(res: SuiteResult, run: Any) -> Any:
    import great_expectations as gx
    from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    from pipelines.quality.gx_runner import _SEVERITY_TO_GX

    evrs = []
    for o in res.results:
        cfg = ExpectationConfiguration(
            type=o.expectation,
            kwargs=dict(o.kwargs),
            meta={"name": o.name, "scope": o.scope, **({"query": o.query} if o.query else {})},
            notes=_notes(o),
            severity=_SEVERITY_TO_GX[o.severity],
        )
        result = dict(o.result)
        result.pop("partial_unexpected_index_list", None)
        if "unexpected_count" in result and not {"unexpected_percent", "element_count"} <= set(result):
            # distinct-values rules report unexpected values without element counts, which GX's own renderers
            # cannot draw (KeyError 'unexpected_percent' / 'unexpected_count'): show them as the observed value
            bad = result.get("partial_unexpected_list") or []
            observed = result.get("observed_value")
            result = {"observed_value": observed if observed is not None else f"unexpected: {bad}"}
        evrs.append(
            ExpectationValidationResult(
                success=o.success,
                expectation_config=cfg,
                result=result,
                exception_info={
                    "raised_exception": bool(o.exception),
                    "exception_message": o.exception,
                    "exception_traceback": o.exception or "",  # the renderer needs a string
                },
            )
        )
    n = len(res.results)
    ok = sum(1 for o in res.results if o.success)
    relation = res.spec.relation_sql if res.spec is not None else f"SELECT * FROM {res.table}"
    meta = {
        "great_expectations_version": gx.__version__,
        "expectation_suite_name": res.suite,
        "run_id": run,
        "validation_time": res.validated_at.strftime("%Y%m%dT%H%M%S.%fZ"),
        "batch_spec": {
            "data_asset_name": res.table,
            "relation": relation,
            "rows_validated": res.rows_validated,
            "batches": res.batches,
        },
        "batch_markers": {"rows_validated": res.rows_validated, "seconds": round(res.seconds, 3)},
        "batch_parameters": res.params or None,
        "active_batch_definition": {
            "datasource_name": "duckdb",
            "data_connector_name": "gx_runner",
            "data_asset_name": res.table,
            "batch_identifiers": {k: str(v) for k, v in (res.params or {}).items()},
        },
    }
    return ExpectationSuiteValidationResult(
        success=res.success,
        results=evrs,
        suite_name=res.suite,
        statistics={
            "evaluated_expectations": n,
            "successful_expectations": ok,
            "unsuccessful_expectations": n - ok,
            "success_percent": (ok / n * 100.0) if n else None,
        },
        meta=meta,
    )


# --------------------------------------------------------------------------------------------------------------
# offline touches


def _make_offline_friendly(site_dir: Path) -> None:
    for page in site_dir.rglob("*.html"):
        depth = len(page.relative_to(site_dir).parts) - 1
        prefix = "../" * depth
        text = page.read_text(encoding="utf-8")
        text = _S3_LOGO.sub(lambda m: f"{prefix}static/images/{m.group(1)}", text)
        page.write_text(text, encoding="utf-8")
    index = site_dir / "index.html"
    if not index.exists():
        return
    links = []
    for sub, label in (("validations", "Validation results"), ("expectations", "Expectation suites")):
        pages = sorted((site_dir / sub).rglob("*.html")) if (site_dir / sub).is_dir() else []
        items = "".join(
            f'<li><a href="{html.escape(p.relative_to(site_dir).as_posix())}">'
            f"{html.escape(p.relative_to(site_dir / sub).as_posix())}</a></li>"
            for p in pages
        )
        links.append(f"<h5>{label}</h5><ul>{items}</ul>")
    block = (
        '<div id="gx-offline-links" style="margin:1em 3em">'
        '<p><a href="summary.html"><b>Self-contained summary (works offline)</b></a></p>'
        + "".join(links)
        + "</div><script>window.addEventListener('load',function(){"
        "if(window.jQuery&&window.jQuery.fn&&window.jQuery.fn.bootstrapTable){"
        "var e=document.getElementById('gx-offline-links');e.style.display='none';}});</script>"
    )
    text = index.read_text(encoding="utf-8")
    text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + block, text, count=1)
    index.write_text(text, encoding="utf-8")


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:2em;color:#222}
h1{font-size:1.5em}h2{font-size:1.2em;margin-top:2em}
table{border-collapse:collapse;width:100%;font-size:.9em}
th,td{border:1px solid #ccc;padding:.3em .5em;text-align:left;vertical-align:top}
th{background:#f3f3f3}
.pass{color:#1a7f37;font-weight:600}.fail{color:#cf222e;font-weight:600}.warn{color:#9a6700;font-weight:600}
code,pre{font-family:ui-monospace,Menlo,Consolas,monospace;font-size:.85em;white-space:pre-wrap;margin:0}
.muted{color:#666}
"""


def _write_summary(path: Path, results: Sequence[SuiteResult], run_id: str | None) -> None:
    e = html.escape
    parts = [
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Data quality summary</title>",
        f"<style>{_CSS}</style></head><body>",
        f"<h1>Data quality summary{(' - run ' + e(run_id)) if run_id else ''}</h1>",
        "<table><tr><th>Suite</th><th>Table</th><th>Status</th><th>Failed errors</th><th>Failed warnings</th>"
        "<th>Rows</th><th>Batches</th><th>Seconds</th><th>Validated at (UTC)</th></tr>",
    ]
    for r in results:
        status = "<span class='pass'>PASS</span>" if r.success else "<span class='fail'>FAIL</span>"
        parts.append(
            f"<tr><td><a href='#{e(r.suite)}'>{e(r.suite)}</a></td><td>{e(r.table)}</td><td>{status}</td>"
            f"<td>{len(r.failed_errors)}</td><td>{len(r.failed_warnings)}</td><td>{r.rows_validated}</td>"
            f"<td>{r.batches}</td><td>{r.seconds:.2f}</td><td>{e(r.validated_at.isoformat())}</td></tr>"
        )
    parts.append("</table>")
    for r in results:
        parts.append(f"<h2 id='{e(r.suite)}'>{e(r.suite)} <span class='muted'>({e(r.table)})</span></h2>")
        if r.spec is not None and r.spec.description:
            parts.append(f"<p>{e(r.spec.description)}</p>")
        if r.params:
            parts.append(f"<p class='muted'>params: <code>{e(json.dumps(r.params, default=str))}</code></p>")
        parts.append(
            "<table><tr><th>Status</th><th>Severity</th><th>Expectation</th><th>Kwargs</th><th>Observed</th>"
            "<th>Elements</th><th>Unexpected</th><th>%</th><th>Sample</th></tr>"
        )
        for o in r.results:
            if o.success:
                st = "<span class='pass'>pass</span>"
            else:
                st = "<span class='fail'>FAIL</span>" if o.severity == "error" else "<span class='warn'>warn</span>"
            desc = f"<br><span class='muted'>{e(o.description)}</span>" if o.description else ""
            query = f"<br><span class='muted'>query:</span><pre>{e(o.query)}</pre>" if o.query else ""
            observed = {"exception": o.exception} if o.exception else o.observed_value
            pct = "" if o.unexpected_percent is None else f"{o.unexpected_percent:.3g}"
            parts.append(
                f"<tr><td>{st}</td><td>{e(o.severity)}</td><td><b>{e(o.name)}</b><br>"
                f"<code>{e(o.expectation)}</code>{desc}</td>"
                f"<td><pre>{e(json.dumps(o.kwargs, ensure_ascii=False, default=str))}</pre>{query}</td>"
                f"<td><pre>{e(_short(observed))}</pre></td>"
                f"<td>{'' if o.element_count is None else o.element_count}</td>"
                f"<td>{'' if o.unexpected_count is None else o.unexpected_count}</td><td>{pct}</td>"
                f"<td><pre>{e(_short(o.sample))}</pre></td></tr>"
            )
        parts.append("</table>")
    parts.append("</body></html>")
    path.write_text("".join(parts), encoding="utf-8")


def _short(v: Any, limit: int = 2000) -> str:
    if v is None or (isinstance(v, list) and not v):
        return ""
    s = json.dumps(v, ensure_ascii=False, default=str, indent=1)
    return s if len(s) <= limit else s[:limit] + " ..."
