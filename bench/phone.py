"""The phone line: its Lambda cold start with the text resolver, and calls under load.

**Cold start.** Fresh interpreters, alternating, bytecode cached (as in the zips): the
phone Lambda's handler (``skill.channels.phone.aws_lambda``) answering a signed function-URL
"call comes in" event, against the Alexa Lambda's handler answering a LaunchRequest, both on
the embedded store. A third kind of child loads the text resolver alone
(``skill.nlu.get_resolver("en-US")`` and one first resolve), whichever resolver that is:
its share is what the phone line pays over the skill for understanding words.

**Calls under load.** N simulated calls, C at a time, each the same scripted call (greeting,
"yes", two silences, a key, three more tips by voice and key, "stop", the status callback),
every webhook signed as Twilio signs it and sent over loopback. Shared: two gunicorn servers
(two "hosts", several workers each) on the DynamoDB call store (a moto server in its own
process, the progress table there too), the webhooks of every call dealt to the two in turn
as a round-robin load balancer would. Against: one gunicorn worker (threads) on the
in-memory store and SQLite, as one machine runs the line. Each answer is checked against
what that turn must say, so a lost or doubled turn shows as a wrong answer. The access logs
name the worker process of every webhook, so the report also says how many calls were
served by more than one process.
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import statistics
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from twilio.request_validator import RequestValidator

from bench.cost import units_from_recording
from bench.load import HOST, _wait_until_healthy, free_port
from bench.measure import FAKE_AWS_ENV, REGION, ROOT, child_env, percentile, python, ratio
from skill.alexa.envelopes import SessionDriver

TOKEN = "bench-phone-token"
PEPPER = "bench-phone-caller-pepper"  # the line does not start without one
CALLS_TABLE = "ally-coach-bench-calls"
PROGRESS_TABLE = "ally-coach-bench-progress"
CHILD_TIMEOUT_SECONDS = 60
REQUEST_TIMEOUT_SECONDS = 15.0  # Twilio's own wait for a webhook
FUNCTION_URL_HOST = "benchphone0123456789abcdefghij.lambda-url.eu-west-1.on.aws"
# What the load balancer in front of the servers would be called: the URL Twilio signs.
PUBLIC_BASE = "https://phone.bench.invalid"

# One scripted call: (what the caller does, words the answer must contain).
SCRIPT: tuple[tuple[str, str, str], ...] = (
    ("voice", "", "Welcome to Ally Coach."),
    ("speech", "yes", "Tip 1."),
    ("silence", "", "Would you like to try a short practice?"),
    ("silence", "", "Sorry, I didn't hear anything."),
    ("digits", "1", "Tip 2."),
    ("speech", "next", "Tip 3."),
    ("digits", "1", "Tip 4."),
    ("speech", "next tip", "Tip 5."),
    ("speech", "stop", "Take care."),
    ("status", "", ""),
)
TURNS_PER_CALL = len(SCRIPT)


# --- cold start -----------------------------------------------------------------------------

_CHILD = """
import json, sys, time
kind, payload = sys.argv[1], json.loads(sys.argv[2])
started = time.monotonic()
if kind == "resolver":
    from skill.nlu import get_resolver
    imported = time.monotonic()
    resolver = get_resolver("en-US")
    loaded = time.monotonic()
    resolver.resolve("yes please")
    answered = time.monotonic()
    print(json.dumps({"started": started, "imported": imported, "loaded": loaded,
                      "answered": answered}))
    sys.exit(0)
if kind == "phone":
    from skill.channels.phone.aws_lambda import lambda_handler
else:
    from skill.lambda_function import lambda_handler
imported = time.monotonic()
result = lambda_handler(payload, None)
answered = time.monotonic()
ok = (result.get("statusCode") == 200) if kind == "phone" else ("response" in result)
sdk = any(name.split(".")[0] in ("ask_sdk_core", "ask_sdk_model", "ask_sdk_runtime")
          for name in sys.modules)
print(json.dumps({"started": started, "imported": imported, "answered": answered, "ok": ok,
                  "cpu": time.process_time(), "sdk": sdk}))
"""


def voice_event(call_sid: str, number: str) -> dict[str, Any]:
    """A Twilio "call comes in" webhook as a function URL delivers it (payload 2.0)."""
    form = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Direction": "inbound",
        "From": number,
        "To": "+15557654321",
        "ToCountry": "US",
    }
    body = urlencode(form)
    signature = RequestValidator(TOKEN).compute_signature(
        f"https://{FUNCTION_URL_HOST}/phone/voice", form
    )
    return {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/phone/voice",
        "rawQueryString": "",
        "headers": {
            "content-type": "application/x-www-form-urlencoded",
            "host": FUNCTION_URL_HOST,
            "x-twilio-signature": signature,
        },
        "requestContext": {
            "domainName": FUNCTION_URL_HOST,
            "http": {"method": "POST", "path": "/phone/voice", "sourceIp": "54.172.60.1"},
            "stage": "$default",
        },
        "body": base64.b64encode(body.encode()).decode(),
        "isBase64Encoded": True,
    }


def _cold_child(kind: str, payload: Any, env: dict[str, str]) -> dict[str, float]:
    spawned = time.monotonic()
    done = subprocess.run(
        [python(), "-c", _CHILD, kind, json.dumps(payload)],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"{kind} cold start failed:\n{done.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if data.get("ok") is False:
        raise RuntimeError(f"{kind} cold start gave no answer")
    data["spawned"] = spawned
    return data


def cold_starts(workdir: Path, repeats: int, *, prerender: bool = True) -> dict[str, Any]:
    """Phone against Alexa, spawn to first answer, and the resolver's own load (without
    ``prerender``, the quick run's, stale or missing reply tables are not rebuilt)."""
    from skill.speech.prerender import build, load
    from skill.speech.render import PRERENDERED_DIR, templates_digest

    # As the zips ship them; bench/coldstart.py has usually built the table already.
    tables = load(PRERENDERED_DIR, "en-US") if (PRERENDERED_DIR / "en-US").is_dir() else {}
    digest = templates_digest()
    stale = not tables or any(table.get("templates") != digest for table in tables.values())
    if stale and prerender:
        build(PRERENDERED_DIR, ["en-US"])
    env = child_env(
        {
            "PYTHONPYCACHEPREFIX": str(workdir / "phone-pycache"),
            "SKILL_DB_PATH": str(workdir / "phone-cold.sqlite3"),
            "SKILL_LOG_LEVEL": "WARNING",
            "TWILIO_AUTH_TOKEN": TOKEN,
            "PHONE_CALLER_PEPPER": PEPPER,
        },
        drop=(
            "PHONE_CALLER_PEPPER_PARAMETER",
            "PYTHONDONTWRITEBYTECODE",
            "SKILL_TABLE_NAME",
            "SKILL_ID",
            "PHONE_CALLS_TABLE_NAME",
            "PUBLIC_BASE_URL",
            "TWILIO_AUTH_TOKEN_PARAMETER",
        ),
    )

    def payload(kind: str, i: int) -> Any:
        if kind == "phone":
            return voice_event("CA" + uuid.uuid4().hex, f"+1555{i:07d}")
        if kind == "alexa":
            return SessionDriver(user_id=f"amzn1.ask.account.COLD{i}").launch()
        return None

    kinds = ("phone", "alexa", "resolver")
    for kind in kinds:  # unmeasured: fills the bytecode cache, creates the SQLite file
        _cold_child(kind, payload(kind, 0), env)
    runs: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
    for i in range(repeats):
        order = kinds if i % 2 == 0 else kinds[::-1]
        for kind in order:
            runs[kind].append(_cold_child(kind, payload(kind, i + 1), env))

    def median_ms(kind: str, start: str, end: str) -> float:
        return round(statistics.median(r[end] - r[start] for r in runs[kind]) * 1e3, 1)

    result: dict[str, Any] = {
        kind: {
            "median_ms": median_ms(kind, "spawned", "answered"),
            "import_median_ms": median_ms(kind, "started", "imported"),
            "first_answer_median_ms": median_ms(kind, "imported", "answered"),
            "cpu_median_ms": round(statistics.median(r["cpu"] for r in runs[kind]) * 1e3, 1),
            "runs": len(runs[kind]),
            # Runs that loaded the Alexa SDK (ask_sdk_*): the phone line never should.
            "alexa_sdk_loaded": sum(bool(r.get("sdk")) for r in runs[kind]),
        }
        for kind in ("phone", "alexa")
    }
    result["resolver"] = {
        "import_median_ms": median_ms("resolver", "started", "imported"),
        "load_median_ms": median_ms("resolver", "imported", "loaded"),
        "first_resolve_median_ms": median_ms("resolver", "loaded", "answered"),
        "total_median_ms": median_ms("resolver", "started", "answered"),
        "runs": len(runs["resolver"]),
    }
    result["ratio"] = ratio(result["phone"]["median_ms"], result["alexa"]["median_ms"])
    resolver = result["resolver"]["total_median_ms"]
    result["resolver_share"] = round(resolver / result["phone"]["median_ms"], 3)
    result["resolver_vs_alexa"] = ratio(resolver, result["alexa"]["median_ms"])
    return result


# --- calls under load -----------------------------------------------------------------------


@dataclass
class CallResult:
    call_sid: str
    lost: int = 0  # answers that were not what the turn must say
    errors: int = 0  # not 200 (or 204 for the status callback), or no answer in time
    latencies: list[float] = field(default_factory=list)

    @property
    def completed(self) -> bool:
        return not self.lost and not self.errors


def _post(port: int, path: str, form: dict[str, str], call_sid: str) -> tuple[int, str, float]:
    url = f"{PUBLIC_BASE}{path}"
    body = urlencode(form)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Twilio-Signature": RequestValidator(TOKEN).compute_signature(url, form),
        "X-Bench-Call": call_sid,  # for the access log only
        "Connection": "close",
    }
    start = time.perf_counter()
    connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT_SECONDS)
    try:
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        text = response.read().decode("utf-8", "replace")
        return response.status, text, time.perf_counter() - start
    except OSError:
        return 0, "", time.perf_counter() - start
    finally:
        connection.close()


def _next_path(twiml: str) -> str:
    """Where the answer sends the next turn (the last <Redirect>), as path and query."""
    start = twiml.rfind("<Redirect")
    if start < 0:
        return "/phone/gather"
    url = twiml[twiml.index(">", start) + 1 : twiml.index("</Redirect>", start)]
    url = url.replace("&amp;", "&").removeprefix(PUBLIC_BASE)
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def one_call(ports: list[int], index: int) -> CallResult:
    """One scripted call; its webhooks go to the servers in turn."""
    call_sid = "CA" + uuid.uuid4().hex
    base = {
        "AccountSid": "AC" + "0" * 32,
        "CallSid": call_sid,
        "CallStatus": "in-progress",
        "Direction": "inbound",
        "From": f"+1555{index:07d}",
        "To": "+15557654321",
        "ToCountry": "US",
    }
    result = CallResult(call_sid)
    next_path = "/phone/gather"
    sent = 0

    def post(path: str, form: dict[str, str]) -> tuple[int, str, float]:
        nonlocal sent
        sent += 1
        return _post(ports[(index + sent) % len(ports)], path, form, call_sid)

    for kind, value, expected in SCRIPT:
        if kind == "voice":
            path, form = "/phone/voice", {**base, "CallStatus": "ringing"}
        elif kind == "status":
            path, form = "/phone/status", {**base, "CallStatus": "completed"}
        elif kind == "speech":
            path, form = next_path, {**base, "SpeechResult": value, "Confidence": "0.9"}
        elif kind == "digits":
            path, form = next_path, {**base, "Digits": value}
        else:
            path, form = next_path, dict(base)
        status, text, seconds = post(path, form)
        while status == 200 and "<Gather" not in text and "<Hangup" not in text:
            # "One moment": the call was busy; Twilio follows the redirect at once.
            result.latencies.append(seconds)
            status, text, seconds = post(_next_path(text), dict(base))
        result.latencies.append(seconds)
        if status not in (200, 204):
            result.errors += 1
            continue
        if expected and expected not in text.replace("&apos;", "'").replace("&#x27;", "'"):
            result.lost += 1
        next_path = _next_path(text)
    return result


def run_calls(
    ports: list[int], calls: int, concurrency: int, first: int
) -> tuple[list[CallResult], float]:
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=concurrency) as pool:
        results = list(pool.map(lambda i: one_call(ports, first + i), range(calls)))
    return results, time.perf_counter() - started


def recording_path(workdir: Path) -> Path:
    return workdir / "moto-recording.jsonl"


def _recorder(endpoint: str, action: str) -> None:
    host, port = endpoint.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    try:
        connection.request("POST", f"/moto-api/recorder/{action}")
        connection.getresponse().read()
    finally:
        connection.close()


@contextmanager
def moto_server(workdir: Path) -> Iterator[str]:
    """moto in server mode, in a process of its own, with both tables created."""
    import boto3

    from skill.channels.phone.dynamodb_calls import create_table as create_calls_table
    from skill.store.dynamodb import create_table as create_progress_table

    port = free_port()
    log = (workdir / "moto.log").open("ab")
    # moto's request recorder (off until started): the calls' DynamoDB requests, to count
    # the units they cost (bench/cost.py).
    recording = {
        "MOTO_ENABLE_RECORDING": "True",
        "MOTO_RECORDER_FILEPATH": str(recording_path(workdir)),
    }
    server = subprocess.Popen(
        [python(), "-m", "moto.server", "-H", HOST, "-p", str(port)],
        env=child_env({**FAKE_AWS_ENV, **recording}),
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    endpoint = f"http://{HOST}:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            probe = http.client.HTTPConnection(HOST, port, timeout=1)
            try:
                probe.request("GET", "/")
                probe.getresponse().read()
                break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise RuntimeError("moto server did not start; see moto.log") from None
                time.sleep(0.1)
            finally:
                probe.close()
        client = boto3.client(
            "dynamodb",
            endpoint_url=endpoint,
            region_name=REGION,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )
        create_progress_table(client, PROGRESS_TABLE)
        create_calls_table(client, CALLS_TABLE)
        yield endpoint
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        log.close()


@contextmanager
def phone_server(
    env: dict[str, str], workers: int, threads: int, log: Path, access: Path
) -> Iterator[int]:
    port = free_port()
    env = {**env, "PUBLIC_BASE_URL": PUBLIC_BASE}
    command = [
        python(), "-m", "gunicorn",
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", "20",
        "--bind", f"{HOST}:{port}",
        "--log-level", "warning",
        "--graceful-timeout", "5",
        "--access-logfile", str(access),
        "--access-logformat", "%(p)s %({x-bench-call}i)s %(s)s",
        "skill.web:create_app()",
    ]  # fmt: skip
    with log.open("ab") as log_file:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(port, server)
            yield port
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _workers_per_call(logs: list[Path]) -> dict[str, set[str]]:
    served: dict[str, set[str]] = {}
    for access in logs:
        for line in access.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) >= 2 and parts[1].startswith("CA"):
                served.setdefault(parts[1], set()).add(parts[0])
    return served


def _summary(results: list[CallResult], seconds: float, logs: list[Path]) -> dict[str, Any]:
    latencies = [s for r in results for s in r.latencies]
    served = _workers_per_call(logs)
    ours = [served.get(r.call_sid, set()) for r in results]
    return {
        "calls": len(results),
        "completed": sum(r.completed for r in results),
        "incomplete": sum(not r.completed for r in results),
        "lost_turns": sum(r.lost for r in results),
        "errors": sum(r.errors for r in results),
        "webhooks": len(latencies),
        "p50_ms": round(statistics.median(latencies) * 1e3, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 99) * 1e3, 2) if latencies else None,
        "webhooks_per_s": round(len(latencies) / seconds, 1) if seconds else None,
        "calls_on_several_workers": sum(len(w) > 1 for w in ours),
        "workers_seen": len(set().union(*ours)) if ours else 0,
    }


def calls_under_load(
    workdir: Path, *, calls: int, concurrency: int, workers: int, threads: int
) -> dict[str, Any]:
    # The server's access log and moto's request log are not news on the console.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    base = {
        "TWILIO_AUTH_TOKEN": TOKEN,
        "PHONE_CALLER_PEPPER": PEPPER,
        "SKILL_LOG_LEVEL": "WARNING",
        "SKILL_VERIFY_REQUESTS": "0",  # no Alexa requests here
    }
    drop = (
        "PHONE_CALLER_PEPPER_PARAMETER",
        "SKILL_TABLE_NAME",
        "SKILL_DB_PATH",
        "SKILL_ID",
        "PHONE_CALLS_TABLE_NAME",
        "TWILIO_AUTH_TOKEN_PARAMETER",
    )
    log = workdir / "phone-gunicorn.log"
    result: dict[str, Any] = {}
    warm = max(2, 2 * workers)
    with moto_server(workdir) as endpoint:
        shared_env = child_env(
            {
                **base,
                **FAKE_AWS_ENV,
                "AWS_ENDPOINT_URL_DYNAMODB": endpoint,
                "SKILL_TABLE_NAME": PROGRESS_TABLE,
                "PHONE_CALLS_TABLE_NAME": CALLS_TABLE,
            },
            drop=drop,
        )
        logs = [workdir / f"phone-host{n}-access.log" for n in (1, 2)]
        with (
            phone_server(shared_env, workers, 1, log, logs[0]) as one,
            phone_server(shared_env, workers, 1, log, logs[1]) as two,
        ):
            run_calls([one, two], warm, min(warm, concurrency), 9_000_000)  # all warm
            for access in logs:
                access.write_text("")
            _recorder(endpoint, "reset-recording")
            _recorder(endpoint, "start-recording")
            results, seconds = run_calls([one, two], calls, concurrency, 0)
            _recorder(endpoint, "stop-recording")
        result["shared"] = _summary(results, seconds, logs)
        recorded = recording_path(workdir)
        if recorded.exists():
            lines = recorded.read_text(encoding="utf-8").splitlines()
            result["shared"]["units"] = units_from_recording(lines).per(calls)
        result["shared"]["server"] = (
            f"2 hosts x gunicorn --workers {workers}, DynamoDB call store (moto)"
        )
    memory_env = child_env({**base, "SKILL_DB_PATH": str(workdir / "phone.sqlite3")}, drop=drop)
    access = workdir / "phone-memory-access.log"
    with phone_server(memory_env, 1, threads, log, access) as port:
        run_calls([port], warm, min(warm, concurrency), 9_000_000)
        access.write_text("")
        results, seconds = run_calls([port], calls, concurrency, 0)
    result["memory"] = _summary(results, seconds, [access])
    result["memory"]["server"] = f"gunicorn --workers 1 --threads {threads}, memory call store"
    result["settings"] = {
        "calls": calls,
        "concurrency": concurrency,
        "turns_per_call": TURNS_PER_CALL,
        "workers": workers,
        "threads": threads,
    }
    return result


def phone_benchmark(
    workdir: Path,
    *,
    cold_repeats: int,
    calls: int,
    concurrency: int,
    workers: int,
    threads: int,
    prerender: bool = True,
) -> dict[str, Any]:
    return {
        "cold_start": cold_starts(workdir, cold_repeats, prerender=prerender),
        "load": calls_under_load(
            workdir, calls=calls, concurrency=concurrency, workers=workers, threads=threads
        ),
    }


# --- budgets and the table (bench/run.py) ---------------------------------------------------

# The phone line may afford more than Alexa's path (Twilio waits 15 s, and the caller hears
# ringing, not silence), but not without bound: see bench/README.md.
PHONE_BUDGETS: list[tuple[str, tuple[str, ...], float, str]] = [
    ("phone: cold start", ("phone", "cold_start", "ratio"), 3.0, "<="),
    ("phone: resolver load", ("phone", "cold_start", "resolver_vs_alexa"), 1.0, "<="),
    ("phone: Alexa SDK loaded", ("phone", "cold_start", "phone", "alexa_sdk_loaded"), 0, "=="),
    ("phone: lost turns, shared store", ("phone", "load", "shared", "lost_turns"), 0, "=="),
    ("phone: calls not completed, shared", ("phone", "load", "shared", "incomplete"), 0, "=="),
    ("phone: lost turns, memory store", ("phone", "load", "memory", "lost_turns"), 0, "=="),
]

Row = tuple[str, str, str, str, str, str]


def phone_rows(results: dict[str, Any], judged: Any) -> list[Row]:
    """The phone line's lines of the results table; ``judged(name)`` gives (limit, verdict)."""
    phone = results.get("phone")
    if not phone:
        return []

    def ms(value: float | None) -> str:
        return "-" if value is None else f"{value:.0f} ms" if value >= 10 else f"{value:.3g} ms"

    cold = phone["cold_start"]
    ours, alexa, resolver = cold["phone"], cold["alexa"], cold["resolver"]
    rows: list[Row] = [
        (
            "phone: cold start, spawn to greeting",
            ms(ours["median_ms"]),
            f"{ms(alexa['median_ms'])} (Alexa)",
            f"{cold['ratio']:.2f}x",
            *judged("phone: cold start"),
        ),
        (
            "  runs that loaded the Alexa SDK",
            str(ours.get("alexa_sdk_loaded", "-")),
            f"{alexa.get('alexa_sdk_loaded', '-')} (Alexa)",
            "",
            *judged("phone: Alexa SDK loaded"),
        ),
        (
            "  resolver: import + load + first resolve",
            f"{ms(resolver['import_median_ms'])} + {ms(resolver['load_median_ms'])} + "
            f"{ms(resolver['first_resolve_median_ms'])}",
            "",
            f"{cold['resolver_vs_alexa']:.2f}x",
            *judged("phone: resolver load"),
        ),
    ]
    load = phone["load"]
    for key, label in (("shared", "shared store"), ("memory", "memory store")):
        side = load[key]
        rows.append(
            (
                f"phone: {side['calls']} calls, {label}: completed / lost turns",
                f"{side['completed']} / {side['lost_turns']}",
                "",
                "",
                *judged(f"phone: lost turns, {label}"),
            )
        )
        rows.append(
            (
                f"  webhook p50 / p99 ({side['server']})",
                f"{ms(side['p50_ms'])} / {ms(side['p99_ms'])}",
                "",
                f"{side['calls_on_several_workers']} calls on 2+ processes",
                "",
                "info",
            )
        )
    return rows
