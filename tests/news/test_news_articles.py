"""Reading news files (.txt, .jsonl, .html), unreadable files, and duplicate removal."""

from __future__ import annotations

import json
import unicodedata
from datetime import date
from pathlib import Path

import pytest

from pipelines.news.articles import ArticleReadError, dedupe, make_article, parse_published, read_articles, text_hash

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "news"


def test_txt_with_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("url: https://x.vn/a\ntitle: Tin Nam Định\npublished: 2021-04-08\n\nThân bài.\nĐoạn hai.\n",
                    encoding="utf-8")
    [article] = read_articles(path)
    assert (article.url, article.title, article.published) == ("https://x.vn/a", "Tin Nam Định", date(2021, 4, 8))
    assert article.text == "Thân bài.\nĐoạn hai."
    assert article.source_index == 0 and article.source_file == str(path)


def test_txt_without_headers_is_all_body(tmp_path: Path) -> None:
    path = tmp_path / "b.txt"
    path.write_text("Công an tỉnh có 1.200 cán bộ.\n", encoding="utf-8")
    [article] = read_articles(path)
    assert article.url is None and article.title is None and article.published is None
    assert article.text == "Công an tỉnh có 1.200 cán bộ."


def test_text_is_nfc_and_hash_ignores_case_and_spacing(tmp_path: Path) -> None:
    decomposed = unicodedata.normalize("NFD", "Đắk Lắk có 184 đơn vị")
    path = tmp_path / "c.txt"
    path.write_text(decomposed, encoding="utf-8")
    [article] = read_articles(path)
    assert article.text == unicodedata.normalize("NFC", decomposed)
    assert article.text_hash == text_hash("  đắk   LẮK có 184\nđơn vị ")


def test_jsonl_line_numbers_and_fields(tmp_path: Path) -> None:
    path = tmp_path / "d.jsonl"
    rows = [{"url": "u1", "title": "t1", "published": "07/04/2021", "text": "Bài một."},
            {"url": "u2", "title": None, "published": "2022-01-02T08:00:00+07:00", "text": "Bài hai."}]
    path.write_text(json.dumps(rows[0], ensure_ascii=False) + "\n\n" + json.dumps(rows[1], ensure_ascii=False) + "\n",
                    encoding="utf-8")
    first, second = read_articles(path)
    assert (first.source_index, first.published) == (1, date(2021, 4, 7))
    assert (second.source_index, second.title, second.published) == (3, None, date(2022, 1, 2))


def test_html_title_body_and_published() -> None:
    [article] = read_articles(FIXTURES / "quang_ninh_2021.html")
    assert article.title == "Quảng Ninh: Xây dựng Công an xã chính quy vững mạnh"
    assert article.published == date(2021, 9, 29)
    assert article.url and article.url.startswith("https://baoquangninh.vn/")
    assert "118/118 xã, thị trấn" in article.text
    # page furniture is not article text
    assert "Bài liên quan" not in article.text and "Bản quyền" not in article.text and "29/09/2021" not in article.text


def test_html_with_article_element_skips_nav_and_aside() -> None:
    [article] = read_articles(FIXTURES / "heldout" / "quang_nam_2022_tap_huan.html")
    assert article.title == "Tập huấn nghiệp vụ cho lãnh đạo Công an xã"
    assert article.published == date(2022, 8, 19)
    assert article.text.startswith("(QNO) - Từ ngày 15 đến 18/8")
    for furniture in ("Hotline", "Tin liên quan", "window.dataLayer"):
        assert furniture not in article.text


def test_html_published_from_visible_date(tmp_path: Path) -> None:
    path = tmp_path / "e.html"
    path.write_text("<html><head><title>T</title></head><body><span class='post-date'>Thứ Hai, 05/07/2021</span>"
                    "<p>Công an tỉnh đã bố trí 300 cán bộ.</p></body></html>", encoding="utf-8")
    [article] = read_articles(path)
    assert article.published == date(2021, 7, 5)
    assert article.text == "Công an tỉnh đã bố trí 300 cán bộ."


def test_html_unclosed_paragraphs_stay_separate(tmp_path: Path) -> None:
    path = tmp_path / "f.html"
    path.write_text("<html><body><article><h1>Tin</h1><p>Đoạn một có 12 xã.<p>Đoạn hai có 3 phường.</article>"
                    "</body></html>", encoding="utf-8")
    [article] = read_articles(path)
    assert article.text == "Đoạn một có 12 xã.\nĐoạn hai có 3 phường."


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("empty.txt", b"", "empty file"),
    ("blank.txt", b"  \n\n ", "empty file"),
    ("binary.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("latin1.txt", "Công an xã".encode("utf-16-le").replace(b"\x00", b"") + b"\xff\xfe", "invalid UTF-8"),
    ("bad.jsonl", b'{"text": "ok"}\n{"text": "broken"\n', "line 2: invalid JSON"),
    ("notobj.jsonl", b'["a", "b"]\n', "line 1: expected a JSON object"),
    ("notext.jsonl", b'{"url": "x"}\n', "line 1: missing or empty 'text'"),
    ("nobody.html", b"<html><body><nav>menu</nav></body></html>", "no article text"),
    ("data.csv", b"a,b\n1,2\n", "unsupported file type .csv"),
])
def test_unreadable_files_raise_clear_errors(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ArticleReadError) as info:
        read_articles(path)
    assert reason in info.value.reason
    assert str(path) in str(info.value)


def test_missing_file_raises_article_read_error(tmp_path: Path) -> None:
    with pytest.raises(ArticleReadError, match="cannot open file"):
        read_articles(tmp_path / "nope.txt")


def test_dedupe_by_url_and_by_text_keeps_first() -> None:
    a = make_article("f1", 0, "https://www.baonamdinh.vn/a/", "A", None, "Nội dung một.")
    b = make_article("f2", 0, "http://baonamdinh.vn/a", "B", None, "Nội dung khác.")  # same url
    c = make_article("f3", 0, None, "C", None, "NỘI DUNG   MỘT.")  # same text, other case/spacing
    d = make_article("f4", 0, "https://x.vn/d", "D", None, "Bài mới.")
    assert [x.title for x in dedupe([a, b, c, d])] == ["A", "D"]


@pytest.mark.parametrize(("value", "expected"), [
    ("2021-04-07", date(2021, 4, 7)),
    ("2021-04-07T08:00:00+07:00", date(2021, 4, 7)),
    ("07/04/2021", date(2021, 4, 7)),
    ("Thứ Tư, 7/4/2021 10:30", date(2021, 4, 7)),
    ("31/02/2021", None),
    ("", None),
    (None, None),
])
def test_parse_published(value: str | None, expected: date | None) -> None:
    assert parse_published(value) == expected
