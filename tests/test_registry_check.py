"""The officials registry's files: read in order, and checked (`officials --check`)."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import run_cli

from indexer.entities import registry
from indexer.entities.check import check_files, cyrillic_scripts
from indexer.entities.registry import LOCAL_FILE_NAME, OfficialsRegistry, seed_files
from webapp import create_app

GOOD = '''
[[official]]
id = "ivo-andric"
name = "Ivo Andrić"
aliases = ["Ivo Andric", "Иво Андрић", "Иво Андрич"]
country = "RS"
[[official.roles]]
title = "Minister"
from = "2001-01-01"
to = "2002-01-01"
[[official.roles]]
title = "Minister"
from = "2002-01-01"
'''

BAD = '''# a header comment
[[official]]
id = "ivo-andric"
name = "Ivo Andrić"
aliases = ["Иво Андрић", "Иво Андрич"]
country = "RS"

[[official]]
id = "mesa-selimovic"
name = "Meša Selimović"
aliases = ["Meša Selimović", "Меша Селимовић"]
country = "RS"
nickname = "Meša"
[[official.roles]]
title = "Minister of Foreign Affairs"
organisation = "Ministry of Foreign Affairs of Serbia"
from = "2001-01-01"
to = "2004-01-01"
[[official.roles]]
title = "Minister of Foreign Affairs"
organisation = "Ministry of Foreign Affairs of Serbia"
from = "2003-06-01"
[[official.roles]]
title = "President"
from = "2010-05-01"
to = "2009-05-01"

[[official]]
id = "danilo-kis"
name = "Danilo Kiš"
aliases = ["Иво Андрич", "Данило Киш"]
country = "RS"
'''


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def messages(problems, severity: str) -> list[tuple[str, int, str]]:
    return [(p.path.name, p.line, p.message) for p in problems if p.severity == severity]


def test_each_kind_of_mistake_is_found_at_its_entry(tmp_path: Path) -> None:
    good = write(tmp_path, "a.toml", GOOD)
    bad = write(tmp_path, "b.toml", BAD)
    assert check_files([good]) == []
    problems = check_files([good, bad])
    errors = messages(problems, "error")
    # The id the first file already used, reported where the second file uses it.
    assert any(f == "b.toml" and line == 2 and "'ivo-andric' is already used at" in m
               and "a.toml:2" in m for f, line, m in errors)
    assert ("b.toml", 8, "mesa-selimovic: unknown key 'nickname'") in errors
    overlap = [m for f, line, m in errors if line == 8 and "overlaps" in m]
    assert len(overlap) == 1
    assert "2003-06-01 – present overlaps 2001-01-01 – 2004-01-01" in overlap[0]
    assert any(line == 8 and "from 2010-05-01 is after to 2009-05-01" in m for _, line, m in errors)
    # Kiš's alias is Andrić's Russian spelling: his mentions would be mis-assigned.
    assert any(line == 28 and m.startswith("danilo-kis: spelling 'Иво Андрич'")
               and "also names 'ivo-andric'" in m for _, line, m in errors)
    warnings = messages(problems, "warning")
    assert ("b.toml", 8, "mesa-selimovic: no Russian Cyrillic spelling") in warnings
    assert ("b.toml", 8, "mesa-selimovic: spelling 'Meša Selimović' is given more than once"
            ) in warnings
    # Киш has no telling letter: the one spelling serves Serbian and Russian alike.
    assert not any(m.startswith("danilo-kis: no") for _, _, m in warnings)
    # Roles that hand over on a boundary day do not overlap; a person's own repeated
    # spelling is no ambiguity.
    assert not any("ivo-andric" in m and "overlaps" in m for _, _, m in errors)
    assert len(errors) == 5, errors


def test_unparsable_file_and_missing_keys(tmp_path: Path) -> None:
    broken = write(tmp_path, "broken.toml", '[[official]]\nid = "x"\nname = "X\n')
    [problem] = check_files([broken])
    assert problem.severity == "error" and problem.line == 3 and "not valid TOML" in problem.message
    missing = write(tmp_path, "missing.toml", '\n[[official]]\nname = "Nobody"\nroles = []\n'
                    '[extra]\nx = 1\n')
    errors = messages(check_files([missing]), "error")
    assert ("missing.toml", 2, "Nobody: missing required key 'id'") in errors
    assert ("missing.toml", 2, "Nobody: missing required key 'country'") in errors
    assert ("missing.toml", 1, "unknown top-level key 'extra'") in errors


def test_initial_read_as_an_honorific_is_reported(tmp_path: Path) -> None:
    """"Г.Браун" folds to "g braun" and the matcher drops "g" (an honorific): every Braun
    would be Gordon Brown."""
    entry = ('[[official]]\nid = "gordon-brown"\nname = "Gordon Brown"\ncountry = "GB"\n'
             'aliases = ["Гордон Браун", {}]\n')
    risky = write(tmp_path, "risky.toml", entry.format('"Г.Браун"'))
    assert messages(check_files([risky]), "warning") == [
        ("risky.toml", 1, "gordon-brown: spelling 'Г.Браун' matches as the bare word 'braun': "
         "its other words read as honorifics")]
    # Given alone as well, the bare surname is meant: nothing to report.
    meant = write(tmp_path, "meant.toml", entry.format('"Г.Браун", "Браун"'))
    assert check_files([meant]) == []


def test_curators_decisions_in_the_local_file(tmp_path: Path) -> None:
    """`[[merged]]` and `[[rejected]]` (from `officials --merge/--reject`) are known tables;
    a merge must name a person some file defines."""
    local = write(tmp_path, LOCAL_FILE_NAME, (
        '[[merged]]\nname = "I. Dačić"\ninto = "ivica-dacic"\n\n'
        '[[merged]]\nname = "Nobody Known"\ninto = "no-such-person"\n\n'
        '[[merged]]\nname = "Half Done"\n\n'
        '[[rejected]]\nname = "Dear Colleagues"\nreason = "a greeting"\n'))
    errors = messages(check_files([*seed_files(), local]), "error")
    assert errors == [
        (LOCAL_FILE_NAME, 5, "merged into 'no-such-person', which no file defines"),
        (LOCAL_FILE_NAME, 9, "merged: missing required key 'into'"),
        (LOCAL_FILE_NAME, 12, "rejected: unknown key 'reason'"),
    ]


@pytest.mark.parametrize("spelling, scripts", [
    ("Ивица Дачић", {"sr"}), ("Сергей Лавров", {"ru"}), ("Путин", {"sr", "ru"}),
    ("Андрій Сибіга", set()), ("Ivica Dačić", set()), ("Ђорђе Илья", set()),
])
def test_serbian_and_russian_cyrillic_told_apart(spelling: str, scripts: set[str]) -> None:
    assert cyrillic_scripts(spelling) == scripts


def test_seed_files_have_no_errors() -> None:
    files = seed_files()
    assert files[0].name == "officials.toml"
    assert {"europe-balkans.toml", "p5.toml"} <= {f.name for f in files[1:]}
    errors = [str(p) for p in check_files(files) if p.severity == "error"]
    assert errors == []


def test_region_files_are_read_after_the_seed_and_before_the_local_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seeds = tmp_path / "officials.d"
    seeds.mkdir()
    write(seeds, "b.toml", GOOD.replace("Иво Андрич", "Иво Андрич Б"))
    write(seeds, "a.toml", GOOD.replace('id = "ivo-andric"', 'id = "danilo-kis"')
          .replace("Ivo Andric", "Danilo Kis"))
    monkeypatch.setattr(registry, "SEED_DIR", seeds)
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    loaded = OfficialsRegistry.load(data_dir)
    assert loaded.lookup("Dačić").id == "ivica-dacic"  # officials.toml still read
    assert loaded.lookup("Danilo Kis").id == "danilo-kis"
    assert "Иво Андрич Б" in loaded.by_id["ivo-andric"].aliases
    # Name order: a.toml's entry claims the spelling both files give.
    assert loaded.lookup("Иво Андрић").id == "danilo-kis"
    write(data_dir, LOCAL_FILE_NAME, GOOD.replace("Иво Андрич", "Иво Андрич Л"))
    assert "Иво Андрич Л" in OfficialsRegistry.load(data_dir).by_id["ivo-andric"].aliases


def test_check_command(tmp_path: Path) -> None:
    app = create_app({"TESTING": True, "DATA_DIR": str(tmp_path)})
    bad = write(tmp_path, "b.toml", BAD)
    result = run_cli(app, "officials", "--check", str(bad))
    assert result.exit_code == 1
    lines = result.output.splitlines()
    assert f"{bad}:8: error: mesa-selimovic: unknown key 'nickname'" in lines
    assert lines[-1] == "1 files: 4 errors, 2 warnings"
    # Default: every seed file and the data directory's own file.
    write(tmp_path, LOCAL_FILE_NAME, GOOD)
    result = run_cli(app, "officials", "--check")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1].startswith(f"{len(seed_files()) + 1} files: 0 errors")
    warnings_only = write(tmp_path, "w.toml", GOOD.replace(', "Иво Андрич"', ""))
    result = run_cli(app, "officials", "--check", str(warnings_only))
    assert result.exit_code == 0 and "no Russian Cyrillic spelling" in result.output
