"""Score the claim extractor against hand-written gold: `python -m pipelines.news.evaluate [DIR]`.

DIR (default tests/fixtures/news) holds the development articles; DIR/heldout holds articles written and
annotated before the rules were tuned, never used for tuning. Each article file `X.txt|.html|.jsonl` has a
`X.gold.json`: {"province", "province_code", "claims": [{metric, value, denominator, unit_type, qualifier,
as_of, evidence}]}, or for .jsonl {"articles": [{"index": line, "province", ..., "claims": [...]}]}.

A predicted claim matches a gold claim when metric, value and denominator are equal and the spans overlap (the
gold span is where its evidence first occurs in the article text). Reported: precision, recall and F1 per
metric and overall, province accuracy (name and code), and as-of accuracy over matched claims.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from pipelines.news.articles import Article, read_articles
from pipelines.news.claims import Claim, extract_claims
from pipelines.news.provinces import detect_province

ARTICLE_SUFFIXES = (".txt", ".jsonl", ".html", ".htm")
DEFAULT_DIR = Path("tests/fixtures/news")


@dataclass
class Score:
    """True positives, false positives, false negatives."""

    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """Evaluation results for one set of articles."""

    articles: int = 0
    per_metric: dict[str, Score] = field(default_factory=dict)
    overall: Score = field(default_factory=Score)
    province_correct: int = 0
    as_of_correct: int = 0
    as_of_total: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def province_accuracy(self) -> float:
        return self.province_correct / self.articles if self.articles else 0.0

    @property
    def as_of_accuracy(self) -> float:
        return self.as_of_correct / self.as_of_total if self.as_of_total else 0.0


@dataclass(frozen=True)
class GoldClaim:
    metric: str
    value: float
    denominator: float | None
    as_of: str | None
    evidence: str
    start: int
    end: int


def gold_path(article_path: Path) -> Path:
    return article_path.with_name(article_path.stem + ".gold.json")


def corpus_files(directory: Path) -> list[Path]:
    """Article files in directory (not recursive) that have a gold file."""
    return sorted(p for p in directory.iterdir()
                  if p.suffix.lower() in ARTICLE_SUFFIXES and gold_path(p).exists())


def load_gold(article_path: Path) -> dict[int, dict]:
    """Gold records keyed by source_index (0 for .txt/.html)."""
    data = json.loads(gold_path(article_path).read_text(encoding="utf-8"))
    if "articles" in data:
        return {int(a["index"]): a for a in data["articles"]}
    return {0: data}


def locate(article: Article, gold: dict) -> list[GoldClaim]:
    """Gold claims with their evidence located in the article text (first occurrence)."""
    located = []
    for c in gold["claims"]:
        start = article.text.find(c["evidence"])
        if start < 0:
            raise ValueError(f"{article.source_file}#{article.source_index}: evidence not in text: {c['evidence']!r}")
        located.append(GoldClaim(c["metric"], float(c["value"]),
                                 None if c.get("denominator") is None else float(c["denominator"]),
                                 c.get("as_of"), c["evidence"], start, start + len(c["evidence"])))
    return located


def _matches(g: GoldClaim, p: Claim) -> bool:
    same_den = (g.denominator is None and p.denominator is None) or (
        g.denominator is not None and p.denominator is not None and abs(g.denominator - p.denominator) < 1e-6)
    return (g.metric == p.metric and abs(g.value - p.value) < 1e-6 and same_den
            and g.start < p.end and p.start < g.end)


def score_article(article: Article, gold: dict, report: Report) -> None:
    """Add one article's province, claim and as-of results to the report."""
    name = f"{Path(article.source_file).name}#{article.source_index}"
    province, code = detect_province(article.title, article.text, article.url)
    report.articles += 1
    if (province, code) == (gold.get("province"), gold.get("province_code")):
        report.province_correct += 1
    else:
        report.errors.append(f"{name}: PROVINCE got {province}/{code}, gold {gold.get('province')}"
                             f"/{gold.get('province_code')}")
    predicted = extract_claims(article, code)
    golds = locate(article, gold)
    used: set[int] = set()
    for g in golds:
        score = report.per_metric.setdefault(g.metric, Score())
        hit = next((i for i, p in enumerate(predicted) if i not in used and _matches(g, p)), None)
        if hit is None:
            score.fn += 1
            report.overall.fn += 1
            report.errors.append(f"{name}: FN {g.metric} {g.value:g}"
                                 f"{'/' + format(g.denominator, 'g') if g.denominator else ''} | {g.evidence}")
            continue
        used.add(hit)
        score.tp += 1
        report.overall.tp += 1
        report.as_of_total += 1
        if predicted[hit].as_of == g.as_of:
            report.as_of_correct += 1
        else:
            report.errors.append(f"{name}: AS_OF {g.metric} {g.value:g} got {predicted[hit].as_of}, gold {g.as_of}")
    for i, p in enumerate(predicted):
        if i in used:
            continue
        report.per_metric.setdefault(p.metric, Score()).fp += 1
        report.overall.fp += 1
        report.errors.append(f"{name}: FP {p.metric} {p.value:g}"
                             f"{'/' + format(p.denominator, 'g') if p.denominator else ''} | {p.evidence} | "
                             f"{article.text[max(0, p.start - 60):p.end + 40]!r}")


def evaluate(directory: str | Path) -> Report:
    """Score every annotated article file directly inside directory."""
    report = Report()
    for path in corpus_files(Path(directory)):
        golds = load_gold(path)
        for article in read_articles(path):
            if article.source_index not in golds:
                raise ValueError(f"{path}: no gold for article index {article.source_index}")
            score_article(article, golds[article.source_index], report)
    return report


def format_report(title: str, report: Report) -> str:
    lines = [f"== {title}: {report.articles} articles ==",
             f"{'metric':38s} {'gold':>5s} {'pred':>5s} {'tp':>4s} {'P':>6s} {'R':>6s} {'F1':>6s}"]
    for metric in sorted(report.per_metric):
        s = report.per_metric[metric]
        lines.append(f"{metric:38s} {s.tp + s.fn:5d} {s.tp + s.fp:5d} {s.tp:4d} "
                     f"{s.precision:6.3f} {s.recall:6.3f} {s.f1:6.3f}")
    o = report.overall
    lines.append(f"{'OVERALL (micro)':38s} {o.tp + o.fn:5d} {o.tp + o.fp:5d} {o.tp:4d} "
                 f"{o.precision:6.3f} {o.recall:6.3f} {o.f1:6.3f}")
    lines.append(f"province accuracy: {report.province_correct}/{report.articles} = {report.province_accuracy:.3f}")
    lines.append(f"as_of accuracy (matched claims): {report.as_of_correct}/{report.as_of_total} = "
                 f"{report.as_of_accuracy:.3f}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m pipelines.news.evaluate", description=__doc__.split("\n")[0])
    parser.add_argument("directory", nargs="?", default=str(DEFAULT_DIR), help="corpus folder (default %(default)s)")
    parser.add_argument("--errors", action="store_true", help="list the development set's FP/FN/as-of errors")
    parser.add_argument("--heldout-errors", action="store_true",
                        help="also list held-out errors (for the final report only: do not tune on them)")
    args = parser.parse_args(argv)
    directory = Path(args.directory)
    dev = evaluate(directory)
    print(format_report("development", dev))
    if args.errors:
        print("\n".join(dev.errors))
    heldout_dir = directory / "heldout"
    if heldout_dir.is_dir():
        held = evaluate(heldout_dir)
        print()
        print(format_report("held-out", held))
        if args.heldout_errors:
            print("\n".join(held.errors))
    return 0


if __name__ == "__main__":
    sys.exit(main())
