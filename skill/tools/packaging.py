"""Build a Lambda deployment zip: ``python -m skill build-lambda`` (and, with the phone
line's profile, ``build-phone-lambda``: ``skill.tools.phone_packaging``).

One packager, profiles of it (``skill.tools.requirements.Profile``). The zip holds the
profile's runtime dependencies, installed as wheels for the Lambda platform (Amazon Linux,
arm64 by default) exactly as its committed lock pins them, hashes checked
(``skill.tools.lockfile``; ``--lock`` makes it anew, ``--check-lock`` says whether it still
matches pyproject.toml), and beside them the ``skill`` package, ``templates/`` and
``interaction_model/``, all at the zip root (``skill.tools.zipfiles``): the skill finds its
templates at ``Path(skill.__file__).parent.parent / "templates"``. Tests, benchmarks and
dev tools stay out. The same inputs give the same bytes (sorted entries, fixed
timestamps), so an unchanged build does not publish a new Lambda version.

boto3 is left out by default: the Lambda runtime provides it, and bundling it would add
about 17 MB zipped (33 MB unpacked) that every cold start pays for. It is still resolved
with the rest, so that the dependencies it shares with our own (python-dateutil,
urllib3), which are bundled and so shadow the runtime's, stay versions the runtime's
botocore accepts. ``--with-boto3`` bundles it too, for when the code needs a newer
boto3 than the runtime has.

Every module is compiled to bytecode by an interpreter of the runtime's version
(``skill.tools.bytecode``); with no such interpreter the zip holds source only, and the
build warns.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from skill.paths import ROOT
from skill.tools import lockfile
from skill.tools.bytecode import (
    BYTECODE_PYTHON_ENV,
    Compiler,
    bytecode_interpreter,
    compile_bytecode,
    report_bytecode,
)
from skill.tools.requirements import (
    ARCHITECTURES,
    AWS_EXTRA,
    DEFAULT_ARCH,
    DEFAULT_PYTHON,
    LOCK_DIR,
    PIP_OPTIONS,
    RUNTIME_PROVIDED,
    Profile,
    check_profile_lock,
    lock_path,
    make_lock,
    pip_command,
    platform_options,
    requirements,
    runtime_requirements,
)
from skill.tools.zipfiles import (
    FIXED_DATE_TIME,
    PRERENDERED,
    PROJECT_DIRS,
    BuildError,
    Built,
    collect_files,
    for_text_channels_only,
    human_size,
    prerendered_files,
    write_zip,
)

# infra/template.yaml's CodeUri points here; tests/test_infra.py checks they agree.
DEFAULT_OUT = ROOT / "build" / "lambda.zip"

# Lambda refuses code larger than this once unzipped.
LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024

# The Alexa skill's zip: the runtime dependencies and boto3's extra (for its resolution).
LAMBDA = Profile(
    command="build-lambda",
    description="Build the AWS Lambda deployment zip that infra/template.yaml deploys.",
    default_out=DEFAULT_OUT,
    handler="skill.lambda_function.lambda_handler",
)


def check_lock(path: Path, extras: Sequence[str] = (AWS_EXTRA,), root: Path = ROOT) -> list[str]:
    """What is wrong with the lock at ``path`` for pyproject.toml, as sentences."""
    return check_profile_lock(replace(LAMBDA, extras=tuple(extras)), path, root)


def _locked(profile: Profile, path: Path, root: Path) -> lockfile.Lock:
    problems = check_profile_lock(profile, path, root)
    if problems:
        raise BuildError(
            f"{_display(path)} is not a current lock: {'; '.join(problems)}. "
            f"Run: python -m skill {profile.command} --lock"
        )
    return lockfile.read(path)


def _run(command: list[str]) -> None:
    result = subprocess.run(command, check=False)
    if result.returncode != 0:
        raise BuildError(f"pip failed (exit code {result.returncode}): {' '.join(command)}")


def build(
    out: Path,
    *,
    profile: Profile = LAMBDA,
    arch: str = DEFAULT_ARCH,
    python: str = DEFAULT_PYTHON,
    local: bool = False,
    bundle_boto3: bool = False,
    extras: Sequence[str] | None = None,
    lock: Path | None = None,
    use_lock: bool = True,
    root: Path = ROOT,
    bytecode: bool = True,
) -> Built:
    """Install the dependencies, gather the project's files and write the zip.

    The dependencies are the lock's (``lock``, by default the profile's): exactly its
    wheels, hashes checked. A ``local`` build (wheels for this machine, for tests) takes
    the lock's versions but cannot check its hashes, which are the Lambda's wheels'.
    ``use_lock=False`` resolves pyproject.toml's ranges afresh instead.
    """
    if extras is not None:
        profile = replace(profile, extras=tuple(extras))
    with_deps, without = requirements(profile, root / "pyproject.toml")
    lock = lock or profile.lock_file(root)
    locked = _locked(profile, lock, root) if use_lock else None
    if (
        locked is not None
        and not local
        and (python != locked.python or arch not in locked.architectures)
    ):
        raise BuildError(
            f"the lock is for python {locked.python} on {', '.join(locked.architectures)}, "
            f"not python {python} on {arch}. Run: python -m skill {profile.command} --lock "
            f"--python {python}"
        )
    with tempfile.TemporaryDirectory(prefix=f"ally-coach-{profile.command}-") as temporary:
        target = Path(temporary) / "dependencies"
        if locked is not None and not local:
            # Exactly the locked wheels (those installed without dependencies included).
            command = [sys.executable, "-m", "pip", "install", "--target", str(target)]
            command += [*PIP_OPTIONS, *platform_options(arch, python)]
            _run([*command, "--no-deps", "--require-hashes", "-r", str(lock)])
        else:
            constraints = None
            if locked is not None:
                # This machine's wheels have other hashes: the lock's versions, then.
                constraints = Path(temporary) / "constraints.txt"
                constraints.write_text(locked.constraints(), encoding="utf-8")
            for wanted, alone in ((with_deps, False), (without, True)):
                if wanted:
                    _run(
                        pip_command(
                            wanted,
                            target,
                            arch=arch,
                            python=python,
                            local=local,
                            constraints=constraints,
                            no_deps=alone,
                        )
                    )
        collected = collect_files(
            root,
            target,
            leave_out=() if bundle_boto3 else RUNTIME_PROVIDED,
            text_channels=profile.text_channels,
            project_leave_out=profile.project_leave_out,
        )
        files = {name: path for name, path in collected.items() if profile.keep(name)}
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


def lock_text(profile: Profile, lock: lockfile.Lock) -> str:
    """The lock file's text, naming the command that makes it."""
    text = lock.text()
    if profile.command == LAMBDA.command:
        return text
    text = text.replace(lockfile.GENERATED_BY, f"python -m skill {profile.command} --lock")
    text = text.replace(" build-lambda installs", f" {profile.command} installs", 1)
    return text.replace("test_packaging.py", profile.checked_by, 1)


def main(argv: Sequence[str], profile: Profile = LAMBDA) -> int:
    name = profile.command
    parser = argparse.ArgumentParser(
        prog=f"python -m skill {name}", description=profile.description
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=profile.default_out,
        help=f"zip to write (default: {_display(profile.default_out)})",
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
    if profile is LAMBDA:
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
        help=f"the lock to build from or write (default: {_display(profile.lock_file())})",
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
    args = parser.parse_args(list(argv))
    if not args.python.replace(".", "").isdigit() or args.python.count(".") != 1:
        parser.error(f"--python takes a version like 3.12, not {args.python!r}")

    if getattr(args, "extras", None):
        profile = replace(profile, extras=tuple(args.extras))
    lock: Path = args.lock_file.resolve() if args.lock_file else profile.lock_file()
    if args.check_lock:
        problems = check_profile_lock(profile, lock)
        for problem in problems:
            print(f"{name}: {_display(lock)}: {problem}", file=sys.stderr)
        if problems:
            print(f"run: python -m skill {name} --lock", file=sys.stderr)
            return 1
        extras = ", ".join(profile.named_extras())
        print(f"{_display(lock)} matches pyproject.toml ({extras})")
        return 0
    if args.lock:
        try:
            made = make_lock(profile, python=args.python)
        except BuildError as error:
            print(f"{name}: {error}", file=sys.stderr)
            return 1
        lock.parent.mkdir(parents=True, exist_ok=True)
        lock.write_text(lock_text(profile, made), encoding="utf-8")
        print(
            f"Wrote {_display(lock)}: {len(made.pins)} distributions for python{made.python} "
            f"on {', '.join(made.architectures)}"
        )
        return 0

    out: Path = args.out.resolve()
    try:
        built = build(
            out,
            profile=profile,
            arch=args.arch,
            python=args.python,
            local=args.local,
            bundle_boto3=args.with_boto3,
            lock=lock,
            use_lock=not args.no_lock,
            bytecode=not args.no_bytecode,
        )
    except BuildError as error:
        print(f"{name}: {error}", file=sys.stderr)
        return 1
    target = "this machine" if args.local else f"python{args.python} {args.arch}"
    report_bytecode(built, args.python if not args.local else None, args.no_bytecode)
    print(
        f"Built {_display(out)} for {target}: {human_size(out.stat().st_size)} "
        f"({human_size(built.unpacked_bytes)} unpacked, {len(built.entries)} files)"
    )
    return 0


def _display(path: Path) -> str:
    """The path relative to the current directory when it is below it, for shorter output."""
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return str(path)


__all__ = [
    "ARCHITECTURES",
    "AWS_EXTRA",
    "BYTECODE_PYTHON_ENV",
    "DEFAULT_ARCH",
    "DEFAULT_OUT",
    "DEFAULT_PYTHON",
    "FIXED_DATE_TIME",
    "LAMBDA",
    "LAMBDA_UNZIPPED_LIMIT",
    "LOCK_DIR",
    "PIP_OPTIONS",
    "PRERENDERED",
    "PROJECT_DIRS",
    "RUNTIME_PROVIDED",
    "BuildError",
    "Built",
    "Compiler",
    "Profile",
    "build",
    "bytecode_interpreter",
    "check_lock",
    "collect_files",
    "compile_bytecode",
    "for_text_channels_only",
    "human_size",
    "lock_path",
    "main",
    "pip_command",
    "platform_options",
    "prerendered_files",
    "report_bytecode",
    "runtime_requirements",
    "write_zip",
]
