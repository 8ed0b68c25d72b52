"""Extract claims from news files: `python -m pipelines.news.extract FILE...` prints one JSON object per claim.

Keys, in order: file, province, province_code, as_of, metric, value, denominator, unit_type, qualifier,
evidence, start, end; .jsonl inputs add `index` (the line number). An unreadable file is reported on stderr
(file and reason), the other files are still processed, and the exit code is 1 at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from pipelines.news.articles import Article, ArticleReadError, read_articles
from pipelines.news.claims import Claim, extract_claims
from pipelines.news.provinces import detect_province


def _number(value: float | None) -> int | float | None:
    """JSON-friendly number: 241.0 -> 241, 97.9 stays 97.9."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else value


def claim_row(path: str, article: Article, province: str | None, code: str | None, claim: Claim,
              with_index: bool) -> dict:
    """One output record for a claim."""
    row = {
        "file": path,
        "province": province,
        "province_code": code,
        "as_of": claim.as_of,
        "metric": claim.metric,
        "value": _number(claim.value),
        "denominator": _number(claim.denominator),
        "unit_type": claim.unit_type,
        "qualifier": claim.qualifier,
        "evidence": claim.evidence,
        "start": claim.start,
        "end": claim.end,
    }
    if with_index:
        row["index"] = article.source_index
    return row


def extract_article(path: str, article: Article, with_index: bool = False) -> list[dict]:
    """Province detection plus claim extraction for one article, as output records."""
    province, code = detect_province(article.title, article.text, article.url)
    return [claim_row(path, article, province, code, c, with_index) for c in extract_claims(article, code)]


def extract_file(path: str | Path) -> list[dict]:
    """All claim records of one .txt/.jsonl/.html file; raises ArticleReadError for an unreadable file."""
    path_str = str(path)
    with_index = Path(path).suffix.lower() == ".jsonl"
    rows: list[dict] = []
    for article in read_articles(path):
        rows.extend(extract_article(path_str, article, with_index))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.news.extract",
                                     description="Extract staffing/facility claims from news files as JSON lines.")
    parser.add_argument("files", nargs="+", metavar="FILE", help=".txt, .jsonl or .html news files")
    args = parser.parse_args(argv)
    failed = 0
    out = sys.stdout
    for name in args.files:
        try:
            rows = extract_file(name)
        except ArticleReadError as exc:
            print(f"error: {exc.path}: {exc.reason}", file=sys.stderr)
            failed += 1
            continue
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
    if failed:
        print(f"{failed} of {len(args.files)} file(s) could not be read", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
