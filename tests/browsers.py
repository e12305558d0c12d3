"""What the browser tests share: Debian's Chromium (required in CI, else the module is
skipped), launched headless with the flags this machine needs, and the app served by
waitress on a loopback port."""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update"]


def require_chromium() -> None:
    """Skip the calling test module without Chromium; fail it when CI requires one."""
    if not os.path.exists(CHROMIUM) or shutil.which("chromium") is None:
        if os.environ.get("COMMUNIQUES_REQUIRE_BROWSER"):
            raise RuntimeError("browser tests required but /usr/bin/chromium is missing")
        pytest.skip("Debian's chromium is not installed", allow_module_level=True)


def launch(playwright: Any) -> Any:
    """Headless Chromium (Playwright's own browser download does not work here)."""
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True,
                                      args=CHROMIUM_ARGS)


@contextmanager
def served(app: Any, threads: int = 4) -> Iterator[str]:
    """The app served by waitress on a free loopback port, in a background thread."""
    from waitress.server import create_server

    server = create_server(app, host="127.0.0.1", port=0, threads=threads)
    threading.Thread(target=server.run, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.effective_port}"
    finally:
        server.close()
