"""What `communiques update` prints (issue 15), run as cron or an operator would run it,
in a real process against the fixture sites over loopback, with one ministry's hosts
down: on a terminal, timestamped lines and a progress bar per source; not on a terminal,
one JSON object per line; either way one line for the failing host, not one per URL."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import socket
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a pty")

REPO = Path(__file__).resolve().parent.parent
TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}[+-]\d{2}:\d{2} "
                       r"(INFO|WARNING|ERROR) {1,4}\S")
ARGS = ("update", "--source", "china-mfa", "--source", "serbia-mfa")


def dead_address() -> str:
    """A loopback address nobody listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{probe.getsockname()[1]}"


def environment(tmp_path: Path, base_urls: dict[str, str]) -> dict[str, str]:
    dead = dead_address()
    overrides = {**base_urls, "www.mfa.gov.rs": dead, "arhiviranisajt.msp.gov.rs": dead}
    env = {key: value for key, value in os.environ.items()
           if key != "COMMUNIQUES_LOG_FORMAT"}
    return {**env, "COMMUNIQUES_DATA_DIR": str(tmp_path / "data"),
            "COMMUNIQUES_SITE_OVERRIDES": json.dumps(overrides),
            "COMMUNIQUES_FETCH_ALLOW_PRIVATE_ADDRESSES": "true",
            "COMMUNIQUES_FETCH_DELAY": "0", "COMMUNIQUES_FETCH_MAX_RETRIES": "0"}


def command() -> list[str]:
    return [sys.executable, str(Path(sys.executable).with_name("communiques")), *ARGS]


def on_a_terminal(env: dict[str, str]) -> tuple[int, str]:
    """Run the update with its output on a pseudo-terminal (100 columns); what it drew."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 100, 0, 0))
    run = subprocess.Popen(command(), cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                           stdout=slave, stderr=slave)
    os.close(slave)
    drawn = b""
    deadline = time.monotonic() + 240
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    chunk = os.read(master, 65536)
                except OSError:  # the last writer closed the terminal
                    break
                if not chunk:
                    break
                drawn += chunk
            elif run.poll() is not None:
                break
        code = run.wait(timeout=60)
    finally:
        if run.poll() is None:
            run.kill()
        os.close(master)
    return code, drawn.decode("utf-8", errors="replace")


def test_on_a_terminal_timestamped_lines_and_a_progress_bar_per_source(
        tmp_path: Path, local_sites) -> None:
    code, drawn = on_a_terminal(environment(tmp_path, local_sites.base_urls))
    assert code == 1, drawn  # Serbia's hosts are down
    assert "Traceback" not in drawn
    # tqdm's bar for China, redrawn in place (\r) as its articles are stored (how many
    # redraws, and at which counts, depends on the machine's speed: tqdm redraws at most
    # every 0.1 s)...
    counts = [int(n) for n in re.findall(r"\rchina-mfa: (\d+) articles \[", drawn)]
    assert counts and max(counts) >= 1, drawn
    assert re.search(r"\rserbia-mfa: 0 articles \[", drawn), drawn
    # ... and cleared before each line, which is text with its time, never JSON.
    lines = [line.rsplit("\r", 1)[-1] for line in drawn.split("\r\n") if line.strip()]
    assert lines and all(TIMESTAMP.match(line) for line in lines), lines
    assert any(" INFO    china-mfa: ok - 19 articles found, 19 new" in line for line in lines)
    # Every section of both Serbian sites failed on the one dead host: one line says so.
    failing = [line for line in lines if "serbia-mfa: 127.0.0.1:" in line]
    assert len(failing) == 1 and " ERROR " in failing[0], lines
    assert re.search(r"127\.0\.0\.1: [2-9]\d* failures", failing[0]), failing


def test_not_on_a_terminal_one_json_object_per_line_and_per_failing_host(
        tmp_path: Path, local_sites) -> None:
    run = subprocess.run(command(), cwd=REPO, env=environment(tmp_path,
                                                               local_sites.base_urls),
                         capture_output=True, text=True, timeout=240)
    assert run.returncode == 1, run.stderr
    assert "\r" not in run.stderr  # no progress bar in a log file
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    events = [json.loads(line) for line in lines]  # every line is one JSON object
    assert all({"ts", "level", "event", "message"} <= set(e) for e in events)
    failing = [e for e in events if e["event"] == "host_failed"]
    assert len(failing) == 1, failing
    assert failing[0]["source"] == "serbia-mfa" and failing[0]["host"] == "127.0.0.1"
    assert failing[0]["failures"] > 1
    done = {e["source"]: e for e in events if e["event"] == "source_done"}
    assert done["china-mfa"]["status"] == "ok" and done["china-mfa"]["new"] == 19
    assert done["serbia-mfa"]["status"] == "failed"
