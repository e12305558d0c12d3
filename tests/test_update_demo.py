"""Issue 15's "done means" on the bundled sites, through the real `communiques` command as
an operator runs it: `make demo`'s build (`communiques demo --no-serve`) gives a `/status`
and `/api/status` showing every source with its last success, and `update --sites
demo/sites` rehearses an update against the bundled copies (a second run gets only 304s)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from webapp import create_app

REPO = Path(__file__).resolve().parent.parent
SOURCES = {"china-mfa", "russia-mid", "serbia-mfa", "uk-fcdo", "us-state"}


def communiques(*args: str, data_dir: Path) -> subprocess.CompletedProcess:
    script = Path(sys.executable).with_name("communiques")
    return subprocess.run([sys.executable, str(script), *args, "--data-dir", str(data_dir)],
                          cwd=REPO, capture_output=True, text=True, timeout=600)


def test_status_pages_of_the_demo_show_every_source_with_its_last_success(
        tmp_path: Path) -> None:
    built = communiques("demo", "--no-serve", data_dir=tmp_path)
    assert built.returncode == 0, built.stderr
    client = create_app({"DATA_DIR": str(tmp_path / "demo"), "TESTING": True}).test_client()
    data = client.get("/api/status").get_json()
    assert {s["id"] for s in data["sources"]} == SOURCES
    for source in data["sources"]:
        assert source["last_success"] and source["state"] == "ok", source
        assert source["documents"] > 0 and source["newest_published"]
    assert data["failing"] == []
    html = client.get("/status").get_data(as_text=True)
    for source in data["sources"]:
        assert f'id="source-{source["id"]}"' in html and source["last_success"] in html


def test_an_update_rehearsed_on_the_bundled_sites(tmp_path: Path) -> None:
    first = communiques("update", "--sites", "demo/sites", "--log-format", "json",
                        data_dir=tmp_path)
    assert first.returncode == 0, first.stderr
    again = communiques("update", "--all", "--sites", "demo/sites", "--log-format", "json",
                        data_dir=tmp_path)
    assert again.returncode == 0, again.stderr
    events = [json.loads(line) for line in again.stderr.splitlines() if line.startswith("{")]
    done = {e["source"]: e for e in events if e["event"] == "source_done"}
    assert set(done) == SOURCES
    for source_id, run in done.items():
        # The same loopback addresses as the first rehearsal: every listing answers 304.
        assert run["new"] == run["changed"] == run["article_requests"] == 0, run
        assert run["not_modified"] == run["listing_requests"] > 0, (source_id, run)

    status = communiques("status", "--json", data_dir=tmp_path / "rehearsal")
    assert status.returncode == 0, status.stderr
    sources = json.loads(status.stdout)["sources"]
    assert {s["id"] for s in sources} == SOURCES
    assert all(s["last_success"] and s["state"] == "ok" for s in sources), sources
