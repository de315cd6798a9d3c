"""The checkout stands alone (issue 10): nothing in it points outside the repository.

A clone with nothing beside it must build, test, run the demo and read its
docs. So no source, test, script, benchmark or page may name the sibling
folder the project was once developed next to.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
#: Spelled in pieces so this file does not match itself.
FORBIDDEN = ("../" + "shared", "/work/" + "shared")
CHECKED = ("src", "tests", "scripts", "bench", "docs", "contracts", "README.md", "pyproject.toml")


def test_nothing_points_outside_the_checkout() -> None:
    offenders = []
    for name in CHECKED:
        base = ROOT / name
        files = [base] if base.is_file() else [p for p in base.rglob("*") if p.is_file()]
        for path in files:
            if "node_modules" in path.parts or "__pycache__" in path.parts:
                continue
            try:
                text = path.read_text("utf-8")
            except (UnicodeDecodeError, OSError):
                continue
            offenders += [f"{path.relative_to(ROOT)}: {f}" for f in FORBIDDEN if f in text]
    assert offenders == []


def test_docs_link_only_to_pages_that_exist() -> None:
    import re

    for page in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+\.md)(?:#[^)]*)?\)", page.read_text("utf-8")):
            assert (page.parent / target).is_file(), f"{page.name} links to missing {target}"
