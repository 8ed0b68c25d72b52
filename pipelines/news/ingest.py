"""Ingest news articles and the claims they state as ONE batch, with every file accounted for (no Dagster import).

Steps: hash every landing file -> skip hashes already in audit.news_files (re-ingesting is a no-op) -> archive new
files immutably (content-addressed, read-only) -> read articles from the archived copy (articles.py) -> drop
articles already loaded (same normalized url or same normalized text) and duplicates within the batch -> extract
claims of the new articles (extract.py) -> append raw.news_articles, raw.news_claims and one audit.news_files row
per file in one transaction. A file that cannot be read is recorded as rejected with the reader's reason.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

import duckdb
import pyarrow as pa

from pipelines.landing import ContentIds, archive_bytes, landing_files, sha256_file
from pipelines.landing import refusal as landing_refusal
from pipelines.news.articles import Article, ArticleReadError, dedupe, read_articles
from pipelines.news.extract import extract_article
from pipelines.news.provinces import detect_province

NEWS_SUFFIXES = {".txt", ".jsonl", ".html", ".htm"}
MAX_FILE_BYTES = 50_000_000  # a news file is a few kilobytes; anything this big is not an article file

DDL = """
create schema if not exists raw;
create schema if not exists audit;
create table if not exists raw.news_articles (
    article_id varchar primary key, file_id varchar, source_file varchar, source_index integer, url varchar,
    title varchar, published date, province varchar, province_code varchar, text varchar,
    ingested_at timestamptz, ingest_batch_id varchar);
create table if not exists raw.news_claims (
    claim_id varchar primary key, article_id varchar, metric varchar, value double, denominator double,
    unit_type varchar, qualifier varchar, as_of varchar, as_of_date date, evidence varchar,
    start_offset integer, end_offset integer, ingest_batch_id varchar);
create table if not exists audit.news_files (
    file_id varchar primary key, file_name varchar, archive_path varchar, status varchar,
    articles_received integer, articles_loaded integer, articles_duplicate integer, claims_extracted integer,
    reason varchar, ingested_at timestamptz, ingest_batch_id varchar, landing_path varchar, size_bytes bigint,
    format varchar);
"""

ARTICLE_SCHEMA = pa.schema([
    ("article_id", pa.string()), ("file_id", pa.string()), ("source_file", pa.string()),
    ("source_index", pa.int32()), ("url", pa.string()), ("title", pa.string()), ("published", pa.date32()),
    ("province", pa.string()), ("province_code", pa.string()), ("text", pa.string()),
    ("ingested_at", pa.timestamp("us", tz="UTC")), ("ingest_batch_id", pa.string()),
])
CLAIM_SCHEMA = pa.schema([
    ("claim_id", pa.string()), ("article_id", pa.string()), ("metric", pa.string()), ("value", pa.float64()),
    ("denominator", pa.float64()), ("unit_type", pa.string()), ("qualifier", pa.string()), ("as_of", pa.string()),
    ("as_of_date", pa.date32()), ("evidence", pa.string()), ("start_offset", pa.int32()),
    ("end_offset", pa.int32()), ("ingest_batch_id", pa.string()),
])
FILE_SCHEMA = pa.schema([
    ("file_id", pa.string()), ("file_name", pa.string()), ("archive_path", pa.string()), ("status", pa.string()),
    ("articles_received", pa.int32()), ("articles_loaded", pa.int32()), ("articles_duplicate", pa.int32()),
    ("claims_extracted", pa.int32()), ("reason", pa.string()), ("ingested_at", pa.timestamp("us", tz="UTC")),
    ("ingest_batch_id", pa.string()), ("landing_path", pa.string()), ("size_bytes", pa.int64()),
    ("format", pa.string()),
])


@dataclass
class NewsFile:
    """One new landing file on its way through the batch."""

    path: Path
    file_id: str
    size: int
    archive_path: Path | None = None
    error: str | None = None
    articles: list[Article] = field(default_factory=list)
    loaded: list[Article] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)  # one description per duplicate article
    claims: list[dict] = field(default_factory=list)


@dataclass
class NewsBatchResult:
    """What one news batch did, for asset metadata and logs."""

    batch_id: str
    files_seen: int = 0
    files_new: int = 0
    files_accepted: int = 0
    files_rejected: int = 0
    articles_received: int = 0
    articles_loaded: int = 0
    articles_duplicate: int = 0
    claims_extracted: int = 0
    rejected: dict[str, str] = field(default_factory=dict)  # file name -> reason


def ensure_tables(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(DDL)


def archive_file(archive_root: Path, source: Path, file_id: str) -> Path:
    """Copy the file once to archive/news/<aa>/<sha256><suffix>, read-only; the copy is what gets read."""
    return archive_bytes(archive_root, "news", file_id, source.suffix, source.read_bytes())


_AS_OF = re.compile(r"^(\d{4})-(\d{2})(?:-(\d{2}))?$")


def as_of_date(as_of: str | None) -> date | None:
    """'2025-06-28' -> that day; '2025-06' -> 2025-06-01; anything else -> None."""
    m = _AS_OF.match(as_of or "")
    if not m:
        return None
    try:
        return date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
    except ValueError:
        return None


def claim_id(article_id: str, claim: dict) -> str:
    """Stable id: the same article text always gives the same claim ids."""
    return f"{article_id}:{claim['start']}:{claim['end']}:{claim['metric']}"


def _existing_articles(con: duckdb.DuckDBPyConnection) -> list[Article]:
    """Stubs of the loaded articles (url and text hash are all `dedupe` looks at; source_file names the origin)."""
    rows = con.execute("select article_id, url, source_file from raw.news_articles "
                       "order by ingested_at, article_id").fetchall()
    return [Article(source, 0, url, None, None, "", article_id) for article_id, url, source in rows]


def _mark_duplicates(files: list[NewsFile], existing: list[Article]) -> None:
    """Keep the first occurrence of each article (loaded earlier, else first in batch order); note the others."""
    candidates = [a for f in files for a in f.articles]
    kept_ids = {id(a) for a in dedupe(existing + candidates)}
    origin = {a.text_hash: Path(a.source_file).name for a in existing}  # text hash -> file it was loaded from
    for f in files:
        for article in f.articles:
            if id(article) in kept_ids:
                f.loaded.append(article)
                origin[article.text_hash] = f.path.name
                continue
            where = f"line {article.source_index}" if article.source_index else "the article"
            why = (f"same text as article {article.text_hash[:12]} from {origin[article.text_hash]}"
                   if article.text_hash in origin else f"same url as an article loaded before ({article.url})")
            f.duplicates.append(f"{where}: {why}")


def _extract(f: NewsFile) -> None:
    """Claims of the file's new articles; an extractor crash rejects the file rather than half-loading it."""
    with_index = f.path.suffix.lower() == ".jsonl"
    try:
        for article in f.loaded:
            for claim in extract_article(f.path.name, article, with_index):
                f.claims.append({**claim, "article_id": article.text_hash})
    except Exception as exc:  # noqa: BLE001 - any extractor failure is recorded as the file's reason
        f.error = f"claim extraction failed: {type(exc).__name__}: {exc}"
        f.claims = []


def _article_table(files: list[NewsFile], now: datetime, batch_id: str) -> pa.Table:
    rows = []
    for f in files:
        if f.error:
            continue
        for a in f.loaded:
            province, code = detect_province(a.title, a.text, a.url)
            rows.append({"article_id": a.text_hash, "file_id": f.file_id, "source_file": f.path.name,
                         "source_index": a.source_index, "url": a.url, "title": a.title, "published": a.published,
                         "province": province, "province_code": code, "text": a.text, "ingested_at": now,
                         "ingest_batch_id": batch_id})
    return pa.Table.from_pylist(rows, schema=ARTICLE_SCHEMA)


def _claim_table(files: list[NewsFile], batch_id: str) -> pa.Table:
    rows, seen = [], set()
    for f in files:
        if f.error:
            continue
        for c in f.claims:
            cid = claim_id(c["article_id"], c)
            if cid in seen:
                continue  # the extractor never repeats a span and metric; guard the key anyway
            seen.add(cid)
            rows.append({"claim_id": cid, "article_id": c["article_id"], "metric": c["metric"],
                         "value": None if c["value"] is None else float(c["value"]),
                         "denominator": None if c["denominator"] is None else float(c["denominator"]),
                         "unit_type": c["unit_type"], "qualifier": c["qualifier"], "as_of": c["as_of"],
                         "as_of_date": as_of_date(c["as_of"]), "evidence": c["evidence"],
                         "start_offset": c["start"], "end_offset": c["end"], "ingest_batch_id": batch_id})
    return pa.Table.from_pylist(rows, schema=CLAIM_SCHEMA)


def _file_table(files: list[NewsFile], now: datetime, batch_id: str) -> pa.Table:
    rows = []
    for f in files:
        rejected = f.error is not None
        reason = f.error if rejected else (
            f"{len(f.duplicates)} duplicate article(s) not loaded: " + "; ".join(f.duplicates)
            if f.duplicates else None)
        rows.append({"file_id": f.file_id, "file_name": f.path.name,
                     "archive_path": str(f.archive_path) if f.archive_path else None,
                     "status": "rejected" if rejected else "accepted",
                     "articles_received": len(f.articles), "articles_loaded": 0 if rejected else len(f.loaded),
                     "articles_duplicate": len(f.duplicates), "claims_extracted": len(f.claims),
                     "reason": reason, "ingested_at": now, "ingest_batch_id": batch_id,
                     "landing_path": str(f.path), "size_bytes": f.size,
                     "format": f.path.suffix.lower().lstrip(".") or None})
    return pa.Table.from_pylist(rows, schema=FILE_SCHEMA)


def _insert(con: duckdb.DuckDBPyConnection, table_name: str, rows: pa.Table) -> None:
    """Append an Arrow table; `table_name` is one of our constants, values travel as Arrow."""
    con.register("_news_incoming", rows)
    try:
        con.execute(f"insert into {table_name} by name select * from _news_incoming")
    finally:
        con.unregister("_news_incoming")


def ingest_news(con: duckdb.DuckDBPyConnection, landing: Path, archive_root: Path,
                now: datetime | None = None) -> NewsBatchResult:
    """Ingest every new news file under `landing` as one batch; returns counts. Idempotent for unchanged files."""
    ensure_tables(con)
    now = now or datetime.now(timezone.utc)
    batch = NewsBatchResult(batch_id=f"news-{now.strftime('%Y%m%dT%H%M%S')}-{uuid.uuid4().hex[:8]}")
    known = {r[0] for r in con.execute("select file_id from audit.news_files").fetchall()}

    files: list[NewsFile] = []
    content_ids = ContentIds(con, "news")
    for path in landing_files(landing):
        batch.files_seen += 1
        refused = landing_refusal(path)  # a symbolic link: never followed
        st = path.lstat() if refused else path.stat()
        size = st.st_size
        if refused or size > MAX_FILE_BYTES:
            # Never read an oversized file; its id stands for name, size and time instead of content.
            file_id = ("refused-" if refused else "oversize-") + hashlib.sha256(
                f"{path.name}:{size}:{path.lstat().st_mtime_ns}".encode()).hexdigest()
        else:
            file_id = content_ids.recorded(path, st)
            if file_id not in known:  # not recorded, or recorded but not ingested: hash the content now
                file_id = sha256_file(path)
            content_ids.remember(path, st, file_id)
        if file_id in known:
            continue  # the same bytes were ingested before (or appear twice in this batch): a no-op
        known.add(file_id)
        files.append(NewsFile(path, file_id, size, error=refused))
    batch.files_new = len(files)
    content_ids.save(con)
    if not files:
        return batch

    for f in files:
        if f.error:
            continue
        if f.size > MAX_FILE_BYTES:
            f.error = f"file is {f.size:,} bytes, over the {MAX_FILE_BYTES:,}-byte limit for a news file"
            continue
        f.archive_path = archive_file(archive_root, f.path, f.file_id)
        if f.path.suffix.lower() not in NEWS_SUFFIXES:
            f.error = f"unsupported file type {f.path.suffix or '(none)'!r}: news files are .txt, .jsonl or .html"
            continue
        try:
            f.articles = read_articles(f.archive_path)
        except ArticleReadError as exc:
            f.error = exc.reason
    existing = _existing_articles(con)
    while True:  # a file whose extraction fails must not shadow its articles' copies in later files: redo
        readable = [f for f in files if f.error is None]
        for f in readable:
            f.loaded, f.duplicates, f.claims = [], [], []
        _mark_duplicates(readable, existing)
        for f in readable:
            _extract(f)
        if all(f.error is None for f in readable):
            break

    articles = _article_table(files, now, batch.batch_id)
    claims = _claim_table(files, batch.batch_id)
    file_rows = _file_table(files, now, batch.batch_id)
    con.execute("begin transaction")
    try:
        _insert(con, "raw.news_articles", articles)
        _insert(con, "raw.news_claims", claims)
        _insert(con, "audit.news_files", file_rows)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise

    for f in files:
        batch.articles_received += len(f.articles)
        batch.articles_duplicate += len(f.duplicates)
        if f.error:
            batch.files_rejected += 1
            batch.rejected[f.path.name] = f.error
        else:
            batch.files_accepted += 1
            batch.articles_loaded += len(f.loaded)
    batch.claims_extracted = claims.num_rows
    return batch
