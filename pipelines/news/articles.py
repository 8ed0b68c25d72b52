"""Read news articles from .txt, .jsonl and .html files into `Article` records, and drop duplicates.

- .txt: optional header lines `url:`, `title:`, `published:` at the top, a blank line, then the body.
- .jsonl: one JSON object per line with fields url, title, published, text.
- .html: title from <h1> (else <title>), body from <article> (else all <p>), published from meta tags
  (article:published_time and friends), <time datetime>, or a visible date; stdlib html.parser only.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

from pipelines.news.normalize import collapse_whitespace, nfc


@dataclass(frozen=True)
class Article:
    """One news article. `text` is the NFC body; claim offsets point into it."""

    source_file: str
    source_index: int  # line number (1-based) for .jsonl, 0 otherwise
    url: str | None
    title: str | None
    published: date | None
    text: str
    text_hash: str


class ArticleReadError(Exception):
    """A news file that cannot be read as articles (binary, empty, invalid UTF-8, bad JSON line...)."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = str(path)
        self.reason = reason


def text_hash(text: str) -> str:
    """sha256 of the NFC, whitespace-collapsed, lowercased text."""
    return hashlib.sha256(collapse_whitespace(nfc(text)).lower().encode("utf-8")).hexdigest()


def make_article(source_file: str, source_index: int, url: str | None, title: str | None,
                 published: date | str | None, text: str) -> Article:
    """Build an Article, normalizing text to NFC and parsing a published string."""
    if isinstance(published, str):
        published = parse_published(published)
    body = nfc(text.replace("\r\n", "\n").replace("\r", "\n")).strip()
    return Article(source_file, source_index, _clean(url), _clean(nfc(title) if title else None), published,
                   body, text_hash(body))


def _clean(value: str | None) -> str | None:
    value = value.strip() if isinstance(value, str) else None
    return value or None


_ISO_DATE = re.compile(r"((?:19|20)\d\d)-(\d{1,2})-(\d{1,2})")
_VN_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.-](\d{1,2})[/.-]((?:19|20)\d\d)(?!\d)")


def parse_published(value: str | None) -> date | None:
    """'2021-04-07', '2021-04-07T08:00:00+07:00', '07/04/2021', 'Thứ Tư, 7/4/2021 10:30' -> date."""
    if not value:
        return None
    for pattern, order in ((_ISO_DATE, (0, 1, 2)), (_VN_DATE, (2, 1, 0))):
        m = pattern.search(value)
        if m:
            parts = [int(m.group(i + 1)) for i in order]
            try:
                return date(parts[0], parts[1], parts[2])
            except ValueError:
                continue
    return None


def read_articles(path: str | Path) -> list[Article]:
    """All articles in one .txt, .jsonl or .html file; raises ArticleReadError if the file is unusable."""
    path = Path(path)
    raw = _read_bytes(path)
    text = _decode(path, raw)
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return [_txt_article(path, text)]
    if suffix == ".jsonl":
        return _jsonl_articles(path, text)
    if suffix in (".html", ".htm"):
        return [_html_article(path, text)]
    raise ArticleReadError(path, f"unsupported file type {suffix or '(none)'}; expected .txt, .jsonl or .html")


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ArticleReadError(path, f"cannot open file: {exc.strerror or exc}") from exc
    if not raw.strip():
        raise ArticleReadError(path, "empty file")
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ArticleReadError(path, "UTF-16 text (Windows 'Unicode' encoding): save it as UTF-8")
    if b"\x00" in raw[:8192]:
        raise ArticleReadError(path, "binary file (contains NUL bytes), not text")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise ArticleReadError(path, f"invalid UTF-8 at byte {exc.start} (line {line})") from exc


_HEADER = re.compile(r"^\s*(url|title|published)\s*:\s*(.*?)\s*$", re.IGNORECASE)


def _txt_article(path: Path, text: str) -> Article:
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers: dict[str, str] = {}
    i = 0
    while i < len(lines):
        m = _HEADER.match(lines[i])
        if not m:
            break
        headers[m.group(1).lower()] = m.group(2)
        i += 1
    if headers and i < len(lines) and lines[i].strip():
        raise ArticleReadError(path, f"line {i + 1}: expected a blank line after the header lines")
    body = "\n".join(lines[i:])
    if not body.strip():
        raise ArticleReadError(path, "no article text after the header lines")
    return make_article(str(path), 0, headers.get("url"), headers.get("title"), headers.get("published"), body)


def _jsonl_articles(path: Path, text: str) -> list[Article]:
    articles = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ArticleReadError(path, f"line {number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(record, dict):
            raise ArticleReadError(path, f"line {number}: expected a JSON object")
        body = record.get("text")
        if not isinstance(body, str) or not body.strip():
            raise ArticleReadError(path, f"line {number}: missing or empty 'text' field")
        fields = [record.get(k) if isinstance(record.get(k), str) else None for k in ("url", "title", "published")]
        articles.append(make_article(str(path), number, fields[0], fields[1], fields[2], body))
    if not articles:
        raise ArticleReadError(path, "no articles in file")
    return articles


# --- HTML ---------------------------------------------------------------------------------------------------

_PUBLISHED_META = {
    "article:published_time", "og:published_time", "published_time", "pubdate", "publishdate", "date",
    "dc.date", "dc.date.issued", "datepublished", "article.published", "dcterms.created",
}
_SKIP = {"script", "style", "noscript", "nav", "footer", "aside", "form", "iframe", "svg", "button"}
_BLOCKS = {"p", "li", "h2", "h3", "h4", "blockquote", "td", "div", "figcaption", "br", "tr"}
# Page furniture that is not article text even when it holds <p> elements.
_SKIP_CLASS = re.compile(
    r"(?:^|[\s_-])(?:related|relate|comments?|footer|breadcrumbs?|share|social|tags?|menu|sidebar|banner|advert|ads"
    r"|newsletter|copyright|navigation|nav)(?:[\s_-]|$)", re.IGNORECASE)
_DATE_CLASS = re.compile(r"(?:^|[\s_-])(?:date|time|datetime|pubdate|published|publish)(?:[\s_-]|$)", re.IGNORECASE)
_CLOSES_P = {"p", "div", "ul", "ol", "table", "h1", "h2", "h3", "h4", "blockquote", "figure", "article", "section"}
_VOID = {"br", "img", "meta", "link", "input", "hr", "source", "wbr", "area", "base", "col", "embed"}


class _ArticleHTML(HTMLParser):
    """Collects title, h1, published meta, canonical url, paragraphs inside <article> and all <p> text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.skip_depth = 0
        self.article_depth = 0
        self.title = ""
        self.h1 = ""
        self.published: str | None = None
        self.url: str | None = None
        self.article_blocks: list[str] = []
        self.p_blocks: list[str] = []
        self.date_texts: list[str] = []
        self._current: list[str] = []
        self._in_p = 0
        self._p_text: list[str] = []
        self._date_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k.lower(): (v or "") for k, v in attrs}
        if tag == "meta":
            key = (a.get("property") or a.get("name") or a.get("itemprop") or "").lower()
            if key in _PUBLISHED_META and a.get("content") and not self.published:
                self.published = a["content"]
            if key == "og:url" and a.get("content") and not self.url:
                self.url = a["content"]
            return
        if tag == "link" and "canonical" in a.get("rel", "").lower() and a.get("href"):
            self.url = a["href"]
            return
        if tag == "time" and a.get("datetime") and not self.published:
            self.published = a["datetime"]
        if tag in _VOID:
            if tag == "br":
                self._flush()
            return
        if tag in _CLOSES_P and self.stack and self.stack[-1] == "p":
            self.handle_endtag("p")  # '<p>one<p>two': a block start closes an open paragraph, as browsers do
        self.stack.append(tag)
        cls = (a.get("class") or "") + " " + (a.get("id") or "")
        if tag in _SKIP or self.skip_depth or _SKIP_CLASS.search(cls):
            self.skip_depth += 1
        if tag == "article":
            self.article_depth += 1
        if tag == "p":
            self._in_p += 1
        if tag in _BLOCKS:
            self._flush()
        if self._date_depth or _DATE_CLASS.search(cls):
            self._date_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _VOID or tag not in self.stack:
            return
        while self.stack:
            top = self.stack.pop()
            self._close(top)
            if top == tag:
                break

    def _close(self, tag: str) -> None:
        if tag in _BLOCKS or tag == "article":
            self._flush()
        if self.skip_depth:
            self.skip_depth -= 1
        if tag == "article":
            self.article_depth -= 1
        if tag == "p":
            self._in_p -= 1
            if not self._in_p:
                self._flush_p()
        if self._date_depth:
            self._date_depth -= 1

    def handle_data(self, data: str) -> None:
        if "title" in self.stack:
            self.title += data
            return
        if self.skip_depth:
            return
        if "h1" in self.stack:
            self.h1 += data
            return
        if self._date_depth:
            self.date_texts.append(data)  # the dateline is metadata, not article text
            return
        if self.article_depth:
            self._current.append(data)
        if self._in_p:
            self._p_text.append(data)

    def _flush(self) -> None:
        block = collapse_whitespace("".join(self._current))
        if block:
            self.article_blocks.append(block)
        self._current = []

    def _flush_p(self) -> None:
        block = collapse_whitespace("".join(self._p_text))
        if block:
            self.p_blocks.append(block)
        self._p_text = []


def _html_article(path: Path, html: str) -> Article:
    parser = _ArticleHTML()
    try:
        parser.feed(html)
        parser.close()
    except Exception as exc:  # html.parser is lenient; anything raised here means the file is not HTML
        raise ArticleReadError(path, f"cannot parse HTML: {exc}") from exc
    parser._flush()
    blocks = parser.article_blocks or parser.p_blocks
    body = "\n".join(blocks)
    if not body.strip():
        raise ArticleReadError(path, "no article text found (no <article> or <p> content)")
    title = collapse_whitespace(parser.h1) or collapse_whitespace(parser.title) or None
    published = parse_published(parser.published) or parse_published(" ".join(parser.date_texts))
    return make_article(str(path), 0, parser.url, title, published, body)


# --- duplicates ---------------------------------------------------------------------------------------------

def _url_key(url: str | None) -> str | None:
    if not url:
        return None
    key = re.sub(r"^https?://(www\.)?", "", url.strip().lower())
    return key.split("#")[0].rstrip("/") or None


def dedupe(articles: list[Article]) -> list[Article]:
    """Drop articles whose url or text hash was already seen, keeping the first occurrence."""
    seen_urls: set[str] = set()
    seen_hashes: set[str] = set()
    kept = []
    for article in articles:
        key = _url_key(article.url)
        if (key and key in seen_urls) or article.text_hash in seen_hashes:
            continue
        if key:
            seen_urls.add(key)
        seen_hashes.add(article.text_hash)
        kept.append(article)
    return kept
