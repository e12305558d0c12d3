"""An index of no documents (a first crawl that found nothing, then `index`) is searched
like any other: empty answers, never a 500."""

from __future__ import annotations

from conftest import run_cli


def test_every_search_surface_answers_over_an_empty_index(app) -> None:
    result = run_cli(app, "index")
    assert result.exit_code == 0, result.output
    assert "0 in the index" in result.output
    client = app.test_client()
    data = client.get("/api/search?q=Lavrov").get_json()
    assert data["total"] == 0 and data["results"] == []
    assert client.get("/api/search").get_json()["total"] == 0
    for url in ("/", "/?q=Lavrov", "/api/status", "/status", "/api/export.csv?q=x",
                "/feed.atom?q=x"):
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    assert "0 results" in run_cli(app, "search", "Lavrov").output
    assert "index: 0 documents" in run_cli(app, "status").output
