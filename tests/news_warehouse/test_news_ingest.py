"""News ingestion on real DuckDB files: three formats, duplicates, unreadable files, re-ingest, claim offsets."""

from __future__ import annotations

import json
import os
import stat
from datetime import date
from pathlib import Path

import duckdb
import pytest

from pipelines.news import ingest

THAI_BINH_TXT = """url: https://baothaibinh.com.vn/tin-tuc/cong-an-xa-chinh-quy-thai-binh-2025
title: Thái Bình: Công an xã chính quy bám cơ sở
published: 2025-05-20

Ngày 19/5/2025, Công an tỉnh Thái Bình tổ chức hội nghị sơ kết công tác xây dựng Công an xã chính quy.

Toàn tỉnh Thái Bình hiện có 242 đơn vị hành chính cấp xã. Công an tỉnh đã bố trí 1.749 cán bộ, chiến sĩ về \
công tác tại 242/242 xã, phường, thị trấn, trong đó có 242 Trưởng Công an và 448 Phó Trưởng Công an.
"""

NAM_DINH_HTML = """<!DOCTYPE html>
<html lang="vi"><head><meta charset="UTF-8">
<title>Nam Định: trụ sở Công an xã</title>
<meta property="article:published_time" content="2025-06-12T07:45:00+07:00">
<link rel="canonical" href="https://baonamdinh.vn/phap-luat/nam-dinh-tru-so-cong-an-xa-2025/">
</head><body>
<h1>Nam Định: trụ sở Công an xã</h1>
<article>
<p>Tỉnh Nam Định hiện có 175 xã, phường, thị trấn. Đến nay, toàn tỉnh có 134 Công an xã, phường, thị trấn đã có
trụ sở làm việc độc lập, 18 trụ sở đang được thi công.</p>
</article></body></html>
"""

HUNG_YEN_TEXT = ("Ngày 16/7/2025, Công an tỉnh Hưng Yên cho biết tỉnh có 104 đơn vị hành chính cấp xã, gồm 93 xã và "
                 "11 phường. Công an tỉnh đã bố trí 2.696 cán bộ, chiến sĩ về Công an 104 xã, phường.")


def jsonl_line(url: str, title: str, published: str, text: str) -> str:
    return json.dumps({"url": url, "title": title, "published": published, "text": text}, ensure_ascii=False)


@pytest.fixture()
def landing(tmp_path: Path) -> Path:
    """Three formats, two duplicate articles (same text / same url in another file) and two unreadable files."""
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "a_thai_binh.txt").write_text(THAI_BINH_TXT, encoding="utf-8")
    (folder / "b_nam_dinh.html").write_text(NAM_DINH_HTML, encoding="utf-8")
    thai_binh_body = THAI_BINH_TXT.split("\n\n", 1)[1]
    lines = [
        jsonl_line("https://baohungyen.vn/cong-an-cap-xa-hung-yen-2025", "Hưng Yên: Công an cấp xã", "2025-07-16",
                   HUNG_YEN_TEXT),
        # the Thái Bình article again under another url, its whitespace and case changed: same normalized text
        jsonl_line("https://tinmoi.example.vn/repost/thai-binh", "Tin tổng hợp", "2025-05-21",
                   "  " + thai_binh_body.replace("\n\n", "\n").upper() + "  "),
        # another text under the Nam Định article's url (a trailing slash and www. do not make it new)
        jsonl_line("https://www.baonamdinh.vn/phap-luat/nam-dinh-tru-so-cong-an-xa-2025", "Nam Định (cập nhật)",
                   "2025-06-13", "Bản cập nhật: tỉnh Nam Định có 175 xã, phường, thị trấn."),
    ]
    (folder / "c_tong_hop.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "d_scan.txt").write_bytes(b"%PDF-1.4\x00\x00\x01\x02binary\x00content")
    (folder / "e_notes.docx").write_bytes(b"PK\x03\x04 not a news file")
    (folder / ".hidden.txt").write_text("ignored", encoding="utf-8")
    return folder


@pytest.fixture()
def con(tmp_path: Path) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(str(tmp_path / "build.duckdb"))
    yield connection
    connection.close()


def audit(con: duckdb.DuckDBPyConnection) -> dict[str, dict]:
    cur = con.execute("select * from audit.news_files")
    names = [d[0] for d in cur.description]
    return {row[1]: dict(zip(names, row)) for row in cur.fetchall()}


def test_three_formats_duplicates_and_rejections(con, landing, tmp_path) -> None:
    result = ingest.ingest_news(con, landing, tmp_path / "archive")

    assert (result.files_seen, result.files_new, result.files_accepted, result.files_rejected) == (5, 5, 3, 2)
    assert (result.articles_received, result.articles_loaded, result.articles_duplicate) == (5, 3, 2)
    files = audit(con)
    assert set(files) == {"a_thai_binh.txt", "b_nam_dinh.html", "c_tong_hop.jsonl", "d_scan.txt", "e_notes.docx"}
    counts = {name: (f["status"], f["articles_received"], f["articles_loaded"], f["articles_duplicate"])
              for name, f in files.items()}
    assert counts == {
        "a_thai_binh.txt": ("accepted", 1, 1, 0),
        "b_nam_dinh.html": ("accepted", 1, 1, 0),
        "c_tong_hop.jsonl": ("accepted", 3, 1, 2),
        "d_scan.txt": ("rejected", 0, 0, 0),
        "e_notes.docx": ("rejected", 0, 0, 0),
    }
    assert "binary" in files["d_scan.txt"]["reason"]
    assert "unsupported file type" in files["e_notes.docx"]["reason"]
    reason = files["c_tong_hop.jsonl"]["reason"]
    assert "line 2: same text as article" in reason and "a_thai_binh.txt" in reason
    assert "line 3: same url" in reason
    # every article read is either loaded or counted as a duplicate
    assert sum(f["articles_received"] for f in files.values()) == \
        sum(f["articles_loaded"] + f["articles_duplicate"] for f in files.values())

    articles = {r[0]: r[1:] for r in con.execute(
        "select source_file, source_index, url, published, province, province_code from raw.news_articles").fetchall()}
    assert articles == {
        "a_thai_binh.txt": (0, "https://baothaibinh.com.vn/tin-tuc/cong-an-xa-chinh-quy-thai-binh-2025",
                            date(2025, 5, 20), "Thái Bình", "34"),
        "b_nam_dinh.html": (0, "https://baonamdinh.vn/phap-luat/nam-dinh-tru-so-cong-an-xa-2025/",
                            date(2025, 6, 12), "Nam Định", "36"),
        "c_tong_hop.jsonl": (1, "https://baohungyen.vn/cong-an-cap-xa-hung-yen-2025", date(2025, 7, 16),
                             "Hưng Yên", "33"),
    }
    claims = {r[0] for r in con.execute("select metric from raw.news_claims").fetchall()}
    assert {"commune_level_units_total", "officers_total", "units_with_regular_police", "hq_independent"} <= claims
    claim_totals = dict(con.execute("select source_file, count(*) from raw.news_claims join raw.news_articles "
                                    "using (article_id) group by 1").fetchall())
    assert claim_totals == {name: f["claims_extracted"] for name, f in files.items() if f["claims_extracted"]}


def test_archive_is_content_addressed_and_read_only(con, landing, tmp_path) -> None:
    ingest.ingest_news(con, landing, tmp_path / "archive")
    for file_id, archive_path in con.execute("select file_id, archive_path from audit.news_files").fetchall():
        path = Path(archive_path)
        assert path.parent == tmp_path / "archive" / "news" / file_id[:2]
        assert path.name.startswith(file_id)
        assert ingest.sha256_file(path) == file_id
        assert not os.stat(path).st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH)


def test_reingest_is_a_no_op(con, landing, tmp_path) -> None:
    ingest.ingest_news(con, landing, tmp_path / "archive")
    before = [con.execute(f"select count(*) from {t}").fetchone()[0]
              for t in ("raw.news_articles", "raw.news_claims", "audit.news_files")]
    again = ingest.ingest_news(con, landing, tmp_path / "archive")
    after = [con.execute(f"select count(*) from {t}").fetchone()[0]
             for t in ("raw.news_articles", "raw.news_claims", "audit.news_files")]
    assert (again.files_seen, again.files_new, again.articles_loaded, again.claims_extracted) == (5, 0, 0, 0)
    assert before == after


def test_duplicate_of_an_earlier_batch_is_counted_not_loaded(con, landing, tmp_path) -> None:
    ingest.ingest_news(con, landing, tmp_path / "archive")
    later = tmp_path / "later"
    later.mkdir()
    # same url as the loaded Thái Bình article (http, trailing slash), new text
    (later / "f_repost.txt").write_text(
        "url: http://baothaibinh.com.vn/tin-tuc/cong-an-xa-chinh-quy-thai-binh-2025/\ntitle: Đăng lại\n\n"
        "Bản đăng lại có sửa lỗi chính tả: tỉnh Thái Bình có 242 đơn vị hành chính cấp xã.", encoding="utf-8")
    # new article plus a copy of the Hưng Yên text loaded in the first batch
    (later / "g_new.jsonl").write_text("\n".join([
        jsonl_line("https://baoninhbinh.org.vn/ninh-binh-129-xa-phuong", "Ninh Bình", "2025-09-26",
                   "Ngày 25/9/2025, tỉnh Ninh Bình có 129 đơn vị hành chính cấp xã, gồm 97 xã và 32 phường."),
        jsonl_line("", "Hưng Yên", "2025-07-17", HUNG_YEN_TEXT),
    ]), encoding="utf-8")
    result = ingest.ingest_news(con, later, tmp_path / "archive")
    assert (result.files_new, result.articles_received, result.articles_loaded, result.articles_duplicate) == \
        (2, 3, 1, 2)
    files = audit(con)
    assert (files["f_repost.txt"]["articles_loaded"], files["f_repost.txt"]["articles_duplicate"]) == (0, 1)
    assert (files["g_new.jsonl"]["articles_loaded"], files["g_new.jsonl"]["articles_duplicate"]) == (1, 1)
    assert "c_tong_hop.jsonl" in files["g_new.jsonl"]["reason"]
    assert con.execute("select count(*) from raw.news_articles").fetchone()[0] == 4


def test_claim_offsets_slice_the_text_to_the_evidence(con, landing, tmp_path) -> None:
    ingest.ingest_news(con, landing, tmp_path / "archive")
    rows = con.execute("""
        select c.claim_id, c.article_id, c.start_offset, c.end_offset, c.evidence, c.as_of, c.as_of_date, a.text
        from raw.news_claims as c join raw.news_articles as a using (article_id)
    """).fetchall()
    assert len(rows) >= 8
    for claim_id, article_id, start, end, evidence, as_of, as_of_date, text in rows:
        assert text[start:end] == evidence
        assert claim_id.startswith(f"{article_id}:{start}:{end}:")
        assert as_of_date == ingest.as_of_date(as_of)
    fraction = con.execute("select value, denominator, unit_type from raw.news_claims "
                           "where evidence = '242/242 xã, phường, thị trấn'").fetchall()
    assert fraction == [(242.0, 242.0, "xã, phường, thị trấn")]


def test_claim_ids_are_stable_across_databases(landing, tmp_path) -> None:
    ids = []
    for name in ("one", "two"):
        with duckdb.connect(str(tmp_path / f"{name}.duckdb")) as con:
            ingest.ingest_news(con, landing, tmp_path / f"archive_{name}")
            ids.append(sorted(r[0] for r in con.execute("select claim_id from raw.news_claims").fetchall()))
    assert ids[0] == ids[1]


def test_a_failed_write_leaves_nothing_behind(con, landing, tmp_path, monkeypatch) -> None:
    real_insert = ingest._insert

    def failing_insert(connection, table_name, rows):
        if table_name == "audit.news_files":
            raise RuntimeError("disk full")
        real_insert(connection, table_name, rows)

    monkeypatch.setattr(ingest, "_insert", failing_insert)
    with pytest.raises(RuntimeError):
        ingest.ingest_news(con, landing, tmp_path / "archive")
    for table in ("raw.news_articles", "raw.news_claims", "audit.news_files"):
        assert con.execute(f"select count(*) from {table}").fetchone()[0] == 0
    monkeypatch.setattr(ingest, "_insert", real_insert)
    assert ingest.ingest_news(con, landing, tmp_path / "archive").articles_loaded == 3


def test_extractor_failure_rejects_the_file_and_keeps_its_copies_elsewhere(con, landing, tmp_path,
                                                                          monkeypatch) -> None:
    real_extract = ingest.extract_article

    def fragile_extract(path_str, article, with_index):
        if path_str == "a_thai_binh.txt":
            raise ValueError("boom")
        return real_extract(path_str, article, with_index)

    monkeypatch.setattr(ingest, "extract_article", fragile_extract)
    ingest.ingest_news(con, landing, tmp_path / "archive")
    files = audit(con)
    assert files["a_thai_binh.txt"]["status"] == "rejected"
    assert "claim extraction failed" in files["a_thai_binh.txt"]["reason"]
    # the same text in the jsonl file is no longer a duplicate of a rejected file: it is loaded from there
    assert files["c_tong_hop.jsonl"]["articles_loaded"] == 2
    assert con.execute("select source_file from raw.news_articles where province_code = '34'").fetchall() == \
        [("c_tong_hop.jsonl",)]


def test_empty_or_missing_landing_folder(con, tmp_path) -> None:
    result = ingest.ingest_news(con, tmp_path / "nowhere", tmp_path / "archive")
    assert (result.files_seen, result.files_new) == (0, 0)
    assert con.execute("select count(*) from audit.news_files").fetchone()[0] == 0


@pytest.mark.parametrize("as_of, expected", [
    ("2025-06-28", date(2025, 6, 28)), ("2025-06", date(2025, 6, 1)), (None, None), ("2025-13", None), ("", None),
])
def test_as_of_date(as_of, expected) -> None:
    assert ingest.as_of_date(as_of) == expected
