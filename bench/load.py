"""The web endpoint under concurrent load on loopback, verification on and off.

gunicorn serves ``bench.web_app:create_app()`` on 127.0.0.1 as the top-level README
runs it in production (one worker process with 8 threads: the phone line keeps call
state in memory); a bounded asyncio client sends N pre-built HTTP/1.1 requests, C at a
time, one connection each (``Connection: close``). Every request is a
new user's first request (a LaunchRequest or a one-shot "motivate my partner"): one read
and one write of the SQLite store. Bodies are signed by the test authority of
tests/certs.py right before each round, so their timestamps are fresh; the unverified
server gets the very same bytes and ignores the signature headers.

Throughput on a shared machine swings by tens of percent from one second to the next,
far more than verification costs, so the two servers are compared in pairs of short
rounds run back to back (alternating which goes first): the verification cost is the
median over pairs of 1 - rps(on) / rps(off). Both rounds of a pair are signed before
the first starts, so nothing runs between them. The servers' own CPU time per request (all
gunicorn processes, from their nanosecond CPU-time clocks) is reported too.
"""

from __future__ import annotations

import asyncio
import http.client
import importlib.util
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

from bench.measure import ROOT, child_env, percentile, python
from bench.web_app import STATS_PATH
from skill.alexa.envelopes import SessionDriver

HOST = "127.0.0.1"
METER_ROUNDS = 3  # rounds on the metered server, after its warm-up
REQUEST_TIMEOUT_SECONDS = 10.0
STARTUP_TIMEOUT_SECONDS = 30.0


def test_authority() -> ModuleType:
    """tests/certs.py, the throwaway PKI the web tests sign Alexa requests with."""
    name = "bench_test_certs"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "certs.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it executes
    spec.loader.exec_module(module)
    return module


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class Round:
    ok: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    server_cpu_s: float | None = None
    client_cpu_s: float = 0.0

    @property
    def rps(self) -> float:
        return self.ok / self.seconds if self.seconds else 0.0


def build_requests(pki: Any, port: int, count: int) -> list[bytes]:
    """``count`` signed raw HTTP requests, each a new user's first request."""
    requests = []
    for i in range(count):
        driver = SessionDriver(user_id=f"amzn1.ask.account.WEB{uuid.uuid4().hex.upper()}")
        envelope = driver.launch() if i % 2 == 0 else driver.intent("MotivatePartnerIntent")
        body = json.dumps(envelope, separators=(",", ":")).encode()
        headers = {
            **pki.headers(body),
            "Host": f"{HOST}:{port}",
            "Content-Length": str(len(body)),
            "Connection": "close",
        }
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        requests.append(f"POST /alexa HTTP/1.1\r\n{head}\r\n".encode() + body)
    return requests


async def _send(port: int, raw: bytes) -> int:
    reader, writer = await asyncio.open_connection(HOST, port)
    try:
        writer.write(raw)
        await writer.drain()
        response = await reader.read()  # to EOF: the server closes after answering
    finally:
        writer.close()
    return int(response[9:12]) if response.startswith(b"HTTP/1.") else 0


async def _drive(port: int, requests: list[bytes], concurrency: int) -> Round:
    result = Round()
    pending = iter(requests)

    async def worker() -> None:
        for raw in pending:  # one shared iterator: each request is sent once
            start = time.perf_counter()
            try:
                status = await asyncio.wait_for(_send(port, raw), REQUEST_TIMEOUT_SECONDS)
            except (OSError, TimeoutError):
                status = 0
            if status == 200:
                result.ok += 1
                result.latencies.append(time.perf_counter() - start)
            else:
                result.errors += 1

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    result.seconds = time.perf_counter() - start
    return result


def run_load(
    port: int,
    requests: list[bytes],
    concurrency: int,
    cpu: Callable[[], float | None] | None = None,
) -> Round:
    before = cpu() if cpu else None
    client = time.process_time()
    result = asyncio.run(_drive(port, requests, concurrency))
    result.client_cpu_s = time.process_time() - client
    after = cpu() if cpu else None
    if before is not None and after is not None:
        result.server_cpu_s = after - before
    return result


def _cpu_seconds(pid: int) -> float:
    """CPU time of one process (all its threads, also those that ended), in seconds.

    Read from the process's CPU-time clock, which Linux keeps in nanoseconds: the clock id
    glibc's ``clock_getcpuclockid(pid)`` returns, ``(~pid << 3) | CPUCLOCK_SCHED``. /proc's
    user and system times come in clock ticks (10 ms), too coarse for a short round.
    """
    try:
        return time.clock_gettime_ns((~pid << 3) | 2) / 1e9
    except (OSError, AttributeError):  # not Linux, or no permission: fall back to ticks
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _family(pid: int) -> list[int]:
    """The process and its children (gunicorn's master and its workers)."""
    family = [pid]
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        if ppid == pid:
            family.append(int(stat.parent.name))
    return family


def cpu_meter(pid: int) -> Callable[[], float | None]:
    """A function returning the CPU seconds used so far by a server and its workers."""

    def read() -> float | None:
        try:
            return sum(_cpu_seconds(p) for p in _family(pid))
        except (OSError, ValueError, IndexError):
            return None  # not Linux, or a worker just restarted

    return read


@contextmanager
def gunicorn(
    env: dict[str, str], workers: int, threads: int, log: Path
) -> Iterator[tuple[int, Callable[[], float | None]]]:
    """A gunicorn subprocess serving the bench app on a free loopback port."""
    port = free_port()
    command = [
        python(), "-m", "gunicorn",
        "--workers", str(workers),
        "--threads", str(threads),
        "--timeout", "10",
        "--bind", f"{HOST}:{port}",
        "--log-level", "warning",
        "--graceful-timeout", "5",
        "bench.web_app:create_app()",
    ]  # fmt: skip
    with log.open("ab") as log_file:
        server = subprocess.Popen(
            command, env=env, cwd=ROOT, stdout=log_file, stderr=subprocess.STDOUT
        )
        try:
            _wait_until_healthy(port, server)
            yield port, cpu_meter(server.pid)
        finally:
            server.terminate()
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()


def _get_json(port: int, path: str) -> dict[str, Any] | None:
    connection = http.client.HTTPConnection(HOST, port, timeout=5)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        if response.status != 200:
            return None
        data: dict[str, Any] = json.loads(response.read())
        return data
    except (OSError, ValueError):
        return None
    finally:
        connection.close()


def _wait_until_healthy(port: int, server: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}; see its log")
        try:
            connection = http.client.HTTPConnection(HOST, port, timeout=1)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise RuntimeError("gunicorn did not become healthy in time")


def web_benchmark(
    workdir: Path, *, requests: int, concurrency: int, pairs: int, workers: int, threads: int
) -> dict[str, Any]:
    certs = test_authority()
    now = datetime.now(UTC)
    # The test authority's leaf, valid around the real clock the servers use.
    pki = certs.make_pki(
        leaf_not_before=now - timedelta(days=1), leaf_not_after=now + timedelta(days=30)
    )
    root_pem = workdir / "root.pem"
    chain_pem = workdir / "chain.pem"
    root_pem.write_bytes(pki.root.public_bytes(certs.serialization.Encoding.PEM))
    chain_pem.write_bytes(pki.chain_pem())

    def env(verify: bool, meter: bool = False) -> dict[str, str]:
        return child_env(
            {
                "BENCH_VERIFY": "1" if verify else "0",
                "BENCH_METER": "1" if meter else "0",
                "BENCH_ROOT_PEM": str(root_pem),
                "BENCH_CHAIN_PEM": str(chain_pem),
                "SKILL_DB_PATH": str(workdir / f"web-{'on' if verify else 'off'}.sqlite3"),
                "SKILL_LOG_LEVEL": "WARNING",  # no per-turn log line: it goes nowhere here
            },
            drop=("SKILL_TABLE_NAME", "SKILL_ID", "SKILL_VERIFY_REQUESTS"),
        )

    log = workdir / "gunicorn.log"
    modes = ("verify_on", "verify_off")
    runs: dict[str, list[Round]] = {mode: [] for mode in modes}
    costs: list[float] = []
    with (
        gunicorn(env(True), workers, threads, log) as on,
        gunicorn(env(False), workers, threads, log) as off,
    ):
        servers = dict(zip(modes, (on, off), strict=True))
        # Unmeasured: every worker compiles its templates, opens the store and (verified)
        # fetches, validates and caches the chain; then one full round each.
        for mode, (port, _) in servers.items():
            for count in (workers * threads * 4, requests):
                warm = run_load(port, build_requests(pki, port, count), concurrency)
                if warm.errors:
                    raise RuntimeError(f"{mode}: {warm.errors} warm-up requests failed; see {log}")
        for i in range(pairs):
            order = modes if i % 2 == 0 else modes[::-1]
            # Signed before the pair, so its two rounds run back to back.
            batches = {m: build_requests(pki, servers[m][0], requests) for m in order}
            pair: dict[str, Round] = {}
            for mode in order:
                port, cpu = servers[mode]
                pair[mode] = run_load(port, batches[mode], concurrency, cpu)
                runs[mode].append(pair[mode])
            if pair["verify_off"].rps:
                costs.append(1 - pair["verify_on"].rps / pair["verify_off"].rps)

    # Verification's own CPU, timed inside a third, metered server (verification on)
    # under the same load: its share of that server's CPU per request.
    metered: list[Round] = []
    with gunicorn(env(True, meter=True), workers, threads, log) as (port, cpu):
        for count in (workers * threads * 4, requests):
            run_load(port, build_requests(pki, port, count), concurrency)
        before = _get_json(port, STATS_PATH) or {}
        for _ in range(METER_ROUNDS):
            metered.append(run_load(port, build_requests(pki, port, requests), concurrency, cpu))
        after = _get_json(port, STATS_PATH) or {}

    def summary(rounds: list[Round]) -> dict[str, Any]:
        latencies = [s for r in rounds for s in r.latencies]
        ok = sum(r.ok for r in rounds)
        cpu = [r.server_cpu_s for r in rounds]
        return {
            "rps": round(statistics.median(r.rps for r in rounds), 1),
            "p50_ms": round(statistics.median(latencies) * 1e3, 2) if latencies else None,
            "p99_ms": round(percentile(latencies, 99) * 1e3, 2) if latencies else None,
            "server_cpu_ms_per_request": (
                round(sum(c for c in cpu if c is not None) / ok * 1e3, 3)
                if ok and None not in cpu
                else None
            ),
            # The load generator's own CPU per request, to see whether it could be the limit.
            "client_cpu_ms_per_request": (
                round(sum(r.client_cpu_s for r in rounds) / ok * 1e3, 3) if ok else None
            ),
            "ok": ok,
            "errors": sum(r.errors for r in rounds),
        }

    result: dict[str, Any] = {mode: summary(rounds) for mode, rounds in runs.items()}
    result["verification_cost"] = round(statistics.median(costs), 3) if costs else None
    result["verification_cost_pairs"] = [round(c, 3) for c in costs]
    cpu_on = result["verify_on"]["server_cpu_ms_per_request"]
    cpu_off = result["verify_off"]["server_cpu_ms_per_request"]
    result["verification_cost_cpu"] = round(1 - cpu_off / cpu_on, 3) if cpu_on and cpu_off else None
    calls = after.get("calls", 0) - before.get("calls", 0)
    server_cpu = [r.server_cpu_s for r in metered]
    if calls > 0 and None not in server_cpu:
        per_call_ms = (after["cpu_ns"] - before["cpu_ns"]) / calls / 1e6
        per_request_ms = sum(c for c in server_cpu if c is not None) / calls * 1e3
        result["verify_cpu_ms_per_request"] = round(per_call_ms, 4)
        result["metered_server_cpu_ms_per_request"] = round(per_request_ms, 3)
        result["verify_share_of_server_cpu"] = round(per_call_ms / per_request_ms, 3)
    result["settings"] = {
        "server": f"gunicorn --workers {workers} --threads {threads}",
        "requests_per_round": requests,
        "concurrency": concurrency,
        "pairs_of_rounds": pairs,
    }
    return result
