"""``python -m skill build-lambda``: what goes into the Lambda zip, and that it runs.

The slow tests install the real dependencies from the package index (no network means
they fail, on purpose: a zip we cannot build is a zip we cannot ship) and run the
handler from the unpacked zip in an interpreter that sees nothing else.
"""

from __future__ import annotations

import importlib.util
import json
import os
import posixpath
import shutil
import subprocess
import sys
import tomllib
import zipfile
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path
from typing import Any

import pytest

from skill import config
from skill.tools import lockfile, packaging

from support import built_zip

ROOT = Path(__file__).resolve().parents[2]
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
BUILD_TIMEOUT = 300

# ELF e_machine values, to tell which machine a compiled extension is for.
ELF_MACHINES = {0xB7: "aarch64", 0x3E: "x86_64"}


# --- fast: the pieces ------------------------------------------------------------------


def test_requirements_are_pyprojects_runtime_dependencies() -> None:
    with (ROOT / "pyproject.toml").open("rb") as file:
        project = tomllib.load(file)["project"]
    pyproject = ROOT / "pyproject.toml"
    assert packaging.runtime_requirements(pyproject) == project["dependencies"]
    with_aws = packaging.runtime_requirements(pyproject, [packaging.AWS_EXTRA])
    assert with_aws == project["dependencies"] + project["optional-dependencies"]["aws"]
    with pytest.raises(packaging.BuildError):
        packaging.runtime_requirements(pyproject, ["no-such-extra"])


def test_pip_targets_lambdas_platform(tmp_path: Path) -> None:
    command = packaging.pip_command(["Jinja2>=3"], tmp_path, arch="arm64", python="3.12")
    assert command[:4] == [sys.executable, "-m", "pip", "install"]
    assert command[-1] == "Jinja2>=3"
    assert "--only-binary=:all:" in command
    assert _option(command, "--target") == [str(tmp_path)]
    assert _option(command, "--python-version") == ["3.12"]
    assert _option(command, "--abi") == ["cp312"]
    assert _option(command, "--implementation") == ["cp"]
    platforms = _option(command, "--platform")
    assert "manylinux2014_aarch64" in platforms
    assert "manylinux_2_34_aarch64" in platforms  # Amazon Linux 2023's glibc
    assert "manylinux_2_35_aarch64" not in platforms
    assert all(platform.endswith("_aarch64") for platform in platforms)

    x86 = packaging.pip_command([], tmp_path, arch="x86_64", python="3.13")
    assert all(platform.endswith("_x86_64") for platform in _option(x86, "--platform"))
    assert _option(x86, "--abi") == ["cp313"]


def test_local_mode_installs_for_this_interpreter(tmp_path: Path) -> None:
    command = packaging.pip_command(["six"], tmp_path, local=True)
    for option in ("--platform", "--python-version", "--abi", "--implementation"):
        assert option not in command
    assert "--only-binary=:all:" in command


def _option(command: list[str], name: str) -> list[str]:
    return [command[i + 1] for i, part in enumerate(command) if part == name]


def _project(root: Path) -> Path:
    """A small project tree, with the things that must stay out of the zip."""
    for relative, text in {
        "skill/__init__.py": "",
        "skill/lambda_function.py": "def lambda_handler(event, context): ...\n",
        "skill/__pycache__/lambda_function.cpython-312.pyc": "x",
        "skill/stale.pyc": "x",
        "skill/.DS_Store": "x",
        "templates/en/launch.ssml.j2": "<speak>Hi</speak>",
        "interaction_model/en-US.json": "{}",
        "tests/test_x.py": "",
        "bench/run.py": "",
        ".venv/lib/x.py": "",
        "README.md": "",
        "pyproject.toml": '[project]\nname = "x"\ndependencies = []\n',
    }.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def _dependencies(target: Path) -> Path:
    """What pip --target leaves: packages, dist-info, console scripts."""
    for relative, text in {
        "jinja2/__init__.py": "",
        "jinja2/__pycache__/x.cpython-312.pyc": "",
        "jinja2-3.1.6.dist-info/RECORD": "jinja2/__init__.py,,\n",
        "bin/normalizer": "#!/usr/bin/python3\n",
        "boto3/__init__.py": "",
        "boto3/session.py": "",
        "boto3-1.40.0.dist-info/METADATA": "",
        "boto3-1.40.0.dist-info/RECORD": (
            "boto3/__init__.py,,\nboto3/session.py,,\n"
            "boto3-1.40.0.dist-info/METADATA,,\nboto3-1.40.0.dist-info/RECORD,,\n"
        ),
    }.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return target


def test_collects_the_skill_and_its_data_but_no_dev_files(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    deps = _dependencies(tmp_path / "deps")
    files = packaging.collect_files(root, deps, leave_out=packaging.RUNTIME_PROVIDED)
    assert sorted(files) == [
        "interaction_model/en-US.json",
        "jinja2-3.1.6.dist-info/RECORD",
        "jinja2/__init__.py",
        "skill/__init__.py",
        "skill/lambda_function.py",
        "templates/en/launch.ssml.j2",
    ]
    with_boto3 = packaging.collect_files(root, deps)
    assert "boto3/session.py" in with_boto3
    assert "boto3-1.40.0.dist-info/RECORD" in with_boto3


def test_a_missing_data_directory_fails_the_build(tmp_path: Path) -> None:
    root = _project(tmp_path)
    for path in sorted((root / "templates").rglob("*"), reverse=True):
        path.unlink() if path.is_file() else path.rmdir()
    (root / "templates").rmdir()
    with pytest.raises(packaging.BuildError, match="templates"):
        packaging.collect_files(root, None)


def test_a_dependency_may_not_shadow_the_skill(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    deps = tmp_path / "deps"
    (deps / "skill").mkdir(parents=True)
    (deps / "skill" / "__init__.py").write_text("")
    with pytest.raises(packaging.BuildError, match=r"skill/__init__\.py"):
        packaging.collect_files(root, deps)


def test_zip_is_the_same_bytes_whatever_the_file_times(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    files = packaging.collect_files(root, None)
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    packaging.write_zip(files, first)
    for path in files.values():
        os.utime(path, (1_900_000_000, 1_900_000_000))
    packaging.write_zip(dict(reversed(list(files.items()))), second)
    assert first.read_bytes() == second.read_bytes()

    with zipfile.ZipFile(first) as archive:
        infos = archive.infolist()
    assert [info.filename for info in infos] == sorted(files)
    for info in infos:
        assert info.date_time == packaging.FIXED_DATE_TIME
        assert (info.external_attr >> 16) & 0o777 in (0o644, 0o755)
    assert not list(tmp_path.glob("*.partial"))


def test_bytecode_is_compiled_only_by_an_interpreter_of_the_runtimes_version() -> None:
    this = f"{sys.version_info.major}.{sys.version_info.minor}"
    found = packaging.bytecode_interpreter(this)
    assert found is not None
    assert (found.path, found.tag) == (sys.executable, sys.implementation.cache_tag)
    assert found.version == ".".join(map(str, sys.version_info[:3]))
    empty = {"PATH": "", "HOME": "/nonexistent"}
    assert packaging.bytecode_interpreter("2.5", empty) is None  # none here, not even a shim


def _fake_python(path: Path, version: str, *, works: bool = True) -> Path:
    """A stand-in interpreter that answers the build's probe as CPython ``version``."""
    major_minor = ".".join(version.split(".")[:2])
    tag = "cpython-" + major_minor.replace(".", "")
    path.parent.mkdir(parents=True, exist_ok=True)
    body = (
        f"echo {major_minor} {version} {tag}" if works else "echo 'pyenv: not selected'; exit 127"
    )
    path.write_text(f"#!/bin/sh\n{body}\n")
    path.chmod(0o755)
    return path


def test_pyenvs_newest_patch_of_the_runtimes_version_is_found(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    for version in ("3.12.4", "3.12.10", "3.13.0", "3.12.11t"):
        _fake_python(root / "versions" / version / "bin" / "python3.12", version)
    # A shim on the PATH that fails for a version pyenv has not selected is passed over.
    shims = tmp_path / "shims"
    _fake_python(shims / "python3.12", "3.12.0", works=False)
    env = {"PYENV_ROOT": str(root), "PATH": str(shims), "HOME": str(tmp_path)}
    found = packaging.bytecode_interpreter("3.12", env)
    assert found == packaging.Compiler(
        str(root / "versions" / "3.12.10" / "bin" / "python3.12"), "cpython-312", "3.12.10", "pyenv"
    )
    assert "3.12.10" in found.describe()
    assert packaging.bytecode_interpreter("3.14", env) is None


def test_a_python_on_the_path_comes_before_pyenvs(tmp_path: Path) -> None:
    root = tmp_path / "pyenv"
    _fake_python(root / "versions" / "3.12.4" / "bin" / "python3.12", "3.12.4")
    bin_dir = tmp_path / "bin"
    _fake_python(bin_dir / "python3.12", "3.12.7")
    env = {"PYENV_ROOT": str(root), "PATH": str(bin_dir), "HOME": str(tmp_path)}
    found = packaging.bytecode_interpreter("3.12", env)
    assert found is not None and (found.version, found.found) == ("3.12.7", "on the PATH")


def test_the_environment_names_the_interpreter(tmp_path: Path) -> None:
    chosen = _fake_python(tmp_path / "custom" / "python", "3.12.3")
    env = {packaging.BYTECODE_PYTHON_ENV: str(chosen), "PATH": "", "HOME": str(tmp_path)}
    found = packaging.bytecode_interpreter("3.12", env)
    assert found is not None and (found.path, found.version) == (str(chosen), "3.12.3")
    # Named but of another version (or not there): the build stops rather than guess.
    with pytest.raises(packaging.BuildError, match=packaging.BYTECODE_PYTHON_ENV):
        packaging.bytecode_interpreter("3.13", env)
    missing = {**env, packaging.BYTECODE_PYTHON_ENV: str(tmp_path / "nothing")}
    with pytest.raises(packaging.BuildError, match="nothing"):
        packaging.bytecode_interpreter("3.12", missing)


def test_bytecode_is_the_same_bytes_from_build_to_build(tmp_path: Path) -> None:
    root = _project(tmp_path / "project")
    files = packaging.collect_files(root, None)
    this = packaging.bytecode_interpreter(f"{sys.version_info.major}.{sys.version_info.minor}")
    assert this is not None
    first = packaging.compile_bytecode(files, this.path, this.tag, tmp_path / "one")
    os.utime(root / "skill" / "lambda_function.py", (1_900_000_000, 1_900_000_000))
    second = packaging.compile_bytecode(files, this.path, this.tag, tmp_path / "two")
    assert (
        sorted(first)
        == sorted(second)
        == [
            f"skill/__pycache__/__init__.{this.tag}.pyc",
            f"skill/__pycache__/lambda_function.{this.tag}.pyc",
        ]
    )
    for entry in first:
        assert first[entry].read_bytes() == second[entry].read_bytes()


def test_the_build_says_which_interpreter_compiled_or_warns(
    capsys: pytest.CaptureFixture[str],
) -> None:
    compiler = packaging.Compiler("/opt/py/bin/python3.12", "cpython-312", "3.12.9", "pyenv")
    packaging.report_bytecode(packaging.Built((), 0, "cpython-312", compiler), "3.12", False)
    said = capsys.readouterr()
    assert "Compiled bytecode (cpython-312)" in said.out
    assert "/opt/py/bin/python3.12 (Python 3.12.9, pyenv)" in said.out
    packaging.report_bytecode(packaging.Built((), 0), "3.12", False)
    said = capsys.readouterr()
    assert said.err.startswith("warning: no python3.12 here")
    assert packaging.BYTECODE_PYTHON_ENV in said.err
    packaging.report_bytecode(packaging.Built((), 0), "3.12", True)  # --no-bytecode: asked for
    assert capsys.readouterr() == ("", "")


def test_human_size() -> None:
    assert packaging.human_size(512) == "512 B"
    assert packaging.human_size(1536) == "1.5 KiB"
    assert packaging.human_size(3 * 1024 * 1024) == "3.0 MiB"


def test_a_bad_python_version_is_a_usage_error() -> None:
    with pytest.raises(SystemExit) as exit_info:
        packaging.main(["--python", "three"])
    assert exit_info.value.code == 2


# --- the lock file ----------------------------------------------------------------------


def test_the_committed_lock_is_the_lock_of_pyprojects_runtime_dependencies() -> None:
    """The CI check: a dependency changed in pyproject.toml without a new lock fails here."""
    from packaging.requirements import Requirement

    lock_file = packaging.lock_path()
    assert lock_file == ROOT / "infra" / "lambda-requirements.lock"
    assert packaging.check_lock(lock_file) == []
    lock = lockfile.read(lock_file)
    assert lock.python == packaging.DEFAULT_PYTHON
    assert set(lock.architectures) == set(packaging.ARCHITECTURES)
    requirements = packaging.runtime_requirements(ROOT / "pyproject.toml", [packaging.AWS_EXTRA])
    for text in requirements:
        requirement = Requirement(text)
        pin = lock.pins[lockfile.normalise(requirement.name)]
        assert requirement.specifier.contains(pin.version, prereleases=True), (text, pin)
    for name, pin in lock.pins.items():
        assert pin.hashes and all(h.startswith("sha256:") for h in pin.hashes), name
    # Wheels with compiled code differ per architecture: one hash for each.
    assert len(lock.pins["markupsafe"].hashes) == len(packaging.ARCHITECTURES)


def test_check_lock_on_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "skill", "build-lambda", "--check-lock"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "matches pyproject.toml" in result.stdout


def _locked_project(root: Path, dependencies: list[str]) -> Path:
    """A project whose pyproject lists ``dependencies``, with the real lock copied in."""
    _project(root)
    listed = ", ".join(f'"{d}"' for d in dependencies)
    (root / "pyproject.toml").write_text(
        f'[project]\nname = "x"\ndependencies = [{listed}]\n'
        '[project.optional-dependencies]\naws = ["boto3>=1.34"]\n'
    )
    (root / "infra").mkdir()
    shutil.copy(packaging.lock_path(), root / "infra" / "lambda-requirements.lock")
    return root


def test_a_lock_older_than_pyproject_is_refused(tmp_path: Path) -> None:
    root = _locked_project(tmp_path, ["ask-sdk-core>=1.19,<2", "Jinja2>=3.1.6,<4", "requests"])
    problems = packaging.check_lock(packaging.lock_path(root=root), root=root)
    assert any("changed since the lock was made" in problem for problem in problems)

    with pytest.raises(packaging.BuildError, match="build-lambda --lock"):
        packaging.build(tmp_path / "out.zip", root=root)


def test_a_new_dependency_missing_from_the_lock_is_named(tmp_path: Path) -> None:
    root = _locked_project(tmp_path, ["ask-sdk-core>=1.19,<2", "left-pad>=1"])
    problems = packaging.check_lock(packaging.lock_path(root=root), root=root)
    assert "left-pad>=1 is not in the lock" in problems


def test_each_kind_of_zip_has_its_own_lock() -> None:
    # The phone line's zip will come from the same builder with other extras.
    assert packaging.lock_path(("aws", "phone")).name == "lambda-aws-phone-requirements.lock"
    assert packaging.lock_path(("aws", "phone")) != packaging.lock_path()


def test_a_lock_reads_back_as_it_was_written(tmp_path: Path) -> None:
    lock = lockfile.read(packaging.lock_path())
    copy = tmp_path / "copy.lock"
    copy.write_text(lock.text(), encoding="utf-8")
    assert lockfile.read(copy) == lock
    assert lock.text() == packaging.lock_path().read_text(encoding="utf-8")


def test_architectures_that_resolve_differently_cannot_share_a_lock() -> None:
    one = {"markupsafe": lockfile.Pin("3.0.2", ("sha256:" + "a" * 64,))}
    other = {"markupsafe": lockfile.Pin("3.0.3", ("sha256:" + "b" * 64,))}
    with pytest.raises(lockfile.LockError, match="markupsafe"):
        lockfile.merge({"arm64": one, "x86_64": other})
    same = {"markupsafe": lockfile.Pin("3.0.2", ("sha256:" + "b" * 64,))}
    merged = lockfile.merge({"arm64": one, "x86_64": same})
    assert merged["markupsafe"].hashes == ("sha256:" + "a" * 64, "sha256:" + "b" * 64)


def test_the_build_installs_exactly_the_locked_wheels(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The pip command of a Lambda build: the lock's wheels, hashes required, nothing else
    resolved. (Real builds run in the slow tests below.)"""
    commands: list[list[str]] = []

    def pip(command: list[str], **_: Any) -> subprocess.CompletedProcess[str]:
        commands.append(command)
        return subprocess.CompletedProcess(command, 1)

    monkeypatch.setattr(packaging.subprocess, "run", pip)
    with pytest.raises(packaging.BuildError, match="pip failed"):
        packaging.build(tmp_path / "out.zip")

    (command,) = commands
    assert "--require-hashes" in command and "--no-deps" in command
    assert _option(command, "-r") == [str(packaging.lock_path())]
    assert "manylinux2014_aarch64" in _option(command, "--platform")


def test_a_lock_for_another_runtime_is_refused() -> None:
    with pytest.raises(packaging.BuildError, match=r"python 3\.13"):
        packaging.build(Path("unused.zip"), python="3.13")


# --- slow: real builds -----------------------------------------------------------------


def _build(out: Path, *options: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "skill", "build-lambda", "--out", str(out), *options]
    result = subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=BUILD_TIMEOUT, check=False
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert f"Built {out}" in result.stdout, result.stdout
    return result


@pytest.fixture(scope="module")
def local_zip() -> Path:
    """``build-lambda --local``'s zip, kept by the digest of its inputs (tests/support.py)."""
    return built_zip("build-lambda")


@pytest.fixture(scope="module")
def unpacked(local_zip: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("task")  # named after Lambda's /var/task
    with zipfile.ZipFile(local_zip) as archive:
        archive.extractall(target)
    return target


@pytest.mark.slow
def test_zip_holds_the_skill_and_its_data_only(local_zip: Path) -> None:
    with zipfile.ZipFile(local_zip) as archive:
        names = archive.namelist()
    assert names == sorted(names)
    tops = {name.split("/")[0] for name in names}
    assert {"skill", "templates", "interaction_model", "jinja2", "ask_sdk_core"} <= tops
    assert not tops & {"tests", "bench", ".venv", "build", "infra", "docs", "bin"}
    assert not tops & packaging.RUNTIME_PROVIDED  # boto3 and co. come with Lambda
    # Bytecode for every module, made by this (the runtime's) interpreter, and no other.
    tag = sys.implementation.cache_tag
    sources = [name for name in names if name.endswith(".py")]
    expected_pyc = {
        posixpath.join(
            posixpath.dirname(n), "__pycache__", posixpath.basename(n)[:-3] + f".{tag}.pyc"
        )
        for n in sources
    }
    assert {name for name in names if name.endswith(".pyc")} == expected_pyc

    # Everything the skill reads at run time is there, where it looks for it.
    for directory in packaging.PROJECT_DIRS:
        expected = {
            path.relative_to(ROOT).as_posix()
            for path in (ROOT / directory).rglob("*")
            if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc"
        }
        ear = {name for name in expected if packaging.for_text_channels_only(name)}
        # The ear's corpus is build-time data: the heads trained from it are shipped.
        corpus = {name for name in expected if name.startswith("interaction_model/corpus/")}
        assert expected - ear - corpus <= set(names), sorted(expected - ear - corpus - set(names))
        assert not ear & set(names)  # the text channels' ear stays out of the Alexa zip
        assert not corpus & set(names)


def _run_handler(task: Path, tmp_path: Path) -> dict[str, Any]:
    """Answer a LaunchRequest with the handler of an unpacked zip, as Lambda would."""
    runtime = _lambda_runtime_packages(tmp_path / "runtime")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path),
        "LANG": "C.UTF-8",
        config.ENV_DB_PATH: str(tmp_path / "progress.sqlite3"),
        config.ENV_SKILL_ID: SKILL_ID,
        config.ENV_LOG_LEVEL: "WARNING",
    }
    # -I: no PYTHON* variables, no user site, no script directory; -S: no site-packages.
    # The path is then the stdlib, and the two directories the code puts in front: the
    # unpacked zip (Lambda's /var/task), then what the Lambda runtime itself provides.
    result = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _RUN_HANDLER, str(task), str(runtime)],
        input=json.dumps(_launch_request()),
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return report


@pytest.mark.slow
def test_handler_answers_a_launch_from_the_unpacked_zip_alone(
    unpacked: Path, tmp_path: Path
) -> None:
    report = _run_handler(unpacked, tmp_path)
    assert report["handler_file"].startswith(str(unpacked))
    assert not report["outside"], "imported from outside the zip and the runtime"
    speech = report["result"]["response"]["outputSpeech"]
    assert speech.get("ssml") or speech.get("text")


@pytest.mark.slow
def test_the_zips_bytecode_is_used_as_it_is(local_zip: Path) -> None:
    # Unchecked-hash pycs (PEP 552): Python uses them whatever the file times after
    # unzipping, and never needs to compile (nor write, /var/task is read-only).
    with zipfile.ZipFile(local_zip) as archive:
        pyc = [name for name in archive.namelist() if name.endswith(".pyc")]
        assert pyc
        for name in pyc:
            header = archive.read(name)[:16]
            assert header[:4] == importlib.util.MAGIC_NUMBER, name
            assert int.from_bytes(header[4:8], "little") == 0b01, name  # hash, unchecked


@pytest.mark.slow
def test_a_cold_start_from_the_zip_runs_its_bytecode_not_its_source(
    unpacked: Path, tmp_path: Path
) -> None:
    task = tmp_path / "task"
    shutil.copytree(unpacked, task)
    # Were the source compiled at start, the skill could not answer.
    for module in ("dialog", "speech", "turns"):
        (task / "skill" / f"{module}.py").write_text("raise ImportError('compiled the source')\n")
    report = _run_handler(task, tmp_path)
    assert report["result"]["response"]["outputSpeech"]["ssml"]


_RUN_HANDLER = """
import json, sys
task, runtime = sys.argv[1:3]
stdlib = [p for p in sys.path if p]
sys.path[:0] = [task, runtime]
import skill.lambda_function as entry

class Context:  # the parts of Lambda's context object that code tends to read
    function_name = "ally-coach-skill"
    function_version = "1"
    aws_request_id = "00000000-0000-0000-0000-000000000000"
    memory_limit_in_mb = 512
    def get_remaining_time_in_millis(self):
        return 7000

result = entry.lambda_handler(json.loads(sys.stdin.read()), Context())

def allowed(path):
    if path.startswith((task, runtime)):
        return True
    return path.startswith(tuple(stdlib)) and "site-packages" not in path

outside = sorted(
    name for name, module in list(sys.modules.items())
    if getattr(module, "__file__", None) and not allowed(module.__file__)
)
print(json.dumps({"result": result, "outside": outside, "handler_file": entry.__file__}))
"""


def _lambda_runtime_packages(directory: Path) -> Path:
    """Links to the packages every Lambda Python runtime has (boto3 and what it alone
    needs), so that code importing boto3 works here as it does on Lambda."""
    directory.mkdir()
    for name in sorted(packaging.RUNTIME_PROVIDED):
        spec = find_spec(name)
        if spec is None or spec.origin is None:
            continue
        source = Path(spec.origin).parent if spec.submodule_search_locations else Path(spec.origin)
        (directory / source.name).symlink_to(source)
    return directory


def _launch_request() -> dict[str, Any]:
    """A LaunchRequest as Alexa sends it."""
    application = {"applicationId": SKILL_ID}
    user = {"userId": "amzn1.ask.account.PACKAGING-TEST"}
    return {
        "version": "1.0",
        "session": {
            "new": True,
            "sessionId": "amzn1.echo-api.session.packaging-test",
            "application": application,
            "attributes": {},
            "user": user,
        },
        "context": {
            "System": {
                "application": application,
                "user": user,
                "device": {"deviceId": "amzn1.ask.device.TEST", "supportedInterfaces": {}},
                "apiEndpoint": "https://api.amazonalexa.com",
                "apiAccessToken": "test-token",
            }
        },
        "request": {
            "type": "LaunchRequest",
            "requestId": "amzn1.echo-api.request.packaging-test",
            "timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "locale": "en-US",
        },
    }


@pytest.mark.slow
def test_default_build_is_arm64_wheels_for_the_lambda_runtime_and_repeatable(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "first.zip", tmp_path / "second.zip"
    result = _build(first)
    assert f"python{packaging.DEFAULT_PYTHON} {packaging.DEFAULT_ARCH}" in result.stdout
    _build(second)
    # Entry by entry rather than the whole file: a file of the project edited between
    # the two builds (the work tree is shared while developing) is a different input.
    # The writer's own repeatability is test_zip_is_the_same_bytes_whatever_the_file_times.
    assert _entries(first) == _entries(second), "same dependencies gave different entries"

    tag = "cpython-" + packaging.DEFAULT_PYTHON.replace(".", "")
    runtime = packaging.bytecode_interpreter(packaging.DEFAULT_PYTHON)
    with zipfile.ZipFile(first) as archive:
        pyc = [name for name in archive.namelist() if name.endswith(".pyc")]
        if runtime is None:
            assert not pyc and "warning: no python" in result.stderr
        else:
            # Compiled by the runtime's version, and the build says by which interpreter.
            assert f"Compiled bytecode ({tag}) for every module with {runtime.path}" in (
                result.stdout
            )
            assert pyc and all(name.endswith(f".{tag}.pyc") for name in pyc)
            magic = subprocess.run(
                [
                    runtime.path,
                    "-I",
                    "-c",
                    "import importlib.util, sys; "
                    "sys.stdout.write(importlib.util.MAGIC_NUMBER.hex())",
                ],
                capture_output=True,
                text=True,
                timeout=60,
                check=True,
            ).stdout
            assert {archive.read(name)[:4].hex() for name in pyc} == {magic}
        extensions = [name for name in archive.namelist() if name.endswith(".so")]
        assert extensions, "expected compiled wheels (MarkupSafe's speedups at least)"
        for name in extensions:
            header = archive.read(name)[:20]
            assert header[:4] == b"\x7fELF", name
            machine = int.from_bytes(header[18:20], "little")
            assert ELF_MACHINES.get(machine) == "aarch64", name
            assert tag in name or ".abi3." in name, name


def _entries(path: Path) -> list[tuple[str, int, int, tuple[int, ...]]]:
    """Name, CRC, mode and time of every entry that is not the project's own file."""
    with zipfile.ZipFile(path) as archive:
        return [
            (info.filename, info.CRC, info.external_attr, info.date_time)
            for info in archive.infolist()
            if info.filename.split("/")[0] not in packaging.PROJECT_DIRS
        ]
