"""The package layout is the architecture: dependencies point inwards, never out.

Read from the source with ``ast``, so a module that imports something it must not is
caught even on a path no other test runs. Imports inside functions count too: a lazy
import is still an import, only a later one.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SKILL = Path(__file__).resolve().parents[1] / "skill"
TESTS = Path(__file__).resolve().parent

# package -> first-party packages it may import (besides itself and the SHARED modules)
ALLOWED: dict[str, set[str]] = {
    "core": set(),
    "speech": {"core"},
    "understanding": {"core"},
    "store": set(),
    "service": {"core", "speech", "understanding", "store"},
    "alexa": {"core", "speech", "understanding", "store", "service"},
    "channels": {"core", "speech", "understanding", "store", "service", "alexa"},
    "tools": {"core", "speech", "understanding", "store", "service", "alexa"},
}
# Third-party packages the pure core must never see.
CORE_FORBIDDEN = ("ask_sdk_core", "ask_sdk_model", "flask", "boto3", "botocore", "jinja2")
ALEXA_SDK = ("ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime")
SHARED = {"config", "digest", "paths", "aws", "retry"}
# The outermost layers may call the entry points (the Lambda handler every channel shares,
# and the ear under its public name, which the phone line's safety paths use).
ENTRY_POINTS = {"lambda_function", "nlu"}

# Each channel may use only these other parts of skill.channels: the text session every
# text channel shares, the simulated Echo of the chat and the simulator, what development
# routes accept (local), and (for the simulator, which is the web endpoint with a page
# added) the web app.
CHANNEL_USES: dict[str, set[str]] = {
    "text": set(),
    "local": set(),
    "echo": {"text", "fake_reminders"},  # its reminders go to the local fake
    "fake_reminders": set(),
    "chat": {"text", "echo"},
    "simulator": {"text", "echo", "web.app", "local"},
    "web": {"local"},
    "phone": {"text", "local"},
}
# No module of more than this many lines: one concern each. The ear's safety cues are being
# split by issue 21 (another branch).
MAX_LINES = 400
# Data, not logic: the readable safety cues, one list per category.
LONG_ALLOWED = {"understanding/cues/patterns.py"}


def imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            # "from skill.x import y" may import the module skill.x.y.
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def module_path(name: str) -> Path | None:
    """The file of a first-party module, or None (a name in a module, or not ours)."""
    parts = name.split(".")
    if parts[0] != "skill":
        return None
    base = SKILL.joinpath(*parts[1:])
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def reachable(start: str) -> set[str]:
    """Every module ``start`` may import, directly or through first-party modules."""
    seen: set[str] = set()
    todo = [start]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        path = module_path(name)
        if path is not None:
            todo.extend(imports(path))
    return seen


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
        "aws.py",
        "retry.py",
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


# --- the phone line, the stores and the channels ------------------------------------------


@pytest.mark.parametrize(
    "entry", ["skill.channels.phone.aws_lambda", "skill.channels.phone.webhooks"]
)
def test_the_phone_line_never_reaches_the_alexa_sdk(entry: str) -> None:
    reached = reachable(entry)
    wrong = sorted(
        name
        for name in reached
        if name.split(".")[0] in ALEXA_SDK
        or name.startswith(("skill.alexa", "skill.lambda_function"))
    )
    assert not wrong, wrong
    assert "skill.service.turns" in reached  # it runs on the turn service


def test_no_store_imports_the_alexa_sdk() -> None:
    for path in modules_of("store"):
        name = "skill.store." + path.stem
        wrong = sorted(n for n in reachable(name) if n.split(".")[0] in ALEXA_SDK)
        assert not wrong, f"{name}: {wrong}"


def _channel_of(path: Path) -> str:
    relative = path.relative_to(SKILL / "channels")
    return relative.parts[0].removesuffix(".py")


def test_channels_use_no_other_channels_internals() -> None:
    wrong: list[str] = []
    for path in modules_of("channels"):
        channel = _channel_of(path)
        if channel == "__init__":
            continue
        allowed = CHANNEL_USES[channel]
        for name in imports(path):
            if not name.startswith("skill.channels.") or module_path(name) is None:
                continue
            used = name.removeprefix("skill.channels.")
            other = used.split(".")[0]
            if other == channel or used in allowed or other in allowed:
                continue
            wrong.append(f"{path.relative_to(SKILL)} imports {name}")
    assert not wrong, "\n".join(wrong)


def test_no_channel_reads_the_logs() -> None:
    """What a turn did comes from the turn service's hook, never from a log handler."""
    wrong = [
        str(path.relative_to(SKILL))
        for path in modules_of("channels")
        if "addHandler(" in path.read_text(encoding="utf-8")
    ]
    assert not wrong, wrong


def test_no_module_is_over_the_line_limit() -> None:
    long = {
        f"{path.relative_to(SKILL)}: {count}"
        for path in SKILL.rglob("*.py")
        if (count := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
        and str(path.relative_to(SKILL)) not in LONG_ALLOWED
    }
    assert not long, sorted(long)


def test_helper_modules_of_the_tests_are_not_named_like_tests() -> None:
    """pytest collects every test_*.py: one without tests is a helper that should say so."""
    helpers = [
        str(path.relative_to(TESTS))
        for path in TESTS.rglob("test_*.py")
        if not any(
            isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            and node.name.startswith("test_")
            for node in ast.parse(path.read_text(encoding="utf-8")).body
        )
    ]
    assert not helpers, helpers


def test_the_reach_checker_sees_the_sdk_on_the_alexa_path() -> None:
    reached = reachable("skill.lambda_function")
    assert "ask_sdk_core.attributes_manager" in reached or "ask_sdk_core" in {
        name.split(".")[0] for name in reached
    }
    assert "skill.alexa.turns" in reached
