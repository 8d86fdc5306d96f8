"""adapters -> bot -> presence_core, never back; no chat library below adapters (SPEC section 1).

The folders ``bot/`` and ``adapters/`` are installed as ``presence_bot`` and ``presence_adapters``;
nothing may import them (or anything else) under the folder names.
"""

from __future__ import annotations

import ast
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[1]
CHAT_LIBRARIES = {"telegram", "discord", "aiohttp", "tornado", "httpx"}
WEB_LIBRARIES = {"fastapi", "starlette", "uvicorn", "websockets"}
INSTALLED_AS = {"presence_core": "presence_core", "bot": "presence_bot", "adapters": "presence_adapters"}
FORBIDDEN = {
    "presence_core": CHAT_LIBRARIES | WEB_LIBRARIES | {"presence_bot", "presence_adapters", "bot", "adapters"},
    "bot": CHAT_LIBRARIES | WEB_LIBRARIES | {"presence_adapters", "bot", "adapters"},
}


def python_files(*folders: str) -> list[Path]:
    return sorted(f for folder in folders for f in (ROOT / folder).rglob("*.py"))


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
    files = python_files(package)
    assert files
    offenders = {str(f.relative_to(ROOT)): sorted(imported_top_level_names(f) & FORBIDDEN[package]) for f in files}
    assert {f: names for f, names in offenders.items() if names} == {}


def test_nothing_imports_the_folder_names_that_an_operator_s_own_files_would_shadow() -> None:
    files = python_files("presence_core", "bot", "adapters", "tests", "bench")
    offenders = {str(f.relative_to(ROOT)): sorted(imported_top_level_names(f) & {"bot", "adapters"}) for f in files}
    assert {f: names for f, names in offenders.items() if names} == {}


def test_every_source_package_is_installed_under_its_own_name() -> None:
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]
    assert setuptools["package-dir"] == {name: folder for folder, name in INSTALLED_AS.items()}
    found = {
        ".".join([INSTALLED_AS[init.relative_to(ROOT).parts[0]], *init.relative_to(ROOT).parts[1:-1]])
        for folder in INSTALLED_AS for init in (ROOT / folder).rglob("__init__.py")
    }
    assert found <= set(setuptools["packages"]), "a package folder is missing from pyproject.toml's packages"
