""""Did you mean": corrections for the words of a search that found nothing or little.

Two sources, both the index's own: the folded terms of the searched text (title and
body), so a misspelling is corrected to a word the communiqués really use ("Lavrof" ->
Lavrov), shown in the script and spelling the user typed in ("Дачич" -> Дачић: the
most common spelling, in that script, of the folded term); and the officials registry,
whose names are offered in the user's script when the registry has such an alias.

Words are compared folded (scripts, diacritics and case endings removed), by edit
distance (rapidfuzz), and ranked by distance, then by how many documents use the word.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import re
import shutil
import signal
import stat
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from indexer.folding import WORD, folded_term, folded_term_uncached

# A search with this many results or fewer is offered corrections (zero always is).
FEW_RESULTS = 3
MAX_SUGGESTIONS = 3
# Shorter words are left alone: one edit turns most of them into another real word.
MIN_WORD_LENGTH = 4
# A correction must be used by this many times more documents than the word as typed.
MORE_COMMON = 3
# The lexicon of an index generation is read by one background thread (LexiconCache),
# never inside a request; a build past these bounds gives up, and that generation's
# searches get registry-only suggestions.
LEXICON_BUILD_LIMIT = 120.0  # seconds
MAX_LEXICON_TERMS = 3_000_000  # terms read over the four fields
# What one "did you mean" may spend: past it, the words not yet corrected are left as typed.
SUGGESTION_TIME_LIMIT = 0.5  # seconds
MAX_CORRECTED_WORDS = 10  # words of one query looked up in the lexicon
# Query-language words, never corrected.
_OPERATORS = frozenset({"AND", "OR", "NOT", "TO"})
log = logging.getLogger(__name__)
_CYRILLIC = re.compile(r"[\u0400-\u04ff]")
# A word of the query: a field prefix, a quoted phrase's word, a plain word, with what
# follows it (":" marks a field name, "*" or "~" a prefix or fuzzy word).
_TOKEN = re.compile(r"(?P<field>\w+:)?(?P<word>\w+)(?P<after>[*~]?)")


def max_distance(word: str) -> int:
    """Edits allowed for a folded word of this length: 1 up to 5 letters, then 2."""
    return 1 if len(word) <= 5 else 2


def is_cyrillic(text: str) -> bool:
    return bool(_CYRILLIC.search(text))


def in_case_of(typed: str, word: str) -> str:
    """`word` written with the capitals of `typed` (Lavrof -> Lavrov, LAVROF -> LAVROV)."""
    if typed.isupper() and len(typed) > 1:
        return word.upper()
    if typed[:1].isupper():
        return word[:1].upper() + word[1:]
    return word


@dataclass
class Lexicon:
    """The searched fields' terms: folded terms with their document frequencies, and
    for each folded term the spellings (lower-cased, as written) that make it."""

    folded: Mapping[str, int]  # folded term -> documents
    exact: Mapping[str, int]  # lower-cased spelling -> documents
    spellings: dict[str, dict[str, int]] = field(default_factory=dict)
    _terms: list[str] = field(default_factory=list)

    @classmethod
    def from_terms(cls, folded: Iterable[tuple[str, int]],
                   exact: Iterable[tuple[str, int]]) -> Lexicon:
        folded_df: dict[str, int] = {}
        for term, df in folded:
            folded_df[term] = max(df, folded_df.get(term, 0))
        exact_df: dict[str, int] = {}
        for term, df in exact:
            exact_df[term] = max(df, exact_df.get(term, 0))
        spellings: dict[str, dict[str, int]] = {}
        # One str object per folded term (the keys of folded_df), not two equal ones.
        same = {term: term for term in folded_df}
        for spelling, df in exact_df.items():
            term = folded_term_uncached(spelling)
            spellings.setdefault(same.get(term, term), {})[spelling] = df
        return cls(folded_df, exact_df, spellings, sorted(folded_df))

    @classmethod
    def from_reader(cls, reader: Any, deadline: float | None = None,
                    max_terms: int = MAX_LEXICON_TERMS,
                    stop: Callable[[], bool] | None = None) -> Lexicon:
        """The lexicon of an open Whoosh reader's title and body fields.

        Raises LexiconUnavailable past `deadline` (time.monotonic()), past `max_terms`
        terms (counted per segment), or when `stop()` turns true (checked every few
        thousand terms)."""
        read = 0

        def terms(fields: tuple[str, ...]) -> Iterable[tuple[str, int]]:
            nonlocal read
            for name in fields:
                # Segment by segment, summed: a segment walks its terms with their infos
                # in one pass, where a multi-segment reader looks each term up in every
                # segment (about 50 times slower).
                documents: dict[bytes | str, int] = {}
                for leaf, _ in reader.leaf_readers():
                    for term, info in leaf.iter_field(name):
                        read += 1
                        if read % 4096 == 1:  # the first term too: a spent deadline reads none
                            if deadline is not None and time.monotonic() > deadline:
                                raise LexiconUnavailable(f"not read in time ({read:,} terms)")
                            if stop is not None and stop():
                                raise LexiconUnavailable("no longer wanted")
                        if read > max_terms:
                            raise LexiconUnavailable(f"over {max_terms:,} terms")
                        documents[term] = documents.get(term, 0) + info.doc_frequency()
                for term, df in documents.items():
                    text = term.decode("utf-8") if isinstance(term, bytes) else term
                    if not text.isdigit():
                        yield text, df

        return cls.from_terms(terms(("title", "body")), terms(("title_exact", "body_exact")))

    def near(self, term: str, distance: int) -> list[tuple[str, int, int]]:
        """Folded terms within `distance` edits of `term`: (term, edits, documents),
        closest first, then the most used."""
        found = process.extract(term, self._terms, scorer=Levenshtein.distance,
                                score_cutoff=distance, limit=None)
        ranked = [(t, int(d), self.folded[t]) for t, d, _ in found]
        ranked.sort(key=lambda c: (c[1], -c[2], c[0]))
        return ranked

    def spellings_in(self, term: str, cyrillic: bool, avoid: str = "") -> list[tuple[str, int]]:
        """The spellings of a folded term in one script (not `avoid`), with documents."""
        return [(s, df) for s, df in self.spellings.get(term, {}).items()
                if s != avoid and is_cyrillic(s) == cyrillic]

    def spelling(self, term: str, cyrillic: bool, avoid: str = "") -> tuple[str, int] | None:
        """The most used spelling of a folded term in one script (not `avoid`)."""
        choices = self.spellings_in(term, cyrillic, avoid)
        if not choices:
            return None
        return max(choices, key=lambda c: (c[1], -len(c[0]), c[0]))


# The lexicon written by the index writer beside its generation data (indexer.gendata),
# mapped by every worker: sorted string arrays instead of Python dicts of every term.
LEXICON_DIR = "lexicon"
LEXICON_PENDING = "lexicon-writing"  # in a data directory while its lexicon is computed
LEXICON_FORMAT = 1
# How long a worker waits for a lexicon the writer is computing before building its own.
LEXICON_WAIT = LEXICON_BUILD_LIMIT


class _Strings:
    """A set of strings, numbered: grouped by length in characters, sorted within a group
    as numpy sorts bytes, each group one fixed-width UTF-8 array (`S<width>`) in one blob.
    `groups` rows: (characters, width in bytes, first byte, first number)."""

    def __init__(self, blob: np.ndarray, groups: np.ndarray) -> None:
        self.blob = blob
        self.groups = groups
        self.size = int(groups[-1, 3]) if len(groups) else 0  # a last row holds the total
        self._by_length = {int(row[0]): n for n, row in enumerate(groups[:-1])}

    @staticmethod
    def arrays(strings: Iterable[str]) -> tuple[np.ndarray, np.ndarray, list[str]]:
        """The blob and groups of `strings`, and the strings in their numbered order."""
        by_length: dict[int, list[bytes]] = {}
        for text in strings:
            if "\x00" in text:  # numpy's bytes strip trailing NULs: not mappable
                raise ValueError("a term holds a NUL character")
            by_length.setdefault(len(text), []).append(text.encode())
        parts, rows, order = [], [], []
        start = first = 0
        for length in sorted(by_length):
            encoded = by_length[length]
            width = max(1, max(len(b) for b in encoded))
            array = np.sort(np.array(encoded, dtype=f"S{width}"))
            parts.append(array.view(np.uint8))
            rows.append((length, width, start, first))
            order += [b.decode() for b in array.tolist()]
            start += array.nbytes
            first += len(array)
        rows.append((0, 0, start, first))
        blob = np.concatenate(parts) if parts else np.empty(0, np.uint8)
        return blob, np.array(rows, dtype=np.int64), order

    def _group(self, n: int) -> tuple[int, np.ndarray]:
        _length, width, start, first = (int(v) for v in self.groups[n])
        count = int(self.groups[n + 1, 3]) - first
        return first, self.blob[start:start + count * width].view(f"S{width}")

    def number(self, text: str) -> int:
        """The number of `text`, or -1."""
        n = self._by_length.get(len(text))
        if n is None:
            return -1
        first, array = self._group(n)
        key = text.encode()
        if len(key) > array.dtype.itemsize:
            return -1
        at = int(np.searchsorted(array, key))
        return first + at if at < len(array) and array[at] == key else -1

    def of_length(self, length: int) -> tuple[int, np.ndarray] | None:
        n = self._by_length.get(length)
        return None if n is None else self._group(n)

    def text(self, number: int) -> str:
        n = int(np.searchsorted(self.groups[:-1, 3], number, side="right")) - 1
        first, array = self._group(n)
        return bytes(array[number - first]).decode()


class _Counts(Mapping[str, int]):
    """Documents per string of a _Strings (the mapped lexicon's `folded` and `exact`)."""

    def __init__(self, strings: _Strings, documents: np.ndarray) -> None:
        self.strings = strings
        self.documents = documents

    def __getitem__(self, key: str) -> int:
        number = self.strings.number(key) if isinstance(key, str) else -1
        if number < 0:
            raise KeyError(key)
        return int(self.documents[number])

    def __len__(self) -> int:
        return self.strings.size

    def __iter__(self) -> Iterator[str]:  # every term decoded: for tests, not requests
        return (self.strings.text(n) for n in range(self.strings.size))


class MappedLexicon(Lexicon):
    """A lexicon read from the files `write_lexicon` wrote, mapped (numpy memmaps): it
    answers as the Lexicon it was written from, without a Python object per term."""

    def __init__(self, arrays: dict[str, np.ndarray]) -> None:
        folded = _Strings(arrays["folded-blob"], arrays["folded-groups"])
        exact = _Strings(arrays["exact-blob"], arrays["exact-groups"])
        super().__init__(_Counts(folded, arrays["folded-documents"]),
                         _Counts(exact, arrays["exact-documents"]))
        self._folded, self._exact = folded, exact
        self._keys = _Strings(arrays["keys-blob"], arrays["keys-groups"])
        self._starts = arrays["keys-starts"]  # a key's spellings: entries[start:next start]
        self._entries = arrays["keys-entries"]  # numbers in `exact`, in the Lexicon's order
        self._documents = arrays["folded-documents"]
        self.arrays = arrays
        self._exact_documents = arrays["exact-documents"]

    def near(self, term: str, distance: int) -> list[tuple[str, int, int]]:
        # Only terms whose length is within `distance` of the term's can be that near.
        ranked = []
        ascii_term = term.isascii()
        for length in range(max(0, len(term) - distance), len(term) + distance + 1):
            group = self._folded.of_length(length)
            if group is None:
                continue
            first, array = group
            # A group as wide as its length is ASCII: compared as bytes, not decoded.
            if ascii_term and array.dtype.itemsize == length:
                query: str | bytes = term.encode()
                choices: list = array.tolist()
            else:
                query, choices = term, [b.decode() for b in array.tolist()]
            for choice, edits, at in process.extract(
                    query, choices, scorer=Levenshtein.distance, score_cutoff=distance,
                    limit=None):
                text = choice.decode() if isinstance(choice, bytes) else choice
                ranked.append((text, int(edits), int(self._documents[first + at])))
        ranked.sort(key=lambda c: (c[1], -c[2], c[0]))
        return ranked

    def spellings_in(self, term: str, cyrillic: bool, avoid: str = "") -> list[tuple[str, int]]:
        key = self._keys.number(term)
        if key < 0:
            return []
        found = []
        for number in self._entries[int(self._starts[key]):int(self._starts[key + 1])]:
            spelling = self._exact.text(int(number))
            if spelling != avoid and is_cyrillic(spelling) == cyrillic:
                found.append((spelling, int(self._exact_documents[number])))
        return found


def write_lexicon(directory: Path, lexicon: Lexicon, signature: dict[str, Any]) -> Path:
    """Write `lexicon` (a built one) for MappedLexicon under `directory`/lexicon, whole or
    not at all (written aside, then renamed); `signature` is checked by `open_lexicon`."""
    arrays: dict[str, np.ndarray] = {}
    blob, groups, folded_order = _Strings.arrays(lexicon.folded)
    arrays |= {"folded-blob": blob, "folded-groups": groups, "folded-documents":
               np.array([lexicon.folded[t] for t in folded_order], dtype=np.int64)}
    blob, groups, exact_order = _Strings.arrays(lexicon.exact)
    arrays |= {"exact-blob": blob, "exact-groups": groups, "exact-documents":
               np.array([lexicon.exact[t] for t in exact_order], dtype=np.int64)}
    exact_number = {t: n for n, t in enumerate(exact_order)}
    blob, groups, key_order = _Strings.arrays(lexicon.spellings)
    starts, entries = [0], []
    for key in key_order:
        entries += [exact_number[s] for s in lexicon.spellings[key]]  # in the dict's order
        starts.append(len(entries))
    arrays |= {"keys-blob": blob, "keys-groups": groups,
               "keys-starts": np.array(starts, dtype=np.int64),
               "keys-entries": np.array(entries, dtype=np.int64)}
    target = Path(directory) / LEXICON_DIR
    temporary = target.with_name(f".{LEXICON_DIR}-{uuid.uuid4().hex[:8]}")
    temporary.mkdir(parents=True)
    try:
        for name, array in arrays.items():
            np.save(temporary / f"{name}.npy", array)
        sizes = {name: len(array) for name, array in arrays.items()}
        (temporary / "manifest.json").write_text(json.dumps(
            {**signature, "lexicon_format": LEXICON_FORMAT, "sizes": sizes}))
        for path in temporary.iterdir():
            with open(path, "rb") as handle:
                os.fsync(handle.fileno())
        shutil.rmtree(target, ignore_errors=True)
        os.replace(temporary, target)
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def open_lexicon(directory: Path, signature: dict[str, Any]) -> MappedLexicon | None:
    """The lexicon written under `directory`/lexicon, mapped, if written for `signature`
    (the reader's index); None when missing, stale or damaged."""
    target = Path(directory) / LEXICON_DIR
    try:
        manifest = json.loads((target / "manifest.json").read_text())
    except (OSError, ValueError):
        return None
    sizes = manifest.pop("sizes", None)
    if manifest.pop("lexicon_format", None) != LEXICON_FORMAT or manifest != signature \
            or not isinstance(sizes, dict):
        return None
    try:
        arrays = {name: np.load(target / f"{name}.npy", mmap_mode="r") for name in sizes}
        if any(len(arrays[name]) != size for name, size in sizes.items()):
            return None
        lexicon = MappedLexicon(arrays)
        # The arrays agree with one another (a file from another write would not).
        if len(arrays["folded-documents"]) != lexicon._folded.size or \
                len(arrays["exact-documents"]) != lexicon._exact.size or \
                len(arrays["keys-starts"]) != lexicon._keys.size + 1 or \
                int(arrays["keys-starts"][-1]) != len(arrays["keys-entries"]) or \
                any(int(g[-1, 2]) != len(arrays[f"{s}-blob"])
                    for s, g in (("folded", arrays["folded-groups"]),
                                 ("exact", arrays["exact-groups"]),
                                 ("keys", arrays["keys-groups"]))):
            return None
    except (OSError, ValueError, KeyError, IndexError, TypeError) as error:
        log.warning("did-you-mean lexicon in %s unreadable (%s): building it", target, error)
        return None
    return lexicon


class LexiconUnavailable(Exception):
    """A lexicon build gave up (too slow, too big, or superseded)."""


def _close_sockets() -> None:
    """In a forked child: close the parent's sockets (a web server's listening socket
    held open by the child would keep a restarted server from binding its port)."""
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc: nothing known to close
        return
    for descriptor in descriptors:
        try:
            if stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                os.close(descriptor)
        except OSError:
            pass


_APART = {"built": "apart"}  # the signature of a lexicon a forked child wrote
_GAVE_UP = 3  # a child's exit status: LexiconUnavailable (its reason in a file)


# Children reading a lexicon now, with their directories: ended with this process.
_CHILDREN: dict[int, Path] = {}


@atexit.register
def _end_children() -> None:
    """A worker stopping (a restart, a shutdown) kills its lexicon children and removes
    their files: nothing would map or remove them after it."""
    for pid, directory in list(_CHILDREN.items()):
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
        shutil.rmtree(directory, ignore_errors=True)


def build_apart(reader: Any, deadline: float, max_terms: int,
                stop: Callable[[], bool]) -> Lexicon:
    """The lexicon of `reader`, read by a forked child process that writes it as the
    writer's files (in a temporary directory), then mapped: the same answers as
    `Lexicon.from_reader`, but what reading the terms allocates (about 20 MB at 100,000
    communiqués, which a web worker would keep as RSS though it frees it) lives and dies
    in the child. Where a process cannot fork, or the child fails, it is built here.

    Raises LexiconUnavailable as `from_reader` does (and for a child killed by a signal);
    `stop()` is asked here, and a child no longer wanted is killed."""
    if not hasattr(os, "fork"):
        return Lexicon.from_reader(reader, deadline, max_terms, stop)
    directory = Path(tempfile.mkdtemp(prefix="communiques-lexicon-"))
    parent = os.getpid()
    pid = 0
    try:
        pid = os.fork()
        if pid == 0:  # the child: nothing but reading, writing and leaving
            status = 1
            try:
                _close_sockets()
                os.nice(10)  # background work: the server's requests come first
                write_lexicon(directory, Lexicon.from_reader(reader, deadline, max_terms),
                              _APART)
                status = 0
            except LexiconUnavailable as exc:
                (directory / "unavailable").write_text(str(exc))
                status = _GAVE_UP
            finally:
                if os.getppid() != parent:  # the worker is gone (SIGKILL): no one maps
                    shutil.rmtree(directory, ignore_errors=True)
                os._exit(status)  # no cleanup of the parent's state (threads, handlers)
        _CHILDREN[pid] = directory
        while True:
            done, wait_status = os.waitpid(pid, os.WNOHANG)
            if done:
                break
            if stop():
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
                raise LexiconUnavailable("no longer wanted")
            time.sleep(0.02)
        status = os.waitstatus_to_exitcode(wait_status)
        if status < 0:  # killed (the OOM killer, an operator, this process ending)
            raise LexiconUnavailable(f"reading stopped by signal {-status}")
        if status == _GAVE_UP:
            raise LexiconUnavailable((directory / "unavailable").read_text())
        lexicon = open_lexicon(directory, _APART) if status == 0 else None
        if lexicon is None:  # the child failed (or wrote what cannot be mapped)
            log.warning("did-you-mean lexicon not built apart (status %s): building it here",
                        status)
            return Lexicon.from_reader(reader, deadline, max_terms, stop)
        return lexicon  # mapped: the files can go, the mapping stays
    finally:
        _CHILDREN.pop(pid, None)
        shutil.rmtree(directory, ignore_errors=True)


ReaderOpener = Callable[[], AbstractContextManager[Any]]


class LexiconCache:
    """The lexicon of the current index generation, built once, off the request path.

    `get` never waits: it asks for the generation's lexicon and answers with what is
    ready (the lexicon of that generation, else the last one built for an earlier
    generation, else None). One builder thread per process reads the lexicon of the
    latest generation asked for, within the time and size bounds; a build that a newer
    generation supersedes stops at its next check. A failed build is not retried for
    that generation (its searches get the earlier lexicon or registry-only suggestions).
    """

    def __init__(self, build_limit: float = LEXICON_BUILD_LIMIT,
                 max_terms: int = MAX_LEXICON_TERMS) -> None:
        self.build_limit = build_limit
        self.max_terms = max_terms
        self._lock = threading.Lock()
        self._reset()

    def _reset(self) -> None:
        self._pid = os.getpid()  # a forked worker starts afresh: the builder stayed behind
        self._wanted: tuple[object, ReaderOpener] | None = None
        self._key: object = None  # generation of `_lexicon` (or of its failed build)
        self._lexicon: Lexicon | None = None
        self._earlier: Lexicon | None = None  # the last lexicon built, any generation
        self._builder: threading.Thread | None = None
        self.builds = 0  # builds started (for tests and logs)
        self.mapped = 0  # of them, lexicons mapped from the writer's files
        self.failures: list[str] = []

    def get(self, key: object, open_reader: ReaderOpener) -> Lexicon | None:
        """The lexicon for generation `key` if built, else the last built, else None;
        starts building `key`'s (with `open_reader()`, a context manager giving a
        reader) unless that is done or under way."""
        with self._lock:
            if self._pid != os.getpid():
                self._reset()
            if self._key == key:
                return self._lexicon if self._lexicon is not None else self._earlier
            if self._wanted is None or self._wanted[0] != key:
                self._wanted = (key, open_reader)
                if self._builder is None:
                    self._builder = threading.Thread(
                        target=self._build_wanted, name="lexicon-builder", daemon=True)
                    self._builder.start()
            return self._earlier

    def wait_idle(self, timeout: float) -> bool:
        """Wait until no build is wanted or under way (for tests and a warm-up, never in
        a request); False if one still is after `timeout` seconds."""
        end = time.monotonic() + timeout
        while True:
            with self._lock:
                if self._wanted is None and self._builder is None:
                    return True
            if time.monotonic() > end:
                return False
            time.sleep(0.01)

    def _build_wanted(self) -> None:
        while True:
            with self._lock:
                if self._wanted is None:
                    self._builder = None
                    return
                key, open_reader = self._wanted
                self.builds += 1
            lexicon, failure = self._build(key, open_reader)
            with self._lock:
                if self._wanted is not None and self._wanted[0] == key:
                    self._wanted = None
                    self._key, self._lexicon = key, lexicon
                    if lexicon is not None:
                        self._earlier = lexicon
                    else:
                        self.failures.append(failure)
                # else superseded: the loop builds the newer generation

    @staticmethod
    def _mapped(key: object, reader: Any, superseded: Callable[[], bool]
                ) -> MappedLexicon | None:
        """The lexicon the writer wrote for generation `key` (a (directory, TOC
        generation) pair), waited for while the writer is computing it; None without one."""
        if not (isinstance(key, tuple) and len(key) == 2 and isinstance(key[1], int)):
            return None
        from indexer import gendata  # gendata writes lexicons: imported when used

        directory, toc = Path(key[0]), key[1]
        end = time.monotonic() + LEXICON_WAIT
        while gendata.lexicon_pending(directory, toc) and time.monotonic() < end:
            if superseded():
                return None
            time.sleep(0.05)
        return gendata.load_lexicon(directory, reader, toc)

    def _build(self, key: object, open_reader: ReaderOpener) -> tuple[Lexicon | None, str]:
        def superseded() -> bool:
            wanted = self._wanted  # read without the lock: a stale answer costs one check
            return wanted is None or wanted[0] != key

        started = time.monotonic()
        try:
            with open_reader() as reader:
                mapped = self._mapped(key, reader, superseded)
                if mapped is not None:
                    self.mapped += 1
                    log.info("did-you-mean lexicon of %s mapped: %d terms", key,
                             len(mapped.folded))
                    return mapped, ""
                lexicon = build_apart(reader, started + self.build_limit, self.max_terms,
                                      superseded)
        except LexiconUnavailable as exc:
            if not superseded():
                log.warning("did-you-mean lexicon of %s: %s; registry-only suggestions",
                            key, exc)
            return None, str(exc)
        except Exception as exc:  # an index pruned under us, a damaged segment...
            log.warning("did-you-mean lexicon of %s not read: %r", key, exc)
            return None, repr(exc)
        log.info("did-you-mean lexicon of %s: %d terms in %.1f s", key,
                 len(lexicon.folded), time.monotonic() - started)
        return lexicon, ""


def correct_word(typed: str, lexicon: Lexicon, exact: bool) -> str | None:
    """A more common word of the index close to `typed`, in its script, or None."""
    lower = typed.lower()
    term = folded_term(typed)
    if len(term) < MIN_WORD_LENGTH or term.isdigit():
        return None
    cyrillic = is_cyrillic(typed)
    # How common the word is where the search looks for it.
    used = lexicon.exact.get(lower, 0) if exact else lexicon.folded.get(term, 0)
    best: tuple[tuple[int, int, int], str] | None = None
    for candidate, edits, documents in lexicon.near(term, max_distance(term)):
        if not exact and edits == 0:
            continue  # the same folded word: the search already finds its spellings
        # An exact search runs the spelling offered, so every spelling in the script is
        # a candidate ("Dačič" -> Dačić, not the more used "Dacic"); a folded search finds
        # them all, so its most used spelling is shown.
        if exact:
            spelled = lexicon.spellings_in(candidate, cyrillic, avoid=lower)
        else:
            most_used = lexicon.spelling(candidate, cyrillic, avoid=lower)
            spelled = [most_used] if most_used else []
        for spelling, spelling_documents in spelled:
            found = spelling_documents if exact else documents
            if found > used and (used == 0 or found >= MORE_COMMON * used):
                # Folded edits first, then edits as written ("terorism" is nearer
                # "terrorism" than "terorizma"), then the most used.
                rank = (edits, Levenshtein.distance(lower, spelling), -found)
                if best is None or rank < best[0]:
                    best = (rank, spelling)
    return in_case_of(typed, best[1]) if best else None


TEXT_FIELDS = ("", "title", "body")  # where the lexicon's words are searched
NAME_FIELDS = (*TEXT_FIELDS, "official")  # where a person's name may be written


def _words(q: str, fields: tuple[str, ...] = TEXT_FIELDS) -> list[re.Match[str]]:
    """The plain words of a query: not operators, values of fields other than
    `fields`, prefix or fuzzy words, nor numbers."""
    words = []
    for token in _TOKEN.finditer(q):
        field_name = (token.group("field") or "")[:-1].lower()
        word = token.group("word")
        if field_name not in fields or token.group("after"):
            continue
        if word in _OPERATORS or word.isdigit() or q[token.end():token.end() + 1] == ":":
            continue
        words.append(token)
    return words


def _replace(q: str, spans: list[tuple[int, int, str]]) -> str:
    for start, end, text in sorted(spans, reverse=True):
        q = q[:start] + text + q[end:]
    return q


def index_suggestion(q: str, lexicon: Lexicon, exact: bool,
                     deadline: float | None = None) -> str | None:
    """The query with each word the index would rather spell otherwise corrected (the
    first MAX_CORRECTED_WORDS words, those looked up before `deadline`)."""
    spans = []
    for token in _words(q, (*TEXT_FIELDS, "exact"))[:MAX_CORRECTED_WORDS]:
        if deadline is not None and time.monotonic() > deadline:
            break
        # An exact: clause is matched as written, whatever the exact-spelling box says.
        as_written = exact or (token.group("field") or "").lower() == "exact:"
        corrected = correct_word(token.group("word"), lexicon, as_written)
        if corrected is not None:
            spans.append((token.start("word"), token.end("word"), corrected))
    return _replace(q, spans) if spans else None


def _name_in_script(spellings: tuple[str, ...], cyrillic: bool) -> str | None:
    """The first full name (two words or more) of a person in a script."""
    for spelling in spellings:
        if is_cyrillic(spelling) == cyrillic and len(WORD.findall(spelling)) >= 2 \
                and "." not in spelling:
            return spelling
    return None


# Each official's folded name words, kept per official object (a registry read again
# brings new objects): every search with few results asks them of the whole registry.
_NAME_KEYS: dict[int, tuple[object, frozenset[str], frozenset[str]]] = {}
NAME_KEYS_KEPT = 200_000


def _name_keys(official: object) -> tuple[frozenset[str], frozenset[str]]:
    """The folded words of an official's spellings, and those that end one (surnames)."""
    held = _NAME_KEYS.get(id(official))
    if held is not None and held[0] is official:  # the object held keeps its id its own
        return held[1], held[2]
    spellings = [[folded_term(w) for w in WORD.findall(s)] for s in official.spellings]  # type: ignore[attr-defined]
    tokens = frozenset(t for words_ in spellings for t in words_)
    surnames = frozenset(words_[-1] for words_ in spellings if words_)
    if len(_NAME_KEYS) >= NAME_KEYS_KEPT:
        _NAME_KEYS.clear()
    _NAME_KEYS[id(official)] = (official, tokens, surnames)
    return tokens, surnames


@dataclass
class _RegistryWords:
    """The folded name words of a list of officials: sorted, and each with the officials
    (their places in the list) whose name has it."""

    ids: tuple[int, ...]
    officials: list  # held, so that no id above is reused while this is kept
    names: list[str]
    by_word: dict[str, list[int]]


_REGISTRY_WORDS: _RegistryWords | None = None


def _registry_words(officials: list) -> _RegistryWords:
    """The name words of `officials`, kept for the last registry asked (one per process)."""
    global _REGISTRY_WORDS
    ids = tuple(map(id, officials))
    held = _REGISTRY_WORDS
    if held is not None and held.ids == ids:
        return held
    by_word: dict[str, list[int]] = {}
    for n, official in enumerate(officials):
        for word in _name_keys(official)[0]:
            by_word.setdefault(word, []).append(n)
    held = _REGISTRY_WORDS = _RegistryWords(ids, officials, sorted(by_word), by_word)
    return held


def _near_name_words(words: list[re.Match[str]], names: list[str], lexicon: Lexicon | None
                     ) -> dict[str, dict[str, int]]:
    """For each query word a misspelt name may be (not a word the index uses), the
    officials' name words within two edits of it, with their edits: one pass over the
    registry's words in C, instead of one distance per word of each official."""
    wanted = {term for token in words
              if len(term := folded_term(token.group("word"))) >= MIN_WORD_LENGTH
              and (lexicon is None or lexicon.folded.get(term, 0) == 0)}
    return {term: {name: int(edits) for name, edits, _ in process.extract(
                term, names, scorer=Levenshtein.distance, score_cutoff=2, limit=None)}
            for term in wanted}


def _name_match(words: list[re.Match[str]], official: object, lexicon: Lexicon | None,
                fuzzy: bool = True, near_words: dict[str, dict[str, int]] | None = None
                ) -> list[tuple[re.Match[str], int]]:
    """The query words naming a person, with their edits, if one of them is a surname.

    A word matches a name's word as written (folded), or (if `fuzzy`) within a few edits
    when the index hardly uses it (a misspelling, not another real word such as "Kosovo")."""
    tokens, surnames = _name_keys(official)
    matched, named = [], False
    for token in words:
        term = folded_term(token.group("word"))
        if len(term) < MIN_WORD_LENGTH:
            # A short word of the name as written ("Xi" of "Xi Jinpin") is part of it
            # (replaced with the rest), but never names the person on its own.
            if term in tokens:
                matched.append((token, 0))
            continue
        if term in tokens:
            edits, near = 0, term
        elif fuzzy and (lexicon is None or lexicon.folded.get(term, 0) == 0):
            if near_words is not None:  # the names within two edits (more are refused)
                close = near_words.get(term, {})
                edits, near = min(((d, t) for t in tokens if (d := close.get(t)) is not None),
                                  default=(99, ""))
            else:
                edits, near = min(((Levenshtein.distance(term, t), t) for t in tokens),
                                  default=(99, ""))
            # Names are short and many: one edit, two only in long names.
            if edits > (1 if len(term) < 8 else 2):
                continue
        else:
            continue
        matched.append((token, edits))
        named = named or near in surnames
    return matched if named else []


def registry_suggestions(q: str, officials: Iterable, lexicon: Lexicon | None = None,
                         limit: int = MAX_SUGGESTIONS,
                         deadline: float | None = None, fuzzy: bool = True) -> list[str]:
    """The query with a misspelt or other-spelt name replaced by the person's name in
    the script typed, for each registry person it names (closest first; those found
    before `deadline`). Not `fuzzy`: only names written as a registry spelling does."""
    words = _words(q, NAME_FIELDS)[:MAX_CORRECTED_WORDS]
    if not words:
        return []
    scored: list[tuple[int, str, str]] = []
    registry = _registry_words(list(officials))
    near_words = _near_name_words(words, registry.names, lexicon) if fuzzy else None
    # Only officials with a name word a query word is (or is near) can be named by it.
    candidates: set[int] = set()
    for token in words:
        candidates.update(registry.by_word.get(folded_term(token.group("word")), ()))
    for close in (near_words or {}).values():
        for name in close:
            candidates.update(registry.by_word[name])
    for number in sorted(candidates):
        official = registry.officials[number]
        if deadline is not None and time.monotonic() > deadline:
            break
        matched = _name_match(words, official, lexicon, fuzzy, near_words)
        if not matched:
            continue
        typed = " ".join(t.group("word") for t, _ in matched)
        name = _name_in_script(official.spellings, is_cyrillic(typed)) or official.name
        if all(t.group("word").lower() in WORD.findall(name.lower()) for t, _ in matched):
            continue  # written as the name writes it: nothing to correct
        start, end = matched[0][0].start("word"), matched[-1][0].end("word")
        if start > 0 and q[start - 1] == '"':
            text = name  # already inside a phrase
        else:
            # A name of several words is a phrase unless it is the whole query: after
            # a field, a minus or beside other words, its words must stay together
            # ("-Lavrof" -> -"Sergey Lavrov", not -Sergey Lavrov).
            alone = not q[:start].strip() and not q[end:].strip()
            text = f'"{name}"' if len(WORD.findall(name)) > 1 and not alone else name
        scored.append((sum(d for _, d in matched), official.name,
                       _replace(q, [(start, end, text)])))
    scored.sort()
    return list(dict.fromkeys(s for _, _, s in scored))[:limit]


def suggestions(q: str, lexicon: Lexicon | None, officials: Iterable, exact: bool = False,
                limit: int = MAX_SUGGESTIONS,
                time_limit: float | None = SUGGESTION_TIME_LIMIT) -> list[str]:
    """Alternative queries for `q`, best first: the index's spelling, then names.

    Without a lexicon (not built yet), names only, and only names written as the
    registry writes them (nothing tells a misspelt name from a real word). Whatever is found within
    `time_limit` seconds is offered; the rest of the words are not looked at."""
    deadline = None if time_limit is None else time.monotonic() + time_limit
    found = []
    corrected = index_suggestion(q, lexicon, exact, deadline) if lexicon is not None else None
    if corrected is not None:
        found.append(corrected)
    found += registry_suggestions(q, officials, lexicon, limit, deadline,
                                  fuzzy=lexicon is not None)
    found = [s for s in dict.fromkeys(found) if s.strip() != q.strip()]
    return found[:limit]
