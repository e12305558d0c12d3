"""Edits and withdrawals on the page: a word diff between two archived versions of a
communiqué (`/communiques/<id>/diff?from=1&to=2`), and what the document page says of a
communiqué edited or withdrawn (a template helper)."""

from __future__ import annotations

import difflib
import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from indexer.archive import Archive, ReadonlyArchives
from indexer.backend import SearchHit
from webapp.params import whole_number

bp = Blueprint("diffs", __name__)

# Words with the space after them, so a diff re-joins into the text as written.
_TOKEN = re.compile(r"\S+\s*")
PARAGRAPH = "\n\n"


def word_diff(old: list[str], new: list[str]) -> list[list[tuple[str, str]]]:
    """Paragraphs of (kind, text) parts, kind equal | insert | delete: the word-level
    changes from the paragraphs `old` to `new`."""
    def tokens(paragraphs: list[str]) -> list[str]:
        out: list[str] = []
        for i, paragraph in enumerate(paragraphs):
            if i:
                out.append(PARAGRAPH)
            out += _TOKEN.findall(paragraph.strip() + " ")
        return out

    a, b = tokens(old), tokens(new)
    paragraphs: list[list[tuple[str, str]]] = [[]]

    def add(kind: str, words: list[str]) -> None:
        for word in words:
            if word == PARAGRAPH:
                if kind != "delete":
                    paragraphs.append([])
                continue
            last = paragraphs[-1]
            if last and last[-1][0] == kind:
                last[-1] = (kind, last[-1][1] + word)
            else:
                last.append((kind, word))

    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if op == "equal":
            add("equal", b[j1:j2])
        else:
            add("delete", a[i1:i2])
            add("insert", b[j1:j2])
    return [p for p in paragraphs if p]


def _archive() -> Archive:
    return Archive(current_app.config["DATA_DIR"], readonly=True)


@bp.get("/communiques/<communique_id>/diff")
def diff(communique_id: str) -> ResponseReturnValue:
    with _archive() as archive:
        versions = {v.version: v for v in archive.versions(communique_id)}
        if not versions:
            abort(404)
        newest = max(versions)
        new = whole_number(request.args, "to", newest, 1, 1_000_000)
        old = whole_number(request.args, "from", max(1, new - 1), 1, 1_000_000)
        if old not in versions or new not in versions:
            abort(404)
        before = archive.get(communique_id, old)
        after = archive.get(communique_id, new)
    assert before is not None and after is not None
    paragraphs = word_diff([before.title, *before.paragraphs], [after.title, *after.paragraphs])
    added = sum(len(t.split()) for p in paragraphs for k, t in p if k == "insert")
    removed = sum(len(t.split()) for p in paragraphs for k, t in p if k == "delete")
    return render_template("diff.html", id=communique_id, title=after.title, old=old, new=new,
                           old_at=versions[old].fetched_at, new_at=versions[new].fetched_at,
                           paragraphs=paragraphs, added=added, removed=removed,
                           language=after.language)


def lifecycle(communique_id: str) -> dict[str, Any]:
    """What the document page says of a communiqué: when it was last edited (a version
    after the first), whether it is withdrawn from its ministry's site, and the earlier
    withdrawals it came back from."""
    with _archive() as archive:
        versions = archive.versions(communique_id)
        gone = archive.withdrawn(communique_id)
        history = archive.withdrawal_history(communique_id)
    edited = versions[-1] if len(versions) > 1 else None
    return {
        "edited_on": edited.fetched_at if edited else None,
        "previous_version": edited.version - 1 if edited else None,
        "current_version": edited.version if edited else None,
        "withdrawn_on": gone[0] if gone else None,
        "withdrawn_reason": gone[1] if gone else None,
        # (withdrawn, back, why) of each withdrawal that ended.
        "past_withdrawals": [w for w in history if w[1] is not None],
    }


def _thread_archive() -> Archive:
    # This thread's read-only connection, kept across requests (opening one per request
    # cost more than the look-ups it served); each statement reads the latest commit.
    archives: ReadonlyArchives = current_app.extensions["withdrawal_archives"]
    return archives.get()


def withdrawn_on(communique_id: str) -> datetime | None:
    """When a communiqué was marked withdrawn (None: it is current), for result cards,
    API hits and embeds."""
    gone = _thread_archive().withdrawn(communique_id)
    return gone[0] if gone else None


def withdrawn_dates(ids: list[str]) -> dict[str, datetime]:
    """Those of `ids` marked withdrawn, with when (one query for a page of hits). Never
    cached with the results: a crawl marks a withdrawal before the index is updated."""
    return _thread_archive().withdrawn_of(ids)


def withdrawn_hit(hit: SearchHit) -> SearchHit:
    """A feed's entry of a withdrawn communiqué is updated: its title says so and its
    `updated` is when it was withdrawn, so feed readers show it again; when it comes
    back, `updated` is when it did (its title is plain again)."""
    with _archive() as archive:
        gone = archive.withdrawn(hit.id)
        history = archive.withdrawal_history(hit.id) if gone is None else []
    if gone is None:
        back = history[-1][1] if history else None
        if back is not None and (hit.updated is None or back > hit.updated):
            return replace(hit, updated=back)
        return hit
    return replace(hit, title=f"[Withdrawn {gone[0].date().isoformat()}] {hit.title}",
                   updated=gone[0])


def init_app(app: Any) -> None:
    app.register_blueprint(bp)
    app.jinja_env.globals["lifecycle"] = lifecycle
    app.jinja_env.globals["withdrawn_on"] = withdrawn_on
    app.extensions["withdrawal_archives"] = ReadonlyArchives(app.config["DATA_DIR"])
