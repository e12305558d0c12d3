"""The web app over a small synthetic archive: HTML and JSON, errors, escaping."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from test_archive import make_record

from indexer.archive import Archive
from indexer.build import update_index
from webapp import create_app

EVIL_TITLE = 'Statement <script>alert("x")</script> on Kosovo'


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    with Archive(tmp_path) as archive:
        for n in range(25):
            archive.store(replace(
                make_record(n, body=f"Paragraph one about Kosovo number {n}.\n\nSecond part."),
                published=date(2019, 1, 1 + n), content_hash=""))
        archive.store(replace(make_record(100, body="<img src=x onerror=alert(1)> Kosovo"),
                              title=EVIL_TITLE, content_hash=""))
        archive.store(make_record(100, body="Corrected: Kosovo and Metohija."))
        update_index(archive, tmp_path)
    return tmp_path


@pytest.fixture
def web(data_dir: Path):
    return create_app({"TESTING": True, "DATA_DIR": str(data_dir)}).test_client()


def test_api_search_shape_and_paging(web) -> None:
    first = web.get("/api/search?q=kosovo&size=10&sort=oldest").get_json()
    assert first["total"] == 26
    assert first["page_count"] == 3
    assert len(first["results"]) == 10
    hit = first["results"][0]
    assert {"id", "title", "published", "source", "language", "doc_type", "snippet_html",
            "url", "api_url", "html_url"} <= set(hit)
    assert hit["published"] == "2019-01-01"
    second = web.get(first["next_url"]).get_json()
    third = web.get(second["next_url"]).get_json()
    assert third["next_url"] is None
    ids = [h["id"] for page in (first, second, third) for h in page["results"]]
    assert len(ids) == len(set(ids)) == 26
    assert web.get("/api/search").headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize("path, status, fragment", [
    ("/api/search?q=%22open", 400, "unclosed quote"),
    ("/api/search?q=kosovo&from=2019-13-01", 400, "'from' must be a date"),
    ("/api/search?q=kosovo&size=1000", 400, "'size' must be a whole number from 1 to 100"),
    ("/api/search?sort=sideways", 400, "'sort' must be relevance, newest or oldest"),
    ("/api/search?q=kosovo&from=2020-01-01&to=2019-01-01", 400, "after the 'to' date"),
    ("/api/communiques/nope", 404, "no communiqué with id"),
    ("/api/nothing-here", 404, ""),
])
def test_api_errors_have_one_shape(web, path: str, status: int, fragment: str) -> None:
    response = web.get(path)
    assert response.status_code == status
    error = response.get_json()["error"]
    assert error["status"] == status
    assert fragment in error["message"]


def test_html_errors_are_pages_not_tracebacks(web) -> None:
    response = web.get("/?q=(kosovo")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "could not be read" in page and "unclosed" in page
    assert "Traceback" not in page
    assert web.get("/communiques/missing").status_code == 404


def test_all_document_text_is_escaped(web, data_dir: Path) -> None:
    evil_id = make_record(100).id
    page = web.get(f"/communiques/{evil_id}?version=1").get_data(as_text=True)
    assert "<script>alert" not in page and "&lt;script&gt;" in page
    assert "<img src=x" not in page
    results = web.get("/?q=kosovo&size=50").get_data(as_text=True)
    assert "<script>alert" not in results
    echo = web.get("/?q=%3Cscript%3Ealert(1)%3C/script%3E").get_data(as_text=True)
    assert "<script>alert(1)" not in echo


def test_search_page_keeps_state_in_url(web) -> None:
    page = web.get("/?q=kosovo&sort=oldest&from=2019-01-01").get_data(as_text=True)
    assert 'value="kosovo"' in page
    assert "26 communiqués" in page
    assert "page=2" in page and "sort=oldest" in page
    assert '<option value="oldest" selected>' in page


def test_document_page_shows_versions_and_original(web) -> None:
    record_id = make_record(100).id
    page = web.get(f"/communiques/{record_id}").get_data(as_text=True)
    assert "Corrected: Kosovo and Metohija." in page
    assert "Version 1" in page and "Version 2" in page
    assert make_record(100).url in page
    data = web.get(f"/api/communiques/{record_id}").get_json()
    assert [v["version"] for v in data["versions"]] == [1, 2]
    assert data["paragraphs"] == ["Corrected: Kosovo and Metohija."]


def test_security_headers(web) -> None:
    headers = web.get("/").headers
    assert headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"


def test_new_commits_are_seen_without_restart(web, data_dir: Path) -> None:
    assert web.get("/api/search?q=zeppelin").get_json()["total"] == 0
    with Archive(data_dir) as archive:
        archive.store(make_record(500, body="A zeppelin over Belgrade."))
        update_index(archive, data_dir)
    assert web.get("/api/search?q=zeppelin").get_json()["total"] == 1


def test_empty_data_dir_serves_an_empty_search(tmp_path: Path) -> None:
    web = create_app({"TESTING": True, "DATA_DIR": str(tmp_path / "fresh")}).test_client()
    assert web.get("/api/search?q=kosovo").get_json()["total"] == 0
    assert web.get("/").status_code == 200
