"""Build the AWS Lambda deployment zip: ``python -m skill build-lambda``.

The zip holds the runtime dependencies of pyproject.toml, installed as wheels for the
Lambda platform (Amazon Linux, arm64 by default) exactly as the committed lock file
``infra/lambda-requirements.lock`` pins them, hashes checked (``skill.tools.lockfile``;
``--lock`` makes it anew, ``--check-lock`` says whether it still matches pyproject.toml),
and beside them the ``skill``
package, ``templates/`` and ``interaction_model/``, all at the zip root: the skill finds
its templates at ``Path(skill.__file__).parent.parent / "templates"``. Tests, benchmarks
and dev tools stay out. The same inputs give the same bytes (sorted entries, fixed
timestamps), so an unchanged build does not publish a new Lambda version.

boto3 is left out by default: the Lambda runtime provides it, and bundling it would add
about 17 MB zipped (33 MB unpacked) that every cold start pays for. It is still resolved
with the rest, so that the dependencies it shares with our own (python-dateutil,
urllib3), which are bundled and so shadow the runtime's, stay versions the runtime's
botocore accepts. ``--with-boto3`` bundles it too, for when the code needs a newer
boto3 than the runtime has.

Lambda unpacks the zip into a read-only ``/var/task``, so Python cannot cache the
bytecode it compiles: without ``.pyc`` files in the zip, every cold start compiles every
module it imports, about three times the cost of a start from bytecode (bench/README.md).
So the build compiles each module with an interpreter of the runtime's version
(``$SKILL_BYTECODE_PYTHON``, the one running the build, ``python3.X`` on the PATH, or
pyenv's: see ``bytecode_interpreter``) into unchecked-hash ``.pyc`` files (PEP 552: used
as they are, whatever the file times after unzipping), and says which one. With no such
interpreter the zip holds source only, and the build warns.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import posixpath
import shutil
import stat
import subprocess
import sys
import tempfile
import tomllib
import zipfile
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from skill.paths import ROOT
from skill.tools import lockfile

# infra/template.yaml's CodeUri points here; tests/test_infra.py checks they agree.
DEFAULT_OUT = ROOT / "build" / "lambda.zip"
LOCK_DIR = Path("infra")  # relative to the project root
DEFAULT_ARCH = "arm64"
DEFAULT_PYTHON = "3.12"

# Lambda architecture -> the machine name in manylinux wheel tags.
ARCHITECTURES: dict[str, str] = {"arm64": "aarch64", "x86_64": "x86_64"}

# pyproject.toml's extra that holds boto3, and the distributions of it that every Lambda
# Python runtime already has.
AWS_EXTRA = "aws"
RUNTIME_PROVIDED = frozenset({"boto3", "botocore", "s3transfer", "jmespath"})

# The project's own directories that the running skill needs, copied to the zip root.
PROJECT_DIRS = ("skill", "templates", "interaction_model")
PRERENDERED = "_prerendered"  # under templates/, as skill.speech.render.PRERENDERED_DIR

# The text channels' ear: the chat's and the phone line's resolver, its safety check and
# its classifier. Alexa does its own NLU, so the Alexa Lambda never imports them, and the
# zip leaves them out (numbers.py stays: the Alexa intents read slot numbers with it).
TEXT_CHANNELS_ONLY = "skill/understanding/"
TEXT_CHANNELS_KEPT = frozenset(
    {"skill/understanding/__init__.py", "skill/understanding/numbers.py"}
)
TEXT_CHANNELS_ENTRY = "skill/nlu.py"

# Lambda's python3.12 and newer runtimes run on Amazon Linux 2023 (glibc 2.34), so any
# manylinux wheel up to glibc 2.34 works there. pip does not expand a manylinux_2_x
# platform to older ones by itself, hence the explicit list, newest first.
NEWEST_GLIBC_MINOR = 34
OLDEST_GLIBC_MINOR = 17  # manylinux2014

# The zip format cannot store times before 1980; any fixed time makes builds repeatable.
FIXED_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# Lambda refuses code larger than this once unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

PIP_OPTIONS = ("--no-compile", "--disable-pip-version-check", "--no-input", "--quiet")


class BuildError(Exception):
    """The package could not be built; the message says why."""


@dataclass(frozen=True)
class Built:
    """What went into a zip."""

    entries: tuple[str, ...]
    unpacked_bytes: int
    bytecode: str | None = None  # the cache tag of the .pyc files, if any (cpython-312)
    compiler: Compiler | None = None  # the interpreter that compiled them


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


def lock_path(extras: Sequence[str] = (AWS_EXTRA,), root: Path = ROOT) -> Path:
    """Where the lock of a zip with these extras lives: one lock per kind of zip (the
    skill's, and later the phone line's, with other extras)."""
    if tuple(extras) == (AWS_EXTRA,):
        return root / LOCK_DIR / "lambda-requirements.lock"
    return root / LOCK_DIR / f"lambda-{'-'.join(sorted(extras))}-requirements.lock"


def platform_options(arch: str = DEFAULT_ARCH, python: str = DEFAULT_PYTHON) -> list[str]:
    """pip options that pick wheels for the Lambda runtime, whatever machine runs pip."""
    options = ["--only-binary=:all:"]
    for platform in lambda_platforms(arch):
        options += ["--platform", platform]
    abi = "cp" + python.replace(".", "")
    return [*options, "--implementation", "cp", "--python-version", python, "--abi", abi]


def make_lock(
    extras: Sequence[str] = (AWS_EXTRA,),
    *,
    python: str = DEFAULT_PYTHON,
    architectures: Sequence[str] = tuple(sorted(ARCHITECTURES)),
    root: Path = ROOT,
) -> lockfile.Lock:
    """Resolve the runtime dependencies for each architecture; one lock for them all."""
    requirements = runtime_requirements(root / "pyproject.toml", extras)
    try:
        resolutions = {
            arch: lockfile.resolve(requirements, platform_options(arch, python))
            for arch in architectures
        }
        pins = lockfile.merge(resolutions)
    except lockfile.LockError as error:
        raise BuildError(str(error)) from error
    return lockfile.Lock(
        extras=tuple(extras),
        python=python,
        architectures=tuple(architectures),
        inputs=lockfile.inputs_digest(requirements, extras),
        requirements=tuple(requirements),
        pins=pins,
    )


def check_lock(path: Path, extras: Sequence[str] = (AWS_EXTRA,), root: Path = ROOT) -> list[str]:
    """What is wrong with the lock at ``path`` for pyproject.toml, as sentences."""
    try:
        lock = lockfile.read(path)
    except lockfile.LockError as error:
        return [str(error)]
    requirements = runtime_requirements(root / "pyproject.toml", extras)
    return lockfile.problems(lock, requirements, extras)


def _locked(path: Path, extras: Sequence[str], root: Path) -> lockfile.Lock:
    problems = check_lock(path, extras, root)
    if problems:
        raise BuildError(
            f"{_display(path)} is not a current lock: {'; '.join(problems)}. "
            "Run: python -m skill build-lambda --lock"
        )
    return lockfile.read(path)


def lambda_platforms(arch: str) -> list[str]:
    """pip ``--platform`` values for wheels that run on Lambda's Amazon Linux 2023."""
    machine = ARCHITECTURES[arch]
    newest_first = range(NEWEST_GLIBC_MINOR, OLDEST_GLIBC_MINOR - 1, -1)
    return [f"manylinux_2_{minor}_{machine}" for minor in newest_first] + [
        f"manylinux2014_{machine}"
    ]


def pip_command(
    requirements: Sequence[str],
    target: Path,
    *,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    local: bool = False,
    constraints: Path | None = None,
) -> list[str]:
    """The pip command that installs ``requirements`` into ``target``.

    With ``local`` the wheels are for the running interpreter and machine (used by the
    tests, which import the result here); otherwise for Lambda's platform, whatever
    machine builds. Wheels only, so nothing is compiled for the wrong platform.
    """
    command = [sys.executable, "-m", "pip", "install", "--target", str(target), *PIP_OPTIONS]
    command += ["--only-binary=:all:"] if local else platform_options(arch, python)
    if constraints is not None:
        command += ["--constraint", str(constraints)]
    return [*command, *requirements]


def _distribution_name(dist_info: str) -> str:
    """``"python_dateutil-2.9.0.dist-info"`` -> ``"python-dateutil"`` (normalised)."""
    name = dist_info.removesuffix(".dist-info").rsplit("-", 1)[0]
    return name.lower().replace("_", "-").replace(".", "-")


def distribution_files(target: Path, names: Collection[str]) -> set[str]:
    """Paths (relative to pip's ``--target``) of the files that installed ``names``.

    Read from each distribution's RECORD, which lists every file that pip wrote for it.
    """
    wanted = {name.lower().replace("_", "-") for name in names}
    paths: set[str] = set()
    for dist_info in sorted(target.glob("*.dist-info")):
        if _distribution_name(dist_info.name) not in wanted:
            continue
        with (dist_info / "RECORD").open(newline="", encoding="utf-8") as record:
            for row in csv.reader(record):
                if row:
                    paths.add(posixpath.normpath(row[0]))
    return paths


def _wanted(relative: Path) -> bool:
    """Whether a file belongs in the zip: no caches, compiled files or hidden files.

    A pre-rendered table left in the checkout is not taken either: the build renders its
    own from the templates it packs, so the two cannot disagree."""
    if any(part in ("__pycache__", PRERENDERED) or part.startswith(".") for part in relative.parts):
        return False
    return relative.suffix not in {".pyc", ".pyo"}


def for_text_channels_only(arcname: str) -> bool:
    """Whether a project file is the text channels' ear, which the Alexa zip leaves out."""
    if arcname == TEXT_CHANNELS_ENTRY:
        return True
    return arcname.startswith(TEXT_CHANNELS_ONLY) and arcname not in TEXT_CHANNELS_KEPT


def collect_files(
    root: Path,
    dependencies: Path | None,
    *,
    leave_out: Collection[str] = (),
    text_channels: bool = False,
) -> dict[str, Path]:
    """Map each zip entry name to the file it is made from.

    ``dependencies`` is pip's ``--target`` directory; its ``bin/`` (console scripts whose
    first line names the build machine's interpreter) is of no use on Lambda, nor are
    the files of the distributions named in ``leave_out``. The text channels' ear is
    left out unless ``text_channels`` (the phone line's zip needs it; Alexa's does not).
    """
    files: dict[str, Path] = {}
    if dependencies is not None:
        skipped = distribution_files(dependencies, leave_out)
        for path in sorted(dependencies.rglob("*")):
            relative = path.relative_to(dependencies)
            arcname = relative.as_posix()
            if arcname in skipped or relative.parts[0] == "bin":
                continue
            if path.is_file() and _wanted(relative):
                files[arcname] = path
    for name in PROJECT_DIRS:
        directory = root / name
        if not directory.is_dir():
            raise BuildError(f"{directory} is missing; the skill cannot run without it")
        for path in sorted(directory.rglob("*")):
            relative = path.relative_to(root)
            if not (path.is_file() and _wanted(relative)):
                continue
            arcname = relative.as_posix()
            if not text_channels and for_text_channels_only(arcname):
                continue
            if arcname in files:
                # A dependency shipping a top-level "skill" (or "templates") would be
                # silently shadowed, or shadow ours; refuse rather than guess.
                raise BuildError(f"{arcname} comes both from a dependency and the project")
            files[arcname] = path
    return files


def _sources_digest() -> str:
    """What the rendered tables depend on: the templates and the skill's code."""
    digest = hashlib.sha256()
    sources = [p for p in (ROOT / "templates").rglob("*") if PRERENDERED not in p.parts]
    sources += list((ROOT / "skill").rglob("*.py"))
    for path in sorted(p for p in sources if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(ROOT).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:24]


def prerendered_files(out_dir: Path) -> dict[str, Path]:
    """Every reply rendered ahead (``skill.speech.prerender``), so a cold start needs no Jinja2.

    Rendering them walks every state of the dialog (half a minute); the result depends only
    on the templates and the code, so it is kept under build/ by their digest and reused
    by the next build of the same sources.
    """
    from skill.speech.prerender import build as prerender

    cache = ROOT / "build" / "prerendered" / _sources_digest()
    if not (cache / ".complete").exists():
        try:
            fresh = cache.with_name(f"{cache.name}.{os.getpid()}")
            shutil.rmtree(fresh, ignore_errors=True)
            prerender(fresh)
            (fresh / ".complete").write_text("", encoding="utf-8")
            try:
                fresh.rename(cache)
            except OSError:  # another build finished the same tables first
                shutil.rmtree(fresh, ignore_errors=True)
        except OSError:  # no writable build/: render into the build's own folder
            prerender(out_dir)
            cache = out_dir
    return {
        f"templates/{PRERENDERED}/{path.relative_to(cache).as_posix()}": path
        for path in sorted(cache.rglob("*.json"))
    }


# Where Lambda unpacks the zip: names in tracebacks point at the deployed files.
LAMBDA_TASK_ROOT = "/var/task"

# Run by the runtime's interpreter: stdin is [[source, pyc, display name], ...]. Only
# the standard library, so any CPython of the version will do.
_COMPILE = """
import json, py_compile, sys
for source, target, shown in json.load(sys.stdin):
    py_compile.compile(source, cfile=target, dfile=shown, doraise=True,
                       invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
"""


# An interpreter to compile the zip's bytecode with, when the one to use is known; it
# must be of the runtime's version.
BYTECODE_PYTHON_ENV = "SKILL_BYTECODE_PYTHON"
PYENV_ROOT_ENV = "PYENV_ROOT"


class Compiler(NamedTuple):
    """The interpreter that compiles a zip's bytecode."""

    path: str
    tag: str  # sys.implementation.cache_tag, "cpython-312"
    version: str  # the full version, "3.12.1"
    found: str  # where it was found, for the build's output

    def describe(self) -> str:
        return f"{self.path} (Python {self.version}, {self.found})"


def _probe(interpreter: str, python: str) -> tuple[str, str] | None:
    """The interpreter's full version and cache tag if it runs and is version ``python``."""
    probe = (
        "import platform, sys; "
        "print('%d.%d' % sys.version_info[:2], platform.python_version(), "
        "sys.implementation.cache_tag)"
    )
    try:
        result = subprocess.run(
            [interpreter, "-I", "-c", probe], capture_output=True, text=True, timeout=30
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    found = result.stdout.split()
    # A pyenv shim, say, exists for versions that are not selected and then fails.
    if result.returncode != 0 or len(found) != 3 or found[0] != python:
        return None
    return found[1], found[2]


def pyenv_roots(environ: Mapping[str, str] = os.environ) -> list[Path]:
    """Where pyenv keeps its versions: ``$PYENV_ROOT``, ``pyenv root``, ``~/.pyenv``."""
    roots: list[Path] = []
    if environ.get(PYENV_ROOT_ENV):
        roots.append(Path(environ[PYENV_ROOT_ENV]))
    pyenv = shutil.which("pyenv", path=environ.get("PATH"))
    if pyenv:
        try:
            said = subprocess.run([pyenv, "root"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired):
            said = None
        if said is not None and said.returncode == 0 and said.stdout.strip():
            roots.append(Path(said.stdout.strip()))
    roots.append(Path("~/.pyenv").expanduser())
    unique: list[Path] = []
    for root in roots:
        if root not in unique and (root / "versions").is_dir():
            unique.append(root)
    return unique


def _patch(name: str, python: str) -> int | None:
    """The patch number of a pyenv version named ``name`` if it is CPython ``python``:
    ``"3.12.1"`` -> 1 for 3.12; None for other versions and for builds such as
    ``3.12.1t`` or ``3.12-dev``."""
    if name == python:
        return 0
    prefix, _, patch = name.rpartition(".")
    return int(patch) if prefix == python and patch.isdigit() else None


def pyenv_interpreters(python: str, environ: Mapping[str, str] = os.environ) -> list[str]:
    """The ``python3.X`` binaries of pyenv's versions of ``python``, newest patch first."""
    found: list[tuple[int, str]] = []
    for root in pyenv_roots(environ):
        for version in (root / "versions").iterdir():
            patch = _patch(version.name, python)
            binary = version / "bin" / f"python{python}"
            if patch is not None and binary.is_file():
                found.append((patch, str(binary)))
    return [path for _, path in sorted(found, key=lambda item: -item[0])]


def bytecode_interpreter(python: str, environ: Mapping[str, str] = os.environ) -> Compiler | None:
    """An interpreter of version ``python`` (``3.12``) to compile the bytecode with.

    ``$SKILL_BYTECODE_PYTHON`` if set (it must be that version); else this interpreter if
    it is; else ``python3.12`` on the PATH; else pyenv's newest 3.12 (a pyenv shim on the
    PATH runs only the versions pyenv has selected, so the versions' own binaries are
    looked up). None when there is none.
    """
    chosen = environ.get(BYTECODE_PYTHON_ENV)
    if chosen:
        probed = _probe(chosen, python)
        if probed is None:
            raise BuildError(
                f"{BYTECODE_PYTHON_ENV}={chosen} is not a Python {python} interpreter that runs"
            )
        return Compiler(chosen, probed[1], probed[0], f"from ${BYTECODE_PYTHON_ENV}")
    if f"{sys.version_info.major}.{sys.version_info.minor}" == python:
        version = ".".join(str(part) for part in sys.version_info[:3])
        return Compiler(sys.executable, sys.implementation.cache_tag, version, "this interpreter")
    candidates = [(path, "pyenv") for path in pyenv_interpreters(python, environ)]
    on_path = shutil.which(f"python{python}", path=environ.get("PATH"))
    if on_path:
        candidates.insert(0, (on_path, "on the PATH"))
    for path, found in candidates:
        probed = _probe(path, python)
        if probed is not None:
            return Compiler(path, probed[1], probed[0], found)
    return None


def compile_bytecode(
    files: Mapping[str, Path], interpreter: str, tag: str, work: Path
) -> dict[str, Path]:
    """Compile every ``.py`` entry with ``interpreter``; the ``.pyc`` entries to add."""
    jobs: list[list[str]] = []
    added: dict[str, Path] = {}
    for arcname, source in sorted(files.items()):
        if not arcname.endswith(".py"):
            continue
        folder, name = posixpath.split(arcname)
        entry = posixpath.join(folder, "__pycache__", f"{name[:-3]}.{tag}.pyc")
        target = work / entry
        jobs.append([str(source), str(target), posixpath.join(LAMBDA_TASK_ROOT, arcname)])
        added[entry] = target
    result = subprocess.run(
        [interpreter, "-I", "-c", _COMPILE],
        input=json.dumps(jobs),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"compiling bytecode failed:\n{result.stderr[-2000:]}")
    return added


def write_zip(files: Mapping[str, Path], out: Path) -> None:
    """Write ``files`` to ``out`` so that the same files always give the same bytes."""
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(out.name + ".partial")
    with zipfile.ZipFile(partial, "w") as archive:
        for arcname in sorted(files):
            source = files[arcname]
            info = zipfile.ZipInfo(arcname, date_time=FIXED_DATE_TIME)
            info.create_system = 3  # Unix, so that the permission bits below are read
            executable = source.stat().st_mode & stat.S_IXUSR
            mode = 0o755 if executable else 0o644  # readable by Lambda's runtime user
            info.external_attr = (stat.S_IFREG | mode) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, source.read_bytes(), compresslevel=9)
    # Replace the old zip only once the new one is whole.
    os.replace(partial, out)


def human_size(size: int) -> str:
    """``1536`` -> ``"1.5 KiB"``."""
    value = float(size)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def build(
    out: Path,
    *,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    local: bool = False,
    bundle_boto3: bool = False,
    extras: Sequence[str] = (AWS_EXTRA,),
    lock: Path | None = None,
    use_lock: bool = True,
    root: Path = ROOT,
    bytecode: bool = True,
) -> Built:
    """Install the dependencies, gather the project's files and write the zip.

    The dependencies are the lock's (``lock``, by default the one of ``extras``): exactly
    its wheels, hashes checked. A ``local`` build (wheels for this machine, for tests)
    takes the lock's versions but cannot check its hashes, which are the Lambda's wheels'.
    ``use_lock=False`` resolves pyproject.toml's ranges afresh instead.
    """
    requirements = runtime_requirements(root / "pyproject.toml", extras)
    locked = _locked(lock or lock_path(extras, root), extras, root) if use_lock else None
    if (
        locked is not None
        and not local
        and (python != locked.python or arch not in locked.architectures)
    ):
        raise BuildError(
            f"the lock is for python {locked.python} on {', '.join(locked.architectures)}, "
            f"not python {python} on {arch}. Run: python -m skill build-lambda --lock "
            f"--python {python}"
        )
    with tempfile.TemporaryDirectory(prefix="ally-coach-lambda-") as temporary:
        target = Path(temporary) / "dependencies"
        if locked is None:
            command = pip_command(requirements, target, arch=arch, python=python, local=local)
        elif local:
            constraints = Path(temporary) / "constraints.txt"
            constraints.write_text(locked.constraints(), encoding="utf-8")
            command = pip_command(requirements, target, local=True, constraints=constraints)
        else:
            command = [sys.executable, "-m", "pip", "install", "--target", str(target)]
            command += [*PIP_OPTIONS, *platform_options(arch, python)]
            command += ["--no-deps", "--require-hashes", "-r", str(lock or lock_path(extras, root))]
        result = subprocess.run(command, check=False)
        if result.returncode != 0:
            raise BuildError(f"pip failed (exit code {result.returncode}): {' '.join(command)}")
        leave_out = () if bundle_boto3 else RUNTIME_PROVIDED
        files = collect_files(root, target, leave_out=leave_out)
        files.update(prerendered_files(Path(temporary) / PRERENDERED))
        compiler = None
        if bytecode:
            this = f"{sys.version_info.major}.{sys.version_info.minor}"
            compiler = bytecode_interpreter(this if local else python)
        if compiler is not None:
            files.update(
                compile_bytecode(files, compiler.path, compiler.tag, Path(temporary) / "pyc")
            )
        unpacked = sum(path.stat().st_size for path in files.values())
        if unpacked > LAMBDA_UNZIPPED_LIMIT:
            raise BuildError(
                f"the package would be {human_size(unpacked)} unzipped, over Lambda's "
                f"limit of {human_size(LAMBDA_UNZIPPED_LIMIT)}"
            )
        write_zip(files, out)
    return Built(
        entries=tuple(sorted(files)),
        unpacked_bytes=unpacked,
        bytecode=compiler.tag if compiler else None,
        compiler=compiler,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill build-lambda",
        description="Build the AWS Lambda deployment zip that infra/template.yaml deploys.",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="zip to write (default: build/lambda.zip)"
    )
    parser.add_argument(
        "--arch", choices=sorted(ARCHITECTURES), default=DEFAULT_ARCH, help="Lambda architecture"
    )
    parser.add_argument(
        "--python", default=DEFAULT_PYTHON, help="Python version of the Lambda runtime"
    )
    parser.add_argument(
        "--local",
        action="store_true",
        help="install wheels for this interpreter and machine instead (for tests)",
    )
    parser.add_argument(
        "--with-boto3",
        action="store_true",
        help="bundle boto3 instead of using the one the Lambda runtime provides",
    )
    parser.add_argument(
        "--extra",
        action="append",
        dest="extras",
        metavar="EXTRA",
        help=f"an optional dependency group of pyproject.toml to include (repeatable; "
        f"default: {AWS_EXTRA})",
    )
    parser.add_argument(
        "--lock-file",
        type=Path,
        help="the lock to build from or write (default: infra/lambda-requirements.lock for "
        "the default extras)",
    )
    locking = parser.add_mutually_exclusive_group()
    locking.add_argument(
        "--lock",
        action="store_true",
        help="resolve the dependencies for the Lambda platform (every architecture) and "
        "write the lock file; build nothing",
    )
    locking.add_argument(
        "--check-lock",
        action="store_true",
        help="exit 1 if the lock file does not match pyproject.toml; build nothing",
    )
    locking.add_argument(
        "--no-lock",
        action="store_true",
        help="resolve pyproject.toml's ranges afresh instead of using the lock",
    )
    parser.add_argument(
        "--no-bytecode",
        action="store_true",
        help="ship source only, even when an interpreter of the runtime's version is at hand",
    )
    args = parser.parse_args(argv)
    if not args.python.replace(".", "").isdigit() or args.python.count(".") != 1:
        parser.error(f"--python takes a version like 3.12, not {args.python!r}")

    extras: tuple[str, ...] = tuple(args.extras or (AWS_EXTRA,))
    lock: Path = args.lock_file.resolve() if args.lock_file else lock_path(extras)
    if args.check_lock:
        problems = check_lock(lock, extras)
        for problem in problems:
            print(f"build-lambda: {_display(lock)}: {problem}", file=sys.stderr)
        if problems:
            print("run: python -m skill build-lambda --lock", file=sys.stderr)
            return 1
        print(f"{_display(lock)} matches pyproject.toml ({', '.join(extras)})")
        return 0
    if args.lock:
        try:
            made = make_lock(extras, python=args.python)
        except BuildError as error:
            print(f"build-lambda: {error}", file=sys.stderr)
            return 1
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(made.text(), encoding="utf-8")
        print(
            f"Wrote {_display(lock)}: {len(made.pins)} distributions for python{made.python} "
            f"on {', '.join(made.architectures)}"
        )
        return 0

    out: Path = args.out.resolve()
    try:
        built = build(
            out,
            arch=args.arch,
            python=args.python,
            local=args.local,
            bundle_boto3=args.with_boto3,
            extras=extras,
            lock=lock,
            use_lock=not args.no_lock,
            bytecode=not args.no_bytecode,
        )
    except BuildError as error:
        print(f"build-lambda: {error}", file=sys.stderr)
        return 1
    target = "this machine" if args.local else f"python{args.python} {args.arch}"
    report_bytecode(built, args.python if not args.local else None, args.no_bytecode)
    print(
        f"Built {_display(out)} for {target}: {human_size(out.stat().st_size)} "
        f"({human_size(built.unpacked_bytes)} unpacked, {len(built.entries)} files)"
    )
    return 0


def report_bytecode(built: Built, python: str | None, skipped: bool) -> None:
    """Say which interpreter compiled the bytecode, or warn that there is none."""
    if built.compiler is not None:
        print(
            f"Compiled bytecode ({built.compiler.tag}) for every module with "
            f"{built.compiler.describe()}."
        )
    elif not skipped:
        wanted = f"python{python}" if python else "this interpreter's version"
        print(
            f"warning: no {wanted} here to compile bytecode with (looked at "
            f"${BYTECODE_PYTHON_ENV}, the PATH and pyenv's versions): the zip holds source "
            "only, and each cold start compiles what it imports (about 3x slower). Install "
            f"{wanted} (pyenv install), or set {BYTECODE_PYTHON_ENV} to one.",
            file=sys.stderr,
        )


def _display(path: Path) -> str:
    """The path relative to the current directory when it is below it, for shorter output."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)
