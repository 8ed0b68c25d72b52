"""Throughput of news claim extraction on one core: `python benchmarks/bench_news.py [--articles N] [--runs R]`.

Generates 2,000 synthetic 3-5 KB articles by recombining paragraphs of the development corpus
(tests/fixtures/news, held-out articles excluded), then times province detection + claim extraction over them
R times. The process is pinned to one CPU (`--cpu`, default the last one it may use) and the primary figure is
articles per second of the process's own CPU time (`time.process_time`), median, min and max over the runs: on a
shared machine wall time also counts the time other jobs hold the core. Wall-clock articles/s is printed too.
Target: median >= 500 articles/s of CPU time.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipelines.news.articles import Article, make_article, read_articles  # noqa: E402
from pipelines.news.claims import extract_claims  # noqa: E402
from pipelines.news.provinces import detect_province  # noqa: E402

CORPUS = ROOT / "tests" / "fixtures" / "news"


def corpus_paragraphs() -> list[str]:
    """Paragraphs of the development articles (held-out ones are not used)."""
    paragraphs: list[str] = []
    for path in sorted(CORPUS.iterdir()):
        if path.suffix.lower() not in (".txt", ".jsonl", ".html") or path.name.endswith(".gold.json"):
            continue
        for article in read_articles(path):
            paragraphs.extend(p for p in article.text.split("\n") if len(p) > 80)
    return paragraphs


def synthetic_articles(n: int, seed: int = 7) -> list[Article]:
    """n articles of 3-5 KB (UTF-8) made of random corpus paragraphs."""
    rng = random.Random(seed)
    paragraphs = corpus_paragraphs()
    titles = ["Công an tỉnh Nam Định sơ kết Công an xã chính quy", "Thái Bình: bố trí Công an chính quy về xã",
              "Hà Nội xây dựng trụ sở Công an xã", "Công an Nghệ An tập huấn nghiệp vụ", None]
    articles = []
    for i in range(n):
        target = rng.randint(3000, 5000)
        chosen: list[str] = []
        size = 0
        while size < target:
            p = rng.choice(paragraphs)
            chosen.append(p)
            size += len(p.encode("utf-8")) + 1
        published = date(2019 + rng.randint(0, 6), rng.randint(1, 12), rng.randint(1, 28))
        articles.append(make_article(f"synthetic/{i}.txt", 0, None, rng.choice(titles), published,
                                     "\n".join(chosen)))
    return articles


def run_once(articles: list[Article]) -> tuple[float, float, int]:
    """Wall seconds and CPU seconds to process all articles, and the number of claims found.

    CPU time (this process only) is reported too because wall time is noisy on a shared machine.
    """
    claims = 0
    start, cpu = time.perf_counter(), time.process_time()
    for article in articles:
        _, code = detect_province(article.title, article.text, article.url)
        claims += len(extract_claims(article, code))
    return time.perf_counter() - start, time.process_time() - cpu, claims


def pin_to_one_cpu(cpu: int | None) -> int | None:
    """Pin this process to one CPU (`cpu`, else the last one allowed); the CPU used, or None if unsupported."""
    if not hasattr(os, "sched_setaffinity"):
        return None
    allowed = sorted(os.sched_getaffinity(0))
    chosen = allowed[-1] if cpu is None else cpu
    os.sched_setaffinity(0, {chosen})
    return chosen


def reference_loop_seconds() -> float:
    """CPU seconds of a fixed pure-Python loop, printed so runs on busy or different machines can be compared."""
    start = time.process_time()
    sum(range(30_000_000))
    return time.process_time() - start


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=2000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--cpu", type=int, default=None, help="CPU to pin to (default: the last one allowed)")
    parser.add_argument("--profile", action="store_true", help="print a cProfile summary of one run")
    args = parser.parse_args(argv)
    cpu = pin_to_one_cpu(args.cpu)
    articles = synthetic_articles(args.articles)
    run_once(articles[:20])  # warm-up: loads the reference province names and compiles patterns
    sizes = [len(a.text.encode("utf-8")) / 1024 for a in articles]
    print(f"{len(articles)} synthetic articles, {statistics.mean(sizes):.1f} KB mean "
          f"({min(sizes):.1f}-{max(sizes):.1f} KB UTF-8); pinned to CPU {cpu}; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}; "
          f"reference loop sum(range(3e7)): {reference_loop_seconds():.2f} s CPU")
    if args.profile:
        import cProfile
        import pstats
        profiler = cProfile.Profile()
        profiler.enable()
        run_once(articles)
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
    rates, cpu_rates = [], []
    for run in range(args.runs):
        seconds, cpu_seconds, claims = run_once(articles)
        rates.append(len(articles) / seconds)
        cpu_rates.append(len(articles) / cpu_seconds)
        print(f"run {run + 1}: {seconds:.2f} s wall ({rates[-1]:.0f} articles/s), {cpu_seconds:.2f} s CPU "
              f"({cpu_rates[-1]:.0f} articles/s), {claims} claims")
    median = statistics.median(cpu_rates)
    print(f"articles/s (CPU):  median {median:.0f}, min {min(cpu_rates):.0f}, max {max(cpu_rates):.0f} "
          f"(target >= 500: {'met' if median >= 500 else 'NOT met'}); "
          f"{1000 / median:.2f} ms of CPU per article")
    print(f"articles/s (wall): median {statistics.median(rates):.0f}, min {min(rates):.0f}, max {max(rates):.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
