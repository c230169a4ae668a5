"""Cold starts and peak memory: fresh interpreters answering a LaunchRequest.

Each run is a new ``python -m bench.cold`` process. What is timed is spawn to answer:
from just before the process is started to the moment the handler has returned the
LaunchRequest's response (both read off the system-wide monotonic clock). That is the
part of a Lambda cold start the code is responsible for, plus the interpreter's own
start, which both skills pay alike. The child also reports the import and the first
answer separately, and the CPU time it used up to the answer (user + system, from
process start, interpreter start-up included) is reported beside the wall time: on a
shared machine it moves far less.

Runs of Ally Coach and of the hello world alternate, so drift on a shared machine hits
both. Bytecode is cached (a private ``PYTHONPYCACHEPREFIX``, filled by one unmeasured
run of each), as it is for a package that ships ``.pyc`` files; see bench/README.md.

Store modes:

* embedded: Ally Coach on SQLite (the file already exists, as it does after the first
  run of a process on a machine); the hello world with no store.
* dynamodb: both on a moto server on loopback (``AWS_ENDPOINT_URL_DYNAMODB``), Ally
  Coach configured as infra/template.yaml configures the Lambda (``SKILL_TABLE_NAME``,
  no ``SKILL_DB_PATH``), the hello world with ask-sdk's ``DynamoDbAdapter``. Both
  import boto3 and make a real HTTP round trip per call, so neither is charged for
  moto itself. Without moto's server dependencies it falls back to starting
  ``mock_aws`` in the child before the clock (then boto3's import is excluded for both).
"""

from __future__ import annotations

import json
import logging
import statistics
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.measure import FAKE_AWS_ENV, REGION, child_env, python, ratio
from skill.alexa.envelopes import SessionDriver

OURS_MODULE = "skill.lambda_function"
HELLO_MODULE = "bench.hello_world"
SKILLS = {"ally_coach": OURS_MODULE, "hello_world": HELLO_MODULE}
TABLE = "ally-coach-bench"
CHILD_TIMEOUT_SECONDS = 60


@dataclass
class ColdRun:
    spawn_to_answer_s: float
    import_s: float
    first_answer_s: float
    loaded: dict[str, bool]
    maxrss_kib: int | None
    cpu_s: float  # user + system CPU time of the child, from its start to the answer


def _launch_event(path: Path) -> Path:
    path.write_text(json.dumps(SessionDriver(user_id="amzn1.ask.account.COLDSTART").launch()))
    return path


def cold_run(
    module: str,
    event_file: Path,
    env: Mapping[str, str],
    conversation: str | None = None,
    *,
    prelude: str | None = None,
    argv: list[str] | None = None,
) -> ColdRun:
    """One fresh interpreter: spawn, import ``module``, answer the event (``argv``: the
    whole command instead, for bench/lambda_zip.py)."""
    if argv is not None:
        command = list(argv)
    elif prelude is None:
        command = [python(), "-m", "bench.cold", module, str(event_file)]
    else:
        # The fallback DynamoDB mode: start moto's mock inside the child, before the clock.
        command = [python(), "-c", prelude, module, str(event_file)]
    if conversation:
        command += ["--conversation", conversation]
    spawned = time.monotonic()
    done = subprocess.run(
        command,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold run of {module} failed:\n{done.stderr[-3000:]}")
    data = json.loads(done.stdout.strip().splitlines()[-1])
    if not data["spoke"]:
        raise RuntimeError(f"{module} answered the LaunchRequest without speech")
    return ColdRun(
        spawn_to_answer_s=data["answered"] - spawned,
        import_s=data["imported"] - data["start"],
        first_answer_s=data["answered"] - data["imported"],
        loaded=data["loaded"],
        maxrss_kib=data.get("maxrss_kib"),
        cpu_s=data["cpu_at_answer"],
    )


def _summary(runs: list[ColdRun]) -> dict[str, Any]:
    out: dict[str, Any] = {
        "median_ms": round(statistics.median(r.spawn_to_answer_s for r in runs) * 1e3, 2),
        "import_median_ms": round(statistics.median(r.import_s for r in runs) * 1e3, 2),
        "first_answer_median_ms": round(statistics.median(r.first_answer_s for r in runs) * 1e3, 2),
        "cpu_median_ms": round(statistics.median(r.cpu_s for r in runs) * 1e3, 2),
        "runs": len(runs),
        # What any of the runs loaded (they all load the same modules).
        "loaded": {k: any(r.loaded[k] for r in runs) for k in runs[0].loaded},
    }
    rss = [r.maxrss_kib for r in runs if r.maxrss_kib is not None]
    if rss:
        out["maxrss_mib"] = round(statistics.median(rss) / 1024, 1)
    return out


def compare(
    envs: Mapping[str, Mapping[str, str]],
    event_file: Path,
    repeats: int,
    *,
    conversation: bool = False,
    prelude: str | None = None,
    commands: Mapping[str, list[str]] | None = None,
) -> dict[str, Any]:
    """Alternate cold runs of both skills; medians and the ratio of the medians."""
    argv = dict(commands or {})
    runs: dict[str, list[ColdRun]] = {name: [] for name in SKILLS}
    scripts = {"ally_coach": "ally_coach", "hello_world": "hello_world"}
    # Unmeasured: fills the bytecode cache and creates the SQLite file.
    for name, module in SKILLS.items():
        cold_run(module, event_file, envs[name], prelude=prelude, argv=argv.get(name))
    for i in range(repeats):
        order = list(SKILLS.items()) if i % 2 == 0 else list(reversed(SKILLS.items()))
        for name, module in order:
            runs[name].append(
                cold_run(
                    module,
                    event_file,
                    envs[name],
                    scripts[name] if conversation else None,
                    prelude=prelude,
                    argv=argv.get(name),
                )
            )
    result: dict[str, Any] = {name: _summary(r) for name, r in runs.items()}
    result["ratio"] = ratio(result["ally_coach"]["median_ms"], result["hello_world"]["median_ms"])
    # CPU time is the work itself: it leaves out waiting for a core that a neighbour on
    # this shared machine holds (and waiting for the moto server), which wall time cannot.
    result["cpu_ratio"] = ratio(
        result["ally_coach"]["cpu_median_ms"], result["hello_world"]["cpu_median_ms"]
    )
    if conversation:
        result["memory_ratio"] = ratio(
            result["ally_coach"]["maxrss_mib"], result["hello_world"]["maxrss_mib"]
        )
    return result


# A child that starts moto's in-process mock and creates the table before the clock.
_MOCK_PRELUDE = """
import sys
from moto import mock_aws
import boto3
mock = mock_aws(); mock.start()
from skill.store.dynamodb import create_table
create_table(boto3.client("dynamodb"), {table!r})
from bench.cold import main
sys.exit(main(sys.argv[1:]))
"""


@contextmanager
def moto_endpoint() -> Iterator[str | None]:
    """A moto server on loopback with the table created; None without moto's server deps."""
    try:
        from moto.server import ThreadedMotoServer
    except ImportError:
        yield None
        return
    import boto3

    from skill.store.dynamodb import create_table

    # The server logs every request it answers; the children's calls are not news.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        endpoint = f"http://{host}:{port}"
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_table(client, TABLE)
        yield endpoint
    finally:
        server.stop()


def run_cold_starts(
    workdir: Path, repeats: int, *, from_source: bool = False, prerender: bool = True
) -> dict[str, Any]:
    """Cold starts in both store modes, and peak memory after the scripted conversation.

    Without ``prerender`` (the quick run) the replies are not rendered ahead: the tables
    already in the checkout are used if current, else the skill renders with Jinja2."""
    # As the build-lambda zip ships them: the replies pre-rendered for the locale measured
    # (templates/_prerendered, ignored by git; a table from older templates is not used).
    if prerender:
        from skill.speech.prerender import build
        from skill.speech.render import PRERENDERED_DIR

        build(PRERENDERED_DIR, ["en-US"])
    event_file = _launch_event(workdir / "launch.json")
    pycache = workdir / "pycache"
    cached = {"PYTHONPYCACHEPREFIX": str(pycache)}
    drop = ("PYTHONDONTWRITEBYTECODE", "SKILL_TABLE_NAME", "SKILL_DB_PATH", "SKILL_ID")
    db = str(workdir / "cold.sqlite3")
    embedded = {
        "ally_coach": child_env({**cached, "SKILL_DB_PATH": db}, drop=drop),
        "hello_world": child_env(cached, drop=drop),
    }
    results: dict[str, Any] = {
        "embedded": compare(embedded, event_file, repeats, conversation=True),
    }
    with moto_endpoint() as endpoint:
        aws = {**FAKE_AWS_ENV, **cached, "SKILL_TABLE_NAME": TABLE}
        if endpoint is not None:
            aws["AWS_ENDPOINT_URL_DYNAMODB"] = endpoint
            prelude = None
            mode = "moto server on loopback; AWS SDK imports and HTTP calls measured"
        else:
            prelude = _MOCK_PRELUDE.format(table=TABLE)
            mode = "mock_aws started in the child before the clock; boto3 import not measured"
        dynamo_env = child_env(aws, drop=drop)
        results["dynamodb"] = compare(
            {"ally_coach": dynamo_env, "hello_world": dynamo_env},
            event_file,
            repeats,
            prelude=prelude,
        )
        results["dynamodb"]["mode"] = mode
    if from_source:
        # As the build-lambda zip is today (no .pyc in it): every module compiled at start.
        empty = tempfile.mkdtemp(dir=workdir, prefix="nopyc-")
        source = {"PYTHONPYCACHEPREFIX": empty, "PYTHONDONTWRITEBYTECODE": "1"}
        results["embedded_from_source"] = compare(
            {
                "ally_coach": child_env({**source, "SKILL_DB_PATH": db}, drop=drop),
                "hello_world": child_env(source, drop=drop),
            },
            event_file,
            max(1, repeats // 2),
        )
    return results
