"""Validation of the officials registry files (`communiques officials --check`).

The registry is data typed by hand in several files by several people; the matcher
silently takes the first person a spelling's key meets, so mistakes cost wrong
mentions rather than errors. This finds them: unparsable files, missing or unknown
keys, ids used twice, spellings two people share, impossible or self-overlapping
role spans, and people a Serbian or Russian communiqué could not name.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from indexer.entities.names import key_tokens, name_key
from indexer.entities.registry import LOCAL_FILE_NAME, slug

ENTRY_KEYS = frozenset({"id", "name", "aliases", "honorific_forms", "country", "roles"})
REQUIRED_KEYS = ("id", "name", "country")
ROLE_KEYS = frozenset({"title", "organisation", "from", "to"})
# Curators' decisions, in the data directory's file (`communiques officials --merge`,
# `--reject`): spellings moved to a person, names that are no one's.
DECISION_KEYS = {"merged": frozenset({"name", "into", "id", "aliases"}),
                 "rejected": frozenset({"name", "aliases"})}

# Cyrillic letters only one of the two languages writes. Letters of neither (Ukrainian і ї
# є ґ, Macedonian ѓ ќ ѕ, Belarusian ў) make a spelling count for neither; a spelling with
# no telling letter (Путин, Макрон) is written the same in both and counts for both.
SERBIAN_ONLY = frozenset("ђјљњћџ")
RUSSIAN_ONLY = frozenset("йёъыьэюящ")
OTHER_CYRILLIC = frozenset("іїєґѓќѕў")
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
_TOML_LINE = re.compile(r"at line (\d+)")


@dataclass(frozen=True)
class Problem:
    path: Path
    line: int
    message: str
    severity: str = "error"  # or "warning"

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}: {self.message}"


def cyrillic_scripts(spelling: str) -> set[str]:
    """Which of Serbian ("sr") and Russian ("ru") Cyrillic a spelling is written in."""
    letters = set(spelling.lower())
    if not _CYRILLIC.search(spelling) or letters & OTHER_CYRILLIC:
        return set()
    serbian, russian = bool(letters & SERBIAN_ONLY), bool(letters & RUSSIAN_ONLY)
    if serbian and russian:
        return set()  # a mix is neither language's spelling
    if serbian:
        return {"sr"}
    if russian:
        return {"ru"}
    return {"sr", "ru"}


def _header_lines(text: str, entries: list, table: str = "official") -> list[int]:
    """The line of each entry's `[[official]]` (or other table's) header (1-based)."""
    header = re.compile(rf"^[ \t]*\[\[[ \t]*{table}[ \t]*\]\]", re.MULTILINE)
    lines = [text.count("\n", 0, m.start()) + 1 for m in header.finditer(text)]
    if len(lines) == len(entries):
        return lines
    if table != "official":  # written inline: no better place than the file's top
        return [1] * len(entries)
    # Headers written some other way (inline tables): find each entry by its id.
    found = []
    for entry in entries:
        match = re.search(rf"^[ \t]*id[ \t]*=[ \t]*[\"']{re.escape(str(entry.get('id', '')))}[\"']",
                          text, re.MULTILINE) if entry.get("id") else None
        line = text.count("\n", 0, match.start()) + 1 if match else 1
        before = [h for h in lines if h <= line]
        found.append(before[-1] if before else line)
    return found


def _as_date(value: object) -> date | None:
    if isinstance(value, date):
        return value
    return date.fromisoformat(value) if isinstance(value, str) else None


def _role_problems(roles: object) -> list[str]:
    """Errors in one person's roles: bad dates, spans ending before they start, and the
    same title at the same organisation held twice at once."""
    if not isinstance(roles, list):
        return ["`roles` is not a list of tables"]
    found: list[str] = []
    problem = found.append
    spans: dict[tuple[str, str], list[tuple[date | None, date | None]]] = {}
    for role in roles:
        if not isinstance(role, dict):
            problem("a role is not a table")
            continue
        title = str(role.get("title", ""))
        for key in sorted(set(role) - ROLE_KEYS):
            problem(f"role {title!r}: unknown key {key!r}")
        if not title:
            problem("a role without a title")
        try:
            start, end = _as_date(role.get("from")), _as_date(role.get("to"))
        except ValueError as error:
            problem(f"role {title!r}: {error}")
            continue
        if start and end and start > end:
            problem(f"role {title!r}: from {start} is after to {end}")
            continue
        key = (title, str(role.get("organisation", "")))
        for other_start, other_end in spans.get(key, []):
            # Spans that share only their boundary day are a handover, not an overlap.
            if ((start is None or other_end is None or start < other_end)
                    and (other_start is None or end is None or other_start < end)):
                problem(f"role {title!r} ({key[1] or 'no organisation'}): "
                        f"{start or '?'} – {end or 'present'} overlaps "
                        f"{other_start or '?'} – {other_end or 'present'}")
        spans.setdefault(key, []).append((start, end))
    return found


def check_files(paths: Sequence[Path | str]) -> list[Problem]:
    """Every problem in these registry files, read together (ids and spellings are
    checked across all of them), in file and line order."""
    problems: list[Problem] = []
    ids: dict[str, tuple[Path, int]] = {}
    keys: dict[tuple[str, ...], tuple[str, str, Path, int]] = {}  # -> id, spelling, where
    merges: list[tuple[str, Path, int]] = []  # (into, where): checked once all ids are read
    for path in map(Path, paths):
        try:
            text = path.read_text(encoding="utf-8")
            data = tomllib.loads(text)
        except (OSError, UnicodeDecodeError) as error:
            problems.append(Problem(path, 1, f"cannot read: {error}"))
            continue
        except tomllib.TOMLDecodeError as error:
            at = _TOML_LINE.search(str(error))
            problems.append(Problem(path, int(at.group(1)) if at else 1,
                                    f"not valid TOML: {error}"))
            continue
        for key in sorted(set(data) - {"official", *DECISION_KEYS}):
            problems.append(Problem(path, 1, f"unknown top-level key {key!r}"))
        problems += _decision_problems(text, data, path, merges)
        entries = data.get("official", [])
        if not isinstance(entries, list):
            problems.append(Problem(path, 1, "`official` is not an array of tables"))
            continue
        for entry, line in zip(entries, _header_lines(text, entries), strict=True):
            if not isinstance(entry, dict):
                problems.append(Problem(path, line, "an entry is not a table"))
                continue
            problems += [Problem(path, line, message, severity) for message, severity
                         in _entry_problems(entry, path, line, ids, keys)]
    problems += [Problem(path, line, f"merged into {into!r}, which no file defines")
                 for into, path, line in merges if into not in ids]
    order = {path: i for i, path in enumerate(map(Path, paths))}
    return sorted(problems, key=lambda p: (order[p.path], p.line))


def _decision_problems(text: str, data: dict, path: Path,
                       merges: list[tuple[str, Path, int]]) -> list[Problem]:
    """Malformed `[[merged]]` and `[[rejected]]` tables; the people merges name are
    collected in `merges` to be checked against every file's ids."""
    problems = []
    for table, allowed in DECISION_KEYS.items():
        entries = data.get(table, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(Problem(path, 1, f"`{table}` is not an array of tables"))
            continue
        for entry, line in zip(entries, _header_lines(text, entries, table), strict=True):
            for key in sorted(set(entry) - allowed):
                problems.append(Problem(path, line, f"{table}: unknown key {key!r}"))
            if not entry.get("name"):
                problems.append(Problem(path, line, f"{table}: missing required key 'name'"))
            if table == "merged":
                if not entry.get("into"):
                    problems.append(Problem(path, line, "merged: missing required key 'into'"))
                else:
                    merges.append((str(entry["into"]), path, line))
    return problems


def _entry_problems(entry: dict, path: Path, line: int, ids: dict[str, tuple[Path, int]],
                    keys: dict[tuple[str, ...], tuple[str, str, Path, int]],
                    ) -> list[tuple[str, str]]:
    """(message, severity) for one entry; `ids` and `keys` collect what earlier entries
    claimed, so clashes across files are found."""
    official_id = str(entry.get("id", ""))
    name = str(entry.get("name", ""))
    who = official_id or name or "an entry"
    found: list[tuple[str, str]] = []

    def problem(message: str, severity: str = "error") -> None:
        found.append((f"{who}: {message}", severity))

    for key in REQUIRED_KEYS:
        if not entry.get(key):
            problem(f"missing required key {key!r}")
    for key in sorted(set(entry) - ENTRY_KEYS):
        problem(f"unknown key {key!r}")
    if official_id:
        if official_id in ids:
            first_path, first_line = ids[official_id]
            if path.name == LOCAL_FILE_NAME:
                # The data directory's file is read last: a curator's entry with an id
                # already defined replaces it (`communiques officials --rename`).
                problem(f"replaces the entry at {first_path}:{first_line}", "warning")
            else:
                problem(f"id {official_id!r} is already used at {first_path}:{first_line}")
        else:
            ids[official_id] = (path, line)
        if name and official_id != slug(name):
            problem(f"id {official_id!r} is not the slug of the name ({slug(name)!r})",
                    "warning")
    country = entry.get("country", "")
    if country and not re.fullmatch(r"[A-Z]{2}", str(country)):
        problem(f"country {country!r} is not an ISO alpha-2 code")
    spellings = [name] if name else []
    for key in ("aliases", "honorific_forms"):
        values = entry.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            problem(f"`{key}` is not a list of strings")
            continue
        spellings += values
    for repeated in sorted({s for s in spellings if spellings.count(s) > 1}):
        problem(f"spelling {repeated!r} is given more than once", "warning")
    # "Г.Браун", "Э.Рама": Г, Х, Э fold to g, h, e, which the matcher drops as honorifics,
    # so the initial is lost and the surname alone is matched, unless meant (given alone).
    given_alone = {name_key(s) for s in spellings if len(key_tokens(s)) == 1}
    for spelling in spellings:
        spelled = name_key(spelling)
        if len(spelled) == 1 and len(key_tokens(spelling)) > 1 and spelled not in given_alone:
            problem(f"spelling {spelling!r} matches as the bare word {spelled[0]!r}: its other "
                    "words read as honorifics", "warning")
    for spelling in spellings:
        spelled = name_key(spelling)
        if not spelled:
            problem(f"spelling {spelling!r} has no words to match", "warning")
            continue
        owner = keys.get(spelled)
        if owner is None:
            keys[spelled] = (official_id, spelling, path, line)
        elif owner[0] != official_id:
            problem(f"spelling {spelling!r} (key {' '.join(spelled)!r}) also names "
                    f"{owner[0]!r} ({owner[1]!r} at {owner[2]}:{owner[3]}); mentions would go "
                    "to the first")
    scripts = set().union(*(cyrillic_scripts(s) for s in spellings))
    for script, language in (("sr", "Serbian"), ("ru", "Russian")):
        if script not in scripts:
            problem(f"no {language} Cyrillic spelling", "warning")
    for message in _role_problems(entry.get("roles", [])):
        problem(message)
    return found
