"""``python -m skill build-phone-lambda``: the phone line's zip holds what a call needs.

The slow test builds the zip for this machine, unpacks it, and answers a call through
``skill.channels.phone.aws_lambda.lambda_handler`` in an interpreter that sees only the
zip, the standard library and what the Lambda runtime provides.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import re
import subprocess
import sys
import zipfile
from importlib.util import find_spec
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest

from skill import config
from skill.tools import lockfile, packaging, phone_packaging

from support import built_zip

ROOT = Path(__file__).resolve().parents[2]
FIXTURE = ROOT / "tests" / "fixtures" / "phone" / "function_url_voice.json"
TOKEN = "test-token"  # the fixture is signed with it
BUILD_TIMEOUT = 400


def test_the_phone_zip_needs_the_resolver_flask_and_twilio_not_the_web_servers() -> None:
    with_deps, without = phone_packaging.phone_requirements(ROOT / "pyproject.toml")
    names = {phone_packaging._name(r) for r in with_deps}
    assert {"jinja2", "numpy", "flask", "boto3"} <= names
    assert not names & {"waitress", "gunicorn", "cryptography", "twilio", "ask-sdk-core"}
    assert [phone_packaging._name(r) for r in without] == ["twilio"]
    # Whatever the chat extra holds (the resolver's own dependencies) comes along, with
    # the runtime dependencies but the Alexa SDK.
    chat = packaging.runtime_requirements(ROOT / "pyproject.toml", ["chat"])
    sdk = {r for r in chat if phone_packaging._name(r) in phone_packaging.ALEXA_SDK}
    assert sdk and set(chat) - sdk <= set(with_deps)


def test_only_twilios_validator_and_twiml_are_kept() -> None:
    assert phone_packaging.wanted("twilio/request_validator.py")
    assert phone_packaging.wanted("twilio/twiml/voice_response.py")
    assert phone_packaging.wanted("twilio/__init__.py")
    assert not phone_packaging.wanted("twilio/rest/api/v2010/account/call/__init__.py")
    assert not phone_packaging.wanted("twilio/http/async_http_client.py")
    assert phone_packaging.wanted("flask/app.py")


def test_the_webhooks_import_nothing_else_of_twilio() -> None:
    sources = (ROOT / "skill" / "channels" / "phone").glob("*.py")
    imports = {
        line.split()[1]
        for path in sources
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.startswith(("from twilio", "import twilio"))
    }
    assert imports == {"twilio.request_validator", "twilio.twiml", "twilio.twiml.voice_response"}


def test_the_committed_lock_is_the_lock_of_the_phone_zip() -> None:
    """The CI check: a change to the chat extra (say) without a new lock fails here."""
    lock_file = phone_packaging.lock_path()
    assert lock_file == ROOT / "infra" / "lambda-phone-requirements.lock"
    assert lock_file != packaging.lock_path()  # its own, beside the skill's
    assert phone_packaging.check_lock(lock_file) == []
    lock = lockfile.read(lock_file)
    assert lock.python == packaging.DEFAULT_PYTHON
    assert set(lock.architectures) == set(packaging.ARCHITECTURES)
    assert {"twilio", "flask", "numpy", "jinja2"} <= set(lock.pins)
    # twilio was resolved without its dependencies, and nothing of the web servers came in,
    # nor the Alexa SDK: the phone line runs on the turn service.
    assert not set(lock.pins) & {"aiohttp", "aiohttp-retry", "pyjwt", "waitress", "gunicorn"}
    assert not set(lock.pins) & {"ask-sdk-core", "ask-sdk-model", "ask-sdk-runtime", "requests"}
    assert "cryptography" not in lock.pins
    assert all(pin.hashes for pin in lock.pins.values())


def test_a_stale_lock_is_refused(tmp_path: Path) -> None:
    (tmp_path / "infra").mkdir()
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    stale, found = re.subn(
        r"^chat = \[(.*)\]$", r'chat = [\1, "left-pad>=1"]', pyproject, flags=re.M
    )
    assert found == 1
    (tmp_path / "pyproject.toml").write_text(stale, encoding="utf-8")
    lock_file = tmp_path / "infra" / phone_packaging.LOCK_NAME
    lock_file.write_text(phone_packaging.lock_path().read_text(encoding="utf-8"))
    problems = phone_packaging.check_lock(lock_file, root=tmp_path)
    assert "left-pad>=1 is not in the lock" in problems
    with pytest.raises(packaging.BuildError, match="build-phone-lambda --lock"):
        phone_packaging.build(tmp_path / "x.zip", root=tmp_path, lock=lock_file)


def test_check_lock_on_the_command_line() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "skill", "build-phone-lambda", "--check-lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "matches pyproject.toml" in done.stdout


def test_the_command_is_listed() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "skill", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert "build-phone-lambda" in done.stdout


# --- slow: a real build, and a call from it ----------------------------------------------


@pytest.fixture(scope="module")
def unpacked(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # build-phone-lambda --local's zip, kept by the digest of its inputs (tests/support.py).
    out = built_zip("build-phone-lambda")
    task = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(out) as archive:
        archive.extractall(task)
    return task


@pytest.mark.slow
def test_the_zip_holds_the_phone_line_and_no_more(unpacked: Path) -> None:
    tops = {path.name for path in unpacked.iterdir()}
    assert {"skill", "templates", "interaction_model", "flask", "numpy", "twilio"} <= tops
    assert not tops & {"aiohttp", "cryptography", "waitress", "gunicorn", "tests", "bench"}
    assert not tops & {"ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime", "requests"}
    assert not tops & packaging.RUNTIME_PROVIDED
    assert not (unpacked / "skill" / "alexa").exists()
    assert not (unpacked / "skill" / "lambda_function.py").exists()
    twilio = {p.relative_to(unpacked).as_posix() for p in (unpacked / "twilio").rglob("*.py")}
    assert "twilio/request_validator.py" in twilio and "twilio/twiml/voice_response.py" in twilio
    assert not any(name.startswith("twilio/rest/") for name in twilio)
    assert (unpacked / "templates" / "_prerendered").is_dir()


_CALL = """
import base64, json, os, re, sys
from urllib.parse import parse_qsl
task, runtime = sys.argv[1:3]
stdlib = [p for p in sys.path if p]
sys.path[:0] = [task, runtime]
from skill.channels.phone import aws_lambda as entry
from twilio.request_validator import RequestValidator
voice, gather = json.loads(sys.stdin.read())
results = [entry.lambda_handler(voice, None)]
# The gather goes to the turn the greeting named, signed as Twilio signs it.
turn = re.search(r"turn=([0-9a-f]+)", results[0]["body"]).group(1)
gather["rawQueryString"] = "turn=" + turn
form = dict(parse_qsl(base64.b64decode(gather["body"]).decode()))
url = "https://" + gather["requestContext"]["domainName"] + "/phone/gather?turn=" + turn
signer = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
gather["headers"]["x-twilio-signature"] = signer.compute_signature(url, form)
results.append(entry.lambda_handler(gather, None))

def allowed(path):
    if path.startswith((task, runtime)):
        return True
    return path.startswith(tuple(stdlib)) and "site-packages" not in path

outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and not allowed(module.__file__)
)
sdk = sorted(name for name in sys.modules if name.startswith(("ask_sdk", "skill.alexa")))
print(json.dumps({"results": results, "outside": outside, "entry": entry.__file__, "sdk": sdk}))
"""


def _events() -> list[dict[str, Any]]:
    voice: dict[str, Any] = json.loads(FIXTURE.read_text(encoding="utf-8"))
    form = dict(parse_qsl(base64.b64decode(voice["body"]).decode()))
    gather = copy.deepcopy(voice)
    gather["rawPath"] = gather["requestContext"]["http"]["path"] = "/phone/gather"
    params = {**form, "CallStatus": "in-progress", "SpeechResult": "yes", "Confidence": "0.9"}
    gather["body"] = base64.b64encode(urlencode(params).encode()).decode()
    return [voice, gather]  # signed in the child, for the turn the greeting names


def _runtime(directory: Path) -> Path:
    """Links to what every Lambda Python runtime provides (boto3 and its own needs)."""
    directory.mkdir()
    for name in sorted(packaging.RUNTIME_PROVIDED):
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        (directory / source.name).symlink_to(source)
    return directory


@pytest.mark.slow
def test_a_call_is_answered_from_the_unpacked_zip_alone(unpacked: Path, tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        config.ENV_DB_PATH: str(tmp_path / "progress.sqlite3"),
        config.ENV_TWILIO_AUTH_TOKEN: TOKEN,
        config.ENV_PHONE_CALLER_PEPPER: "a-pepper-for-the-unpacked-zip",
        config.ENV_LOG_LEVEL: "WARNING",
    }
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _CALL, str(unpacked), str(_runtime(tmp_path / "rt"))],
        input=json.dumps(_events()),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["entry"].startswith(str(unpacked))
    assert not report["outside"], "imported from outside the zip and the runtime"
    assert report["sdk"] == []  # the Alexa SDK is neither shipped nor loaded
    greeting, tip = report["results"]
    assert greeting["statusCode"] == 200 and "Welcome to Ally Coach." in greeting["body"]
    assert tip["statusCode"] == 200 and "Tip 1." in tip["body"]
    assert greeting["headers"]["content-type"].startswith("text/xml")
