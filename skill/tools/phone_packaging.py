"""Build the phone line's Lambda zip: ``python -m skill build-phone-lambda``.

The same build as ``build-lambda`` (skill/tools/packaging.py: wheels for Lambda's platform,
the project's own directories, replies pre-rendered, bytecode, repeatable bytes), with what
the phone webhooks need on top of the skill:

* the ``chat`` extra: the text resolver that turns what a caller said into an intent;
* Flask (from the ``web`` extra), which serves the webhooks behind the function URL;
* twilio, installed **without its dependencies** and cut down to the two parts the line
  uses, the request validator and the TwiML writer. Both need only the standard library;
  the rest of the package is the REST client (about 50 MB, with aiohttp), which a webhook
  never calls. ``tests/tools/test_phone_packaging.py`` runs a call from the unpacked zip
  to show nothing is missing.

What is not needed stays out: waitress, gunicorn and cryptography (the phone app has no
``/alexa`` route to verify). infra/template.yaml's ``PhoneFunction`` deploys the result.

Like the skill's zip it is built from a committed lock, ``infra/lambda-phone-requirements.lock``
(``skill.tools.lockfile``: every wheel pinned with its hashes, for every architecture;
twilio resolved without its dependencies). ``--lock`` makes it anew, ``--check-lock`` says
whether it still matches pyproject.toml (tests/tools/test_phone_packaging.py runs that
check, so a change to the ``chat`` extra needs a new lock), ``--no-lock`` uses the ranges.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path

from skill.paths import ROOT
from skill.tools import lockfile, packaging
from skill.tools.packaging import BuildError, Built

DEFAULT_OUT = ROOT / "build" / "phone-lambda.zip"
HANDLER = "skill.channels.phone.aws_lambda.lambda_handler"
EXTRAS = (packaging.AWS_EXTRA, "chat")
WEB_EXTRA = "web"
FROM_WEB = frozenset({"flask"})  # distributions of the web extra the webhooks import
WITHOUT_DEPENDENCIES = frozenset({"twilio"})
# The parts of twilio the webhooks import; everything else of it is left out.
TWILIO_KEEP = ("twilio/__init__.py", "twilio/request_validator.py", "twilio/twiml/")
LOCK_NAME = "lambda-phone-requirements.lock"
COMMAND = "python -m skill build-phone-lambda --lock"
# What the lock's header names: the extras in full, and of the web extra FROM_WEB and twilio.
LOCK_EXTRAS = (*EXTRAS, WEB_EXTRA)


def lock_path(root: Path = ROOT) -> Path:
    return root / packaging.LOCK_DIR / LOCK_NAME


def _name(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement.strip())
    if not match:
        raise BuildError(f"cannot read the requirement {requirement!r}")
    return match.group(0).lower().replace("_", "-")


def phone_requirements(pyproject: Path) -> tuple[list[str], list[str]]:
    """(requirements installed with their dependencies, those installed without)."""
    requirements = packaging.runtime_requirements(pyproject, EXTRAS)
    with pyproject.open("rb") as file:
        web = tomllib.load(file)["project"].get("optional-dependencies", {}).get(WEB_EXTRA, [])
    wanted = FROM_WEB | WITHOUT_DEPENDENCIES
    picked = [req for req in web if _name(req) in wanted]
    found = {_name(req) for req in picked}
    if found != wanted:
        raise BuildError(f"pyproject.toml's {WEB_EXTRA} extra lacks {sorted(wanted - found)}")
    with_deps = requirements + [r for r in picked if _name(r) not in WITHOUT_DEPENDENCIES]
    without = [r for r in picked if _name(r) in WITHOUT_DEPENDENCIES]
    return with_deps, without


def make_lock(
    *,
    python: str = packaging.DEFAULT_PYTHON,
    architectures: Iterable[str] = tuple(sorted(packaging.ARCHITECTURES)),
    root: Path = ROOT,
) -> lockfile.Lock:
    """Resolve the phone zip's dependencies for each architecture: one lock for them all."""
    with_deps, without = phone_requirements(root / "pyproject.toml")
    architectures = tuple(architectures)
    try:
        resolutions = {}
        for arch in architectures:
            options = packaging.platform_options(arch, python)
            pins = lockfile.resolve(with_deps, options)
            pins.update(lockfile.resolve(without, [*options, "--no-deps"]))
            resolutions[arch] = pins
        merged = lockfile.merge(resolutions)
    except lockfile.LockError as error:
        raise BuildError(str(error)) from error
    requirements = [*with_deps, *without]
    return lockfile.Lock(
        extras=LOCK_EXTRAS,
        python=python,
        architectures=architectures,
        inputs=lockfile.inputs_digest(requirements, LOCK_EXTRAS),
        requirements=tuple(requirements),
        pins=merged,
    )


def check_lock(path: Path, root: Path = ROOT) -> list[str]:
    """What is wrong with the lock at ``path`` for pyproject.toml, as sentences."""
    try:
        lock = lockfile.read(path)
    except lockfile.LockError as error:
        return [str(error)]
    with_deps, without = phone_requirements(root / "pyproject.toml")
    return lockfile.problems(lock, [*with_deps, *without], LOCK_EXTRAS)


def wanted(arcname: str) -> bool:
    """Whether a dependency's file goes into the phone zip."""
    if arcname.startswith("twilio/"):
        return arcname.startswith(TWILIO_KEEP)
    return True


def _pip(
    requirements: list[str],
    target: Path,
    *,
    no_deps: bool,
    arch: str,
    python: str,
    local: bool,
    constraints: Path | None,
) -> None:
    command = packaging.pip_command(
        requirements, target, arch=arch, python=python, local=local, constraints=constraints
    )
    if no_deps:
        command.insert(command.index("--target"), "--no-deps")
    _run(command)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise BuildError(f"pip failed (exit code {result.returncode}): {' '.join(command)}")


def build(
    out: Path,
    *,
    arch: str = packaging.DEFAULT_ARCH,
    python: str = packaging.DEFAULT_PYTHON,
    local: bool = False,
    bundle_boto3: bool = False,
    lock: Path | None = None,
    use_lock: bool = True,
    root: Path = ROOT,
    bytecode: bool = True,
) -> Built:
    """Install the phone line's dependencies, gather the project's files and write the zip.

    From the lock (``lock``, by default the committed one) as ``build-lambda`` does: its
    wheels with their hashes checked, or for a ``local`` build its versions."""
    with_deps, without = phone_requirements(root / "pyproject.toml")
    lock = lock or lock_path(root)
    locked: lockfile.Lock | None = None
    if use_lock:
        problems = check_lock(lock, root)
        if problems:
            raise BuildError(
                f"{lock} is not a current lock: {'; '.join(problems)}. "
                "Run: python -m skill build-phone-lambda --lock"
            )
        locked = lockfile.read(lock)
        if not local and (python != locked.python or arch not in locked.architectures):
            raise BuildError(
                f"the lock is for python {locked.python} on {', '.join(locked.architectures)}"
                f", not python {python} on {arch}. Run: python -m skill build-phone-lambda "
                f"--lock --python {python}"
            )
    with tempfile.TemporaryDirectory(prefix="ally-coach-phone-lambda-") as temporary:
        target = Path(temporary) / "dependencies"
        if locked is not None and not local:
            # Exactly the locked wheels; twilio's dependencies are not in the lock.
            command = [sys.executable, "-m", "pip", "install", "--target", str(target)]
            command += [*packaging.PIP_OPTIONS, *packaging.platform_options(arch, python)]
            command += ["--no-deps", "--require-hashes", "-r", str(lock)]
            _run(command)
        else:
            constraints = None
            if locked is not None:
                # This machine's wheels have other hashes: the lock's versions, then.
                constraints = Path(temporary) / "constraints.txt"
                constraints.write_text(locked.constraints(), encoding="utf-8")
            for requirements, no_deps in ((with_deps, False), (without, True)):
                _pip(
                    requirements,
                    target,
                    no_deps=no_deps,
                    arch=arch,
                    python=python,
                    local=local,
                    constraints=constraints,
                )
        leave_out = () if bundle_boto3 else packaging.RUNTIME_PROVIDED
        collected = packaging.collect_files(root, target, leave_out=leave_out, text_channels=True)
        files = {name: path for name, path in collected.items() if wanted(name)}
        files.update(packaging.prerendered_files(Path(temporary) / packaging.PRERENDERED))
        compiler = None
        if bytecode:
            this = f"{sys.version_info.major}.{sys.version_info.minor}"
            compiler = packaging.bytecode_interpreter(this if local else python)
        if compiler is not None:
            work = Path(temporary) / "pyc"
            files.update(packaging.compile_bytecode(files, compiler.path, compiler.tag, work))
        unpacked = _size(files)
        if unpacked > packaging.LAMBDA_UNZIPPED_LIMIT:
            raise BuildError(
                f"the package would be {packaging.human_size(unpacked)} unzipped, over "
                f"Lambda's limit of {packaging.human_size(packaging.LAMBDA_UNZIPPED_LIMIT)}"
            )
        packaging.write_zip(files, out)
    return Built(
        entries=tuple(sorted(files)),
        unpacked_bytes=unpacked,
        bytecode=compiler.tag if compiler else None,
        compiler=compiler,
    )


def _size(files: Mapping[str, Path]) -> int:
    return sum(path.stat().st_size for path in files.values())


def main(argv: Iterable[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill build-phone-lambda",
        description="Build the phone line's Lambda zip (PhoneFunction in infra/template.yaml).",
    )
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="zip to write (build/phone-lambda.zip)"
    )
    parser.add_argument(
        "--arch",
        choices=sorted(packaging.ARCHITECTURES),
        default=packaging.DEFAULT_ARCH,
        help="Lambda architecture",
    )
    parser.add_argument(
        "--python", default=packaging.DEFAULT_PYTHON, help="Python version of the Lambda runtime"
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
        "--lock-file", type=Path, help=f"the lock to build from or write (infra/{LOCK_NAME})"
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
        "--no-bytecode", action="store_true", help="ship source only (see build-lambda)"
    )
    args = parser.parse_args(list(argv))
    if not args.python.replace(".", "").isdigit() or args.python.count(".") != 1:
        parser.error(f"--python takes a version like 3.12, not {args.python!r}")
    lock: Path = args.lock_file.resolve() if args.lock_file else lock_path()
    if args.check_lock:
        problems = check_lock(lock)
        for problem in problems:
            print(f"build-phone-lambda: {lock}: {problem}", file=sys.stderr)
        if problems:
            print("run: python -m skill build-phone-lambda --lock", file=sys.stderr)
            return 1
        print(f"{lock} matches pyproject.toml")
        return 0
    if args.lock:
        try:
            made = make_lock(python=args.python)
        except BuildError as error:
            print(f"build-phone-lambda: {error}", file=sys.stderr)
            return 1
        lock.parent.mkdir(parents=True, exist_ok=True)
        text = made.text().replace(lockfile.GENERATED_BY, COMMAND)
        text = text.replace(" build-lambda installs", " build-phone-lambda installs", 1)
        text = text.replace("test_packaging.py", "test_phone_packaging.py", 1)
        lock.write_text(text, encoding="utf-8")
        print(
            f"Wrote {lock}: {len(made.pins)} distributions for python{made.python} "
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
            lock=lock,
            use_lock=not args.no_lock,
            bytecode=not args.no_bytecode,
        )
    except BuildError as error:
        print(f"build-phone-lambda: {error}", file=sys.stderr)
        return 1
    target = "this machine" if args.local else f"python{args.python} {args.arch}"
    packaging.report_bytecode(built, args.python if not args.local else None, args.no_bytecode)
    print(
        f"Built {out} for {target}: {packaging.human_size(out.stat().st_size)} "
        f"({packaging.human_size(built.unpacked_bytes)} unpacked, {len(built.entries)} files)"
    )
    return 0
