"""Health per source (`communiques status [--json]`, `/status`, `/api/status`) and the
command line an operator meets: options after the subcommand, one-line errors (no
traceback) for a missing archive, a taken port and an unreadable definition."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner
from conftest import run_cli

from webapp import create_app
from webapp.cli import EXIT_BAD_DEFINITION, EXIT_NO_ARCHIVE, EXIT_PORT_TAKEN, cli

REPO = Path(__file__).resolve().parent.parent
SOURCES = {"china-mfa", "russia-mid", "serbia-mfa", "uk-fcdo", "us-state"}


def test_status_pages_show_every_source_with_its_last_success(client) -> None:
    data = client.get("/api/status").get_json()
    assert {s["id"] for s in data["sources"]} == SOURCES
    for source in data["sources"]:
        assert source["last_success"] and source["state"] == "ok", source
        assert source["consecutive_failures"] == 0 and source["documents"] > 0
        assert source["newest_published"]
    assert data["failing"] == [] and data["index"]["documents"] == data["archive"]["communiques"]
    assert data["newest_document"]["published"] == max(s["newest_published"]
                                                       for s in data["sources"])
    page = client.get("/status")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for source in data["sources"]:
        assert f'id="source-{source["id"]}"' in html and source["last_success"] in html
    assert "No source is failing." in html


def test_status_json_and_text(crawled_app) -> None:
    result = run_cli(crawled_app, "status", "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert {s["id"] for s in data["sources"]} == SOURCES
    text = run_cli(crawled_app, "status")
    assert text.exit_code == 0
    assert "china-mfa: ok; last success" in text.output


def test_options_are_accepted_after_the_subcommand(crawled_app, tmp_path: Path) -> None:
    data_dir = crawled_app.config["DATA_DIR"]
    runner = CliRunner()
    before = runner.invoke(cli, ["--data-dir", data_dir, "status", "--json"],
                           obj=create_app({"TESTING": True}))
    after = runner.invoke(cli, ["status", "--data-dir", data_dir, "--json"],
                          obj=create_app({"TESTING": True}))
    joined = runner.invoke(cli, ["status", f"--data-dir={data_dir}"],
                           obj=create_app({"TESTING": True}))
    assert before.exit_code == after.exit_code == joined.exit_code == 0, after.output
    assert json.loads(before.output)["archive"] == json.loads(after.output)["archive"]
    assert "china-mfa" in joined.output


def test_read_only_commands_on_an_empty_directory_say_how_to_make_an_archive(
        tmp_path: Path) -> None:
    for command in (["status"], ["search", "kosovo"], ["serve"], ["sources"]):
        empty = tmp_path / "empty"
        result = subprocess.run(
            [sys.executable, "-m", "webapp.cli", *command, "--data-dir", str(empty)],
            cwd=REPO, capture_output=True, text=True, timeout=60)
        assert result.returncode == EXIT_NO_ARCHIVE, (command, result.stderr)
        lines = result.stderr.strip().splitlines()
        assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
        assert "no archive" in lines[0] or "does not exist" in lines[0]
        assert "communiques update" in lines[0]
        assert not empty.exists()  # nothing created by a read-only command
    empty.mkdir()
    result = subprocess.run([sys.executable, "-m", "webapp.cli", "status", "--data-dir",
                             str(empty)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_NO_ARCHIVE and "holds no archive yet" in result.stderr
    assert list(empty.iterdir()) == []


def test_a_taken_port_is_one_line(crawled_app) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run(
            [sys.executable, "-m", "webapp.cli", "serve", "--port", str(port),
             "--data-dir", crawled_app.config["DATA_DIR"]],
            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == EXIT_PORT_TAKEN, result.stderr
    assert "Traceback" not in result.stderr
    assert f"cannot serve on 127.0.0.1:{port}" in result.stderr
    assert "--port" in result.stderr


def test_an_unreadable_definition_is_one_line(crawled_app, monkeypatch) -> None:
    from scrapers.sources import SourceDefinitionError, load_source_file

    broken = Path(crawled_app.config["DATA_DIR"]).parent / "broken.toml"
    broken.write_bytes(b"id = \"x\"\n\xff\xfe not utf-8")
    try:
        load_source_file(broken)
    except SourceDefinitionError as exc:
        error = exc
    monkeypatch.setattr("webapp.cli.load_sources", lambda: (_ for _ in ()).throw(error))
    result = run_cli(crawled_app, "update", "--all")
    assert result.exit_code == EXIT_BAD_DEFINITION
    assert "bad source definition" in result.output and "cannot be read" in result.output
