"""The pipeline runs one way, and so do the imports (README, "Layout"): scrapers know
nothing of the index or the web app, the indexer nothing of the web app, and the demo and
the evaluation sets none of the pipeline. Every import counts, inside functions too."""

from __future__ import annotations

import ast
from pathlib import Path

from syntax import parse_python

REPO = Path(__file__).resolve().parent.parent
# Package -> the packages of this project it must never import.
FORBIDDEN = {
    "scrapers": {"indexer", "webapp", "benchmarks", "demo", "evaluation"},
    "indexer": {"webapp", "benchmarks", "demo", "evaluation"},
    "webapp": {"benchmarks"},
    "demo": {"scrapers", "indexer", "webapp", "benchmarks", "evaluation"},
    "evaluation": {"scrapers", "indexer", "webapp", "benchmarks", "demo"},
}


def _imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return {name.split(".")[0] for name in names}


def test_no_import_runs_back_up_the_pipeline() -> None:
    wrong = []
    for package, forbidden in FORBIDDEN.items():
        files = sorted((REPO / package).rglob("*.py"))
        assert files, package
        for path in files:
            for name in _imported(parse_python(path)) & forbidden:
                wrong.append(f"{path.relative_to(REPO)} imports {name}")
    assert not wrong, wrong
