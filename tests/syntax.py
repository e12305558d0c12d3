"""Reading this project's own source as syntax trees, for the tests that check it."""

from __future__ import annotations

import ast
from pathlib import Path

import webapp


def parse_python(path: Path) -> ast.Module:
    """`path` parsed by `ast.parse`, holding the lock the app's warm-up threads hold.

    CPython 3.11 can fail with "AST constructor recursion depth mismatch" (a SystemError,
    gh-106905) when two threads build syntax trees at once: a warm-up left running by an
    earlier test reads .npy headers with ast. The lock keeps them apart; a parse that
    still meets another builder (a traceback formatted in a server thread) is tried again.
    """
    text = path.read_text(encoding="utf-8")
    for attempt in range(3):
        try:
            with webapp._AST_BUILDERS:
                return ast.parse(text, str(path))
        except SystemError as error:
            if "recursion depth mismatch" not in str(error) or attempt == 2:
                raise
    raise AssertionError("unreachable")
