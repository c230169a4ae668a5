"""The package layout is the architecture: dependencies point inwards, never out.

Read from the source with ``ast``, so a module that imports something it must not is
caught even on a path no other test runs.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SKILL = Path(__file__).resolve().parents[1] / "skill"

# package -> first-party packages it may import (besides itself and the SHARED modules)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "speech": {"core"},
    "understanding": {"core"},
    "store": {"core"},
    "alexa": {"core", "speech", "understanding", "store"},
    "channels": {"core", "speech", "understanding", "store", "alexa"},
    "tools": {"core", "speech", "understanding", "store", "alexa"},
}
# Third-party packages the pure core must never see.
CORE_FORBIDDEN = ("ask_sdk_core", "ask_sdk_model", "flask", "boto3", "botocore", "jinja2")
SHARED = {"config", "digest", "paths"}
# The outermost layers may call the entry points (the Lambda handler every channel shares).
ENTRY_POINTS = {"lambda_function"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            if node.module == "skill":
                found.update(f"skill.{alias.name}" for alias in node.names)
    return found


def modules_of(package: str) -> list[Path]:
    return sorted((SKILL / package).rglob("*.py"))


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependencies_point_inwards(package: str) -> None:
    wrong: list[str] = []
    for path in modules_of(package):
        for name in imports(path):
            parts = name.split(".")
            if parts[0] != "skill" or len(parts) < 2:
                continue
            target = parts[1]
            if target in (package, *SHARED) or target in ALLOWED[package]:
                continue
            if package in ("channels", "tools") and target in ENTRY_POINTS:
                continue
            wrong.append(f"{path.relative_to(SKILL)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_core_is_pure() -> None:
    wrong = [
        f"{path.relative_to(SKILL)} imports {name}"
        for path in modules_of("core")
        for name in imports(path)
        if name.split(".")[0] in CORE_FORBIDDEN
    ]
    assert not wrong, "\n".join(wrong)


def test_every_module_lives_in_a_package_or_is_an_entry_point() -> None:
    top = {path.name for path in SKILL.glob("*.py")}
    assert top == {
        "__init__.py",
        "__main__.py",
        "config.py",
        "digest.py",
        "lambda_function.py",
        "nlu.py",
        "paths.py",
        "web.py",
    }


def test_the_checker_sees_a_wrong_import(tmp_path: Path) -> None:
    module = tmp_path / "bad.py"
    module.write_text("from skill.channels.web.app import create_app\nimport jinja2\n")
    assert {"skill.channels.web.app", "jinja2"} <= imports(module)


def test_test_modules_have_unique_names() -> None:
    # pytest imports test modules by basename (rootdir-relative, no packages): two
    # test_x.py in different folders stop the whole suite at collection.
    names = [path.name for path in (Path(__file__).parent).rglob("test_*.py")]
    assert sorted(n for n in set(names) if names.count(n) > 1) == []
