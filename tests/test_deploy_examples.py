"""The deployment examples in deploy/ parse, and the commands they run exist and accept
the options they give (a crontab line, systemd service and timer units, logrotate, and a
gunicorn line)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import run_cli

REPO = Path(__file__).resolve().parent.parent
DEPLOY = REPO / "deploy"
SERVED_FROM = "/srv/communique-search"
CRON_FIELD = re.compile(r"^(\*|\d+(-\d+)?)(/\d+)?(,(\d+(-\d+)?))*$")


def communiques_args(command: str) -> list[str]:
    """The arguments given to `communiques` in a shell command line."""
    words = shlex.split(command.split(">>")[0].split("&&")[-1])
    at = next(i for i, w in enumerate(words) if w.endswith("bin/communiques"))
    return words[at + 1:]


def assert_accepted(app, args: list[str]) -> None:
    # --help is eager but click parses every option first: an unknown one exits 2.
    result = run_cli(app, *args, "--help")
    assert result.exit_code == 0, (args, result.output)


def test_the_crontab_line(app) -> None:
    lines = [line for line in (DEPLOY / "crontab").read_text().splitlines()
             if line.strip() and not line.startswith("#")]
    jobs = [line for line in lines if not re.match(r"^[A-Z_]+=", line)]
    assert len(jobs) == 1
    fields = jobs[0].split(None, 5)
    assert all(CRON_FIELD.match(f) for f in fields[:5]), fields
    command = fields[5]
    assert "flock" not in command  # the writer lock does that job
    assert_accepted(app, communiques_args(command))
    assert command.split("&&")[0].strip() == f"cd {SERVED_FROM}"


def unit(name: str) -> dict[str, dict[str, list[str]]]:
    sections: dict[str, dict[str, list[str]]] = {}
    current = None
    for line in (DEPLOY / name).read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            current = sections.setdefault(line.strip("[]"), {})
            continue
        key, _, value = line.partition("=")
        assert current is not None and key and _, line
        current.setdefault(key, []).append(value)
    return sections


def test_the_systemd_units(app, tmp_path: Path) -> None:
    service = unit("communique-search-update.service")
    timer = unit("communique-search-update.timer")
    web = unit("communique-search-web.service")
    assert service["Service"]["Type"] == ["oneshot"]
    assert "75" in service["Service"]["SuccessExitStatus"][0].split()
    assert timer["Timer"]["Unit"] == ["communique-search-update.service"]
    assert timer["Install"]["WantedBy"] == ["timers.target"]
    assert_accepted(app, communiques_args(service["Service"]["ExecStart"][0]))
    assert "webapp:create_app()" in web["Service"]["ExecStart"][0]
    if shutil.which("systemd-analyze") is None:
        pytest.skip("no systemd-analyze: the structural checks above only")
    # Verified as installed here: the paths of this checkout, a user that exists.
    units = tmp_path / "units"
    units.mkdir()
    for name in ("communique-search-update.service", "communique-search-update.timer",
                 "communique-search-web.service"):
        text = (DEPLOY / name).read_text().replace(SERVED_FROM, str(REPO))
        text = re.sub(r"^(User|Group)=.*$", r"\1=root", text, flags=re.M)
        text = text.replace(f"{REPO}/.venv/bin/", f"{Path(sys.executable).parent}/")
        (units / name).write_text(text)
    checked = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *sorted(str(p) for p in units.iterdir())],
        capture_output=True, text=True, cwd=units, timeout=60)
    problems = [line for line in checked.stderr.splitlines() if "communique-search" in line]
    assert checked.returncode == 0 and not problems, checked.stderr


def test_logrotate(tmp_path: Path) -> None:
    text = (DEPLOY / "logrotate.conf").read_text()
    body = re.sub(r"#.*", "", text)
    match = re.fullmatch(r"\s*(\S+)\s*\{([^{}]*)\}\s*", body)
    assert match, "one log path and one block of directives"
    crontab = (DEPLOY / "crontab").read_text()
    assert f">> {match.group(1)}" in crontab  # it rotates the log the crontab line writes
    known = {"weekly", "daily", "monthly", "rotate", "maxsize", "compress", "delaycompress",
             "missingok", "notifempty", "copytruncate", "su", "create"}
    directives = [line.split()[0] for line in match.group(2).splitlines() if line.strip()]
    assert set(directives) <= known, directives
    assert "copytruncate" in directives  # cron's shell keeps the file open during a run
    if shutil.which("logrotate"):
        state = tmp_path / "state"
        checked = subprocess.run(["logrotate", "--debug", "--state", str(state),
                                  str(DEPLOY / "logrotate.conf")], capture_output=True,
                                 text=True, timeout=30)
        assert "error" not in checked.stderr.lower(), checked.stderr


def test_the_gunicorn_line(tmp_path: Path) -> None:
    line = next(line for line in (DEPLOY / "gunicorn.sh").read_text().splitlines()
                if "gunicorn" in line and not line.startswith("#"))
    words = shlex.split(line)[1:]  # without `exec`
    gunicorn = Path(sys.executable).with_name("gunicorn")
    if not gunicorn.exists():
        pytest.skip("gunicorn is not installed (pip install -e '.[bench]')")
    # --check-config loads the app with every option given, then exits.
    checked = subprocess.run([str(gunicorn), "--check-config", *words[1:]], cwd=REPO,
                             capture_output=True, text=True, timeout=120,
                             env={"COMMUNIQUES_DATA_DIR": str(tmp_path), "PATH": "/usr/bin"})
    assert checked.returncode == 0, checked.stderr
