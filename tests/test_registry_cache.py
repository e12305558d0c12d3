"""The parsed officials registry kept in the data directory (issue 18: an update loads
it before its writer processes start): a load from it equals a fresh parse, any change
to the registry files (a curator's decision) gives a fresh parse again, and only a data
directory an index run prepared keeps it (a read-only command creates nothing)."""

from __future__ import annotations

from pathlib import Path

from indexer.entities import registry as registry_module
from indexer.entities.kept import CACHE_DIR
from indexer.entities.names import key_tokens
from indexer.entities.registry import LOCAL_FILE_NAME, OfficialsRegistry

LOCAL = ('[[official]]\nid = "ana-testic"\nname = "Ana Testić"\ncountry = "RS"\n'
         'aliases = ["Ана Тестић"]\n\n[[rejected]]\nname = "Dear Colleagues"\n')


def _state(registry: OfficialsRegistry) -> tuple:
    return (registry.by_id, registry.by_key, registry.by_merge_key, registry.rejected,
            registry.rejected_keys, registry.max_words)


def _fresh(data_dir: Path) -> OfficialsRegistry:
    files = registry_module.registry_files(data_dir)
    return OfficialsRegistry._parse_files([path.read_bytes() for path in files])


def _kept(data_dir: Path) -> list[Path]:
    return sorted((data_dir / CACHE_DIR).glob("registry-*.pickle"))


def test_a_kept_registry_equals_a_fresh_parse(tmp_path: Path, monkeypatch) -> None:
    (tmp_path / LOCAL_FILE_NAME).write_text(LOCAL, encoding="utf-8")
    OfficialsRegistry.load(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [LOCAL_FILE_NAME]  # not prepared
    (tmp_path / CACHE_DIR).mkdir()  # as an index run makes it
    first = OfficialsRegistry.load(tmp_path)
    (kept,) = _kept(tmp_path)
    parsed = []
    monkeypatch.setattr(OfficialsRegistry, "_parse_files",
                        classmethod(lambda cls, contents: parsed.append(1)))
    again = OfficialsRegistry.load(tmp_path)  # from the kept file: nothing parsed
    monkeypatch.undo()
    assert parsed == [] and again is not first
    assert _state(again) == _state(first) == _state(_fresh(tmp_path))
    assert again.lookup("Ана Тестић").id == "ana-testic"
    assert _kept(tmp_path) == [kept]


def test_a_changed_registry_file_is_parsed_again(tmp_path: Path) -> None:
    local = tmp_path / LOCAL_FILE_NAME
    local.write_text(LOCAL, encoding="utf-8")
    (tmp_path / CACHE_DIR).mkdir()
    OfficialsRegistry.load(tmp_path)
    (before,) = _kept(tmp_path)
    # A curator renames her (the same size and time would not matter: contents count).
    local.write_text(LOCAL.replace("Ana Testić", "Ana Testović"), encoding="utf-8")
    changed = OfficialsRegistry.load(tmp_path)
    assert changed.by_id["ana-testic"].name == "Ana Testović"
    assert _state(changed) == _state(_fresh(tmp_path))
    (after,) = _kept(tmp_path)  # the other one is dropped
    assert after != before
    local.unlink()  # no local file: the seeds alone
    assert "ana-testic" not in OfficialsRegistry.load(tmp_path).by_id


def test_a_damaged_kept_registry_is_parsed_again(tmp_path: Path) -> None:
    (tmp_path / LOCAL_FILE_NAME).write_text(LOCAL, encoding="utf-8")
    (tmp_path / CACHE_DIR).mkdir()
    OfficialsRegistry.load(tmp_path)
    (kept,) = _kept(tmp_path)
    kept.write_bytes(b"not a pickle")
    assert _state(OfficialsRegistry.load(tmp_path)) == _state(_fresh(tmp_path))
    kept.write_bytes(__import__("pickle").dumps({"not": "a registry"}))
    assert _state(OfficialsRegistry.load(tmp_path)) == _state(_fresh(tmp_path))
    # A data directory that cannot keep it still loads.
    (tmp_path / CACHE_DIR).chmod(0o500)
    try:
        (tmp_path / LOCAL_FILE_NAME).write_text(LOCAL + "\n", encoding="utf-8")
        assert _state(OfficialsRegistry.load(tmp_path)) == _state(_fresh(tmp_path))
    finally:
        (tmp_path / CACHE_DIR).chmod(0o700)


def test_index_runs_keep_the_registry(tmp_path: Path) -> None:
    from benchmarks.corpus import generate
    from indexer.archive import Archive
    from indexer.build import update_index

    with Archive(tmp_path) as archive:
        archive.store_many(list(generate(5)))
        update_index(archive, tmp_path)  # the first: a rebuild
    assert len(_kept(tmp_path)) == 1


def _places(gazetteer) -> tuple:  # type: ignore[no-untyped-def]
    return (gazetteer.names, gazetteer.by_key, gazetteer.by_prefix, gazetteer.written,
            gazetteer.abbreviations, gazetteer.max_words)


def test_a_kept_gazetteer_equals_a_fresh_one(tmp_path: Path, monkeypatch) -> None:
    """The gazetteer (CLDR names and countries.toml) is kept beside the registry: read
    back it equals one built, and a damaged file or other code means building it."""
    from indexer.entities import countries

    countries.kept_gazetteer(tmp_path)
    assert not (tmp_path / CACHE_DIR).exists()  # not prepared: nothing written
    (tmp_path / CACHE_DIR).mkdir()
    first = countries.kept_gazetteer(tmp_path)
    (kept,) = sorted((tmp_path / CACHE_DIR).glob("gazetteer-*.pickle"))
    built = []
    real_init = countries.Gazetteer.__init__

    def counted(self) -> None:  # type: ignore[no-untyped-def]
        built.append(1)
        real_init(self)

    monkeypatch.setattr(countries.Gazetteer, "__init__", counted)
    again = countries.kept_gazetteer(tmp_path)
    assert built == [] and again is not first
    assert _places(again) == _places(first) == _places(countries.Gazetteer())
    assert again.match_single(key_tokens("Srbije")[0]) == "RS"
    built.clear()
    kept.write_bytes(b"not a pickle")
    assert _places(countries.kept_gazetteer(tmp_path)) == _places(first) and built == [1]
    # Other code (countries.py changed) is another file name: built again, the old one
    # replaced.
    built.clear()
    source = tmp_path / "countries.py"
    source.write_text(Path(countries.__file__).read_text(encoding="utf-8") + "\n# changed\n",
                      encoding="utf-8")
    monkeypatch.setattr(countries, "_KEPT_CODE", (source, *countries._KEPT_CODE[1:]))
    countries.kept_gazetteer(tmp_path)
    assert built == [1]
    assert [p.name for p in (tmp_path / CACHE_DIR).glob("gazetteer-*.pickle")] != [kept.name]
