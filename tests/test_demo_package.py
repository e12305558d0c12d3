"""The demo owns its copy of the sites and their server; the default data directory is
./index where the command runs (issue 17, item 6)."""

from __future__ import annotations

import os
from pathlib import Path
from urllib.request import urlopen

import demo
from demo.localsites import LocalSites
from scrapers.sources import load_sources
from webapp import create_app
from webapp.cli import DEMO_SITES

REPO = Path(__file__).resolve().parent.parent


def test_the_demo_serves_its_own_copy_of_every_source(tmp_path: Path) -> None:
    assert DEMO_SITES == demo.SITES == REPO / "demo" / "sites"
    assert not DEMO_SITES.is_relative_to(REPO / "tests")
    hosts = {site.host for source in load_sources().values() for site in source.sites}
    assert hosts <= {p.name for p in DEMO_SITES.iterdir() if p.is_dir()}
    with LocalSites(DEMO_SITES) as sites:
        with urlopen(sites.base_urls["www.fmprc.gov.cn"] + "/eng/xw/zyxw/") as response:
            assert response.status == 200 and b"list1" in response.read()


def test_the_default_data_dir_is_index_in_the_working_directory(tmp_path: Path,
                                                                monkeypatch) -> None:
    monkeypatch.delenv("COMMUNIQUES_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    app = create_app({"TESTING": True})
    assert Path(app.config["DATA_DIR"]).resolve() == tmp_path / "index"
    assert not os.path.isabs(app.config["DATA_DIR"])
