"""The evaluation sets live in the `evaluation` package, ship with it, and production code
reads nothing from `tests/` (issue 17, item 6)."""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

from syntax import parse_python

import evaluation
from webapp import cli

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("scrapers", "indexer", "webapp", "demo", "evaluation")


def test_the_quality_commands_default_to_the_evaluation_package() -> None:
    assert cli.GOLDEN_FIXTURES == evaluation.GOLDEN == REPO / "evaluation" / "golden"
    assert cli.UNSEEN_SET == evaluation.UNSEEN
    defaults = {param.name: param.default for param in cli.extract_quality.params}
    assert Path(str(defaults["corpus"])) == evaluation.EXTRACTION
    for path in (evaluation.GOLDEN, evaluation.UNSEEN, evaluation.EXTRACTION):
        assert path.exists() and not path.is_relative_to(REPO / "tests"), path
    assert {p.stem for p in evaluation.GOLDEN.glob("*.json")} == {
        "china-mfa", "russia-mid", "serbia-mfa", "uk-fcdo", "us-state"}
    assert (evaluation.GOLDEN / "events" / "events.json").exists()
    assert (evaluation.EXTRACTION / "expected.json").exists()


def test_every_evaluation_file_is_package_data() -> None:
    """An installed `communiques` finds the sets beside the module: every file of them
    matches a package-data pattern, so none is left out of a wheel."""
    config = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    setuptools = config["tool"]["setuptools"]
    assert "evaluation*" in setuptools["packages"]["find"]["include"]
    patterns = setuptools["package-data"]["evaluation"]
    root = REPO / "evaluation"
    files = {p for p in root.rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts}
    assert len(files) > 50
    shipped = {p for pattern in patterns for p in root.glob(pattern)}  # as setuptools globs
    left_out = sorted(str(f.relative_to(root)) for f in files - shipped)
    assert not left_out, f"not in [tool.setuptools.package-data] evaluation: {left_out}"


def _strings_outside_docstrings(tree: ast.AST) -> list[str]:
    docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                  if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef
                                | ast.AsyncFunctionDef)
                  and node.body and isinstance(node.body[0], ast.Expr)
                  and isinstance(node.body[0].value, ast.Constant)}
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and id(node) not in docstrings]


def test_no_package_names_the_test_tree() -> None:
    """No path into `tests/` is built in the packages (docstrings may point to it)."""
    offenders = []
    for package in PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            tree = parse_python(path)
            for text in _strings_outside_docstrings(tree):
                if text == "tests" or text.startswith("tests/") or "/tests/" in text:
                    offenders.append(f"{path.relative_to(REPO)}: {text!r}")
    assert not offenders, offenders
