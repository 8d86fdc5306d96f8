"""adapters -> bot -> presence_core, never back; no chat library below adapters (SPEC section 1)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHAT_LIBRARIES = {"telegram", "discord", "aiohttp", "tornado", "httpx"}
FORBIDDEN = {
    "presence_core": CHAT_LIBRARIES | {"bot", "adapters"},
    "bot": CHAT_LIBRARIES | {"adapters"},
}


def imported_top_level_names(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_lower_layers_import_nothing_from_above(package: str) -> None:
    files = sorted((ROOT / package).rglob("*.py"))
    assert files
    offenders = {str(f.relative_to(ROOT)): sorted(imported_top_level_names(f) & FORBIDDEN[package]) for f in files}
    assert {f: names for f, names in offenders.items() if names} == {}
