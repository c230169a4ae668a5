"""What a Lambda zip installs: a profile's requirements, pip for the Lambda platform, locks.

A ``Profile`` names a kind of zip: the skill's (``build-lambda``) or the phone line's
(``build-phone-lambda``). Its requirements are pyproject.toml's runtime dependencies with
its extras, less the ones it does without, plus some taken from other extras (installed
with their dependencies, or without them). They are installed as wheels for the Lambda
platform (Amazon Linux), exactly as the profile's committed lock pins them
(``skill.tools.lockfile``).
"""

from __future__ import annotations

import sys
import tomllib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from skill.paths import ROOT
from skill.tools import lockfile
from skill.tools.zipfiles import BuildError

LOCK_DIR = Path("infra")  # relative to the project root
DEFAULT_ARCH = "arm64"
DEFAULT_PYTHON = "3.12"

# Lambda architecture -> the machine name in manylinux wheel tags.
ARCHITECTURES: dict[str, str] = {"arm64": "aarch64", "x86_64": "x86_64"}

# pyproject.toml's extra that holds boto3, and the distributions of it that every Lambda
# Python runtime already has.
AWS_EXTRA = "aws"
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})

# Lambda's python3.12 and newer runtimes run on Amazon Linux 2023 (glibc 2.34), so any
# manylinux wheel up to glibc 2.34 works there. pip does not expand a manylinux_2_x
# platform to older ones by itself, hence the explicit list, newest first.
NEWEST_GLIBC_MINOR = 34
OLDEST_GLIBC_MINOR = 17  # manylinux2014

PIP_OPTIONS = ("--no-compile", "--disable-pip-version-check", "--no-input", "--quiet")


def _everything(arcname: str) -> bool:
    return True


@dataclass(frozen=True)
class Profile:
    """A kind of Lambda zip."""

    command: str  # the ``python -m skill`` command that builds it
    description: str
    default_out: Path
    handler: str  # what infra/template.yaml names as the function's handler
    extras: tuple[str, ...] = (AWS_EXTRA,)
    lock_name: str | None = None  # None: named after the extras (``lock_path``)
    # Requirements of other extras this zip needs too, by distribution name.
    picked: tuple[tuple[str, frozenset[str]], ...] = ()
    without_dependencies: frozenset[str] = frozenset()  # of ``picked``: installed alone
    dropped: frozenset[str] = frozenset()  # runtime dependencies this zip does without
    lock_extras: tuple[str, ...] | None = None  # what the lock names (default: extras)
    text_channels: bool = False  # the text channels' ear goes in too
    project_leave_out: tuple[str, ...] = ()  # project paths (prefixes) left out
    keep: Callable[[str], bool] = field(default=_everything)  # dependency files kept
    checked_by: str = "test_packaging.py"  # the test that holds its lock to pyproject.toml

    def lock_file(self, root: Path = ROOT) -> Path:
        if self.lock_name is not None:
            return root / LOCK_DIR / self.lock_name
        return lock_path(self.extras, root)

    def named_extras(self) -> tuple[str, ...]:
        return self.lock_extras or self.extras


def name_of(requirement: str) -> str:
    """``"Flask>=3"`` -> ``"flask"``."""
    try:
        return lockfile.requirement_name(requirement)
    except lockfile.LockError as error:
        raise BuildError(str(error)) from error


def runtime_requirements(pyproject: Path, extras: Iterable[str] = ()) -> list[str]:
    """The requirements the skill needs at run time, as pyproject.toml lists them."""
    with pyproject.open("rb") as file:
        project = tomllib.load(file)["project"]
    requirements = list(project.get("dependencies", []))
    optional = project.get("optional-dependencies", {})
    for extra in extras:
        if extra not in optional:
            raise BuildError(f"pyproject.toml has no optional dependency group {extra!r}")
        requirements.extend(optional[extra])
    return requirements


def requirements(profile: Profile, pyproject: Path) -> tuple[list[str], list[str]]:
    """(requirements installed with their dependencies, those installed without)."""
    base = [
        r
        for r in runtime_requirements(pyproject, profile.extras)
        if name_of(r) not in profile.dropped
    ]
    with pyproject.open("rb") as file:
        optional = tomllib.load(file)["project"].get("optional-dependencies", {})
    picked: list[str] = []
    for extra, names in profile.picked:
        found = [r for r in optional.get(extra, []) if name_of(r) in names]
        missing = names - {name_of(r) for r in found}
        if missing:
            raise BuildError(f"pyproject.toml's {extra} extra lacks {sorted(missing)}")
        picked += found
    alone = profile.without_dependencies
    with_deps = base + [r for r in picked if name_of(r) not in alone]
    return with_deps, [r for r in picked if name_of(r) in alone]


def lock_path(extras: Sequence[str] = (AWS_EXTRA,), root: Path = ROOT) -> Path:
    """Where the lock of a zip with these extras lives: one lock per kind of zip."""
    if tuple(extras) == (AWS_EXTRA,):
        return root / LOCK_DIR / "lambda-requirements.lock"
    return root / LOCK_DIR / f"lambda-{'-'.join(sorted(extras))}-requirements.lock"


def lambda_platforms(arch: str) -> list[str]:
    """pip ``--platform`` values for wheels that run on Lambda's Amazon Linux 2023."""
    machine = ARCHITECTURES[arch]
    newest_first = range(NEWEST_GLIBC_MINOR, OLDEST_GLIBC_MINOR - 1, -1)
    return [f"manylinux_2_{minor}_{machine}" for minor in newest_first] + [
        f"manylinux2014_{machine}"
    ]


def platform_options(arch: str = DEFAULT_ARCH, python: str = DEFAULT_PYTHON) -> list[str]:
    """pip options that pick wheels for the Lambda runtime, whatever machine runs pip."""
    options = ["--only-binary=:all:"]
    for platform in lambda_platforms(arch):
        options += ["--platform", platform]
    abi = "cp" + python.replace(".", "")
    return [*options, "--implementation", "cp", "--python-version", python, "--abi", abi]


def pip_command(
    requirements: Sequence[str],
    target: Path,
    *,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    local: bool = False,
    constraints: Path | None = None,
    no_deps: bool = False,
) -> list[str]:
    """The pip command that installs ``requirements`` into ``target``.

    With ``local`` the wheels are for the running interpreter and machine (used by the
    tests, which import the result here); otherwise for Lambda's platform, whatever
    machine builds. Wheels only, so nothing is compiled for the wrong platform.
    """
    command = [sys.executable, "-m", "pip", "install"] + (["--no-deps"] if no_deps else [])
    command += ["--target", str(target), *PIP_OPTIONS]
    command += ["--only-binary=:all:"] if local else platform_options(arch, python)
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    return [*command, *requirements]


def make_lock(
    profile: Profile,
    *,
    python: str = DEFAULT_PYTHON,
    architectures: Sequence[str] = tuple(sorted(ARCHITECTURES)),
    root: Path = ROOT,
) -> lockfile.Lock:
    """Resolve the profile's dependencies for each architecture; one lock for them all."""
    with_deps, without = requirements(profile, root / "pyproject.toml")
    try:
        resolutions = {}
        for arch in architectures:
            options = platform_options(arch, python)
            pins = lockfile.resolve(with_deps, options)
            if without:
                pins.update(lockfile.resolve(without, [*options, "--no-deps"]))
            resolutions[arch] = pins
        merged = lockfile.merge(resolutions)
    except lockfile.LockError as error:
        raise BuildError(str(error)) from error
    everything = [*with_deps, *without]
    return lockfile.Lock(
        extras=profile.named_extras(),
        python=python,
        architectures=tuple(architectures),
        inputs=lockfile.inputs_digest(everything, profile.named_extras()),
        requirements=tuple(everything),
        pins=merged,
    )


def check_profile_lock(profile: Profile, path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the lock at ``path`` for pyproject.toml, as sentences."""
    try:
        lock = lockfile.read(path)
    except lockfile.LockError as error:
        return [str(error)]
    with_deps, without = requirements(profile, root / "pyproject.toml")
    return lockfile.problems(lock, [*with_deps, *without], profile.named_extras())
