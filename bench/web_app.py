"""The web endpoint as the load benchmark serves it.

``gunicorn 'bench.web_app:create_app()'`` with these environment variables:

* ``BENCH_VERIFY``: ``1`` (default) to verify Alexa's signatures, ``0`` not to;
* ``BENCH_ROOT_PEM``, ``BENCH_CHAIN_PEM``: files with the test authority's root and the
  signing chain (tests/certs.py) that the load generator signs requests with;
* ``BENCH_METER``: ``1`` to time verification inside the server (see below);
* ``SKILL_DB_PATH``: the SQLite store, as for any embedded-store deployment.

The chain "fetcher" hands back the chain file's bytes in place of Amazon's S3; the
verifier validates it on the first request of each worker and keeps the signing key,
so every later request pays for the signature check only, as in production.

With ``BENCH_METER=1`` (and verification on), ``RequestVerifier.verify`` is wrapped to
add up the CPU time its calls take (the calling thread's clock), served at
``GET /bench/verify-cpu``: what verification itself costs inside a loaded server, which
noise on a shared machine moves far less than a throughput ratio. The wrapper costs a
few microseconds a call, so the servers whose throughput is compared run without it.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, jsonify

from skill.alexa.envelopes import LOCAL_SKILL_ID
from skill.channels.web import app as web

ENV_VERIFY = "BENCH_VERIFY"
ENV_ROOT_PEM = "BENCH_ROOT_PEM"
ENV_CHAIN_PEM = "BENCH_CHAIN_PEM"
ENV_METER = "BENCH_METER"


STATS_PATH = "/bench/verify-cpu"


def _verify_meter() -> Blueprint:
    """Count the calls of RequestVerifier.verify and the thread CPU time they take."""
    from skill.channels.web.verification import RequestVerifier

    lock = threading.Lock()
    totals = {"calls": 0, "cpu_ns": 0}
    verify: Callable[..., None] = RequestVerifier.verify

    def timed(self: RequestVerifier, *args: Any, **kwargs: Any) -> None:
        start = time.thread_time_ns()
        try:
            verify(self, *args, **kwargs)
        finally:
            spent = time.thread_time_ns() - start
            with lock:
                totals["calls"] += 1
                totals["cpu_ns"] += spent

    RequestVerifier.verify = timed  # type: ignore[method-assign]
    stats = Blueprint("bench_stats", __name__)

    @stats.get(STATS_PATH)
    def read() -> Any:
        with lock:
            return jsonify(totals)

    return stats


def create_app() -> Flask:
    verify = os.environ.get(ENV_VERIFY, "1") != "0"
    meter = verify and os.environ.get(ENV_METER) == "1"
    config: dict[str, Any] = {
        web.CONFIG_VERIFY_REQUESTS: verify,
        # The application ID is checked in both modes, so both pay for it.
        web.CONFIG_SKILL_ID: LOCAL_SKILL_ID,
        # The Alexa route only (no phone line), and the meter when asked for.
        web.CONFIG_BLUEPRINTS: [_verify_meter()] if meter else [],
    }
    if verify:
        chain = Path(os.environ[ENV_CHAIN_PEM]).read_bytes()

        def fetch(url: str) -> bytes:
            return chain

        config[web.CONFIG_TRUSTED_ROOTS] = [Path(os.environ[ENV_ROOT_PEM]).read_bytes()]
        config[web.CONFIG_CERT_FETCHER] = fetch
    return web.create_app(config)
