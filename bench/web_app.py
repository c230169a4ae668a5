"""The web endpoint as the load benchmark serves it.

``gunicorn 'bench.web_app:create_app()'`` with these environment variables:

* ``BENCH_VERIFY``: ``1`` (default) to verify Alexa's signatures, ``0`` not to;
* ``BENCH_ROOT_PEM``, ``BENCH_CHAIN_PEM``: files with the test authority's root and the
  signing chain (tests/certs.py) that the load generator signs requests with;
* ``SKILL_DB_PATH``: the SQLite store, as for any embedded-store deployment.

The chain "fetcher" hands back the chain file's bytes in place of Amazon's S3; the
verifier validates it on the first request of each worker and keeps the signing key,
so every later request pays for the signature check only, as in production.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from skill import web
from skill.envelopes import LOCAL_SKILL_ID

ENV_VERIFY = "BENCH_VERIFY"
ENV_ROOT_PEM = "BENCH_ROOT_PEM"
ENV_CHAIN_PEM = "BENCH_CHAIN_PEM"


def create_app() -> Flask:
    verify = os.environ.get(ENV_VERIFY, "1") != "0"
    config: dict[str, Any] = {
        web.CONFIG_VERIFY_REQUESTS: verify,
        # The application ID is checked in both modes, so both pay for it.
        web.CONFIG_SKILL_ID: LOCAL_SKILL_ID,
        web.CONFIG_BLUEPRINTS: [],  # the Alexa route only: no phone line
    }
    if verify:
        chain = Path(os.environ[ENV_CHAIN_PEM]).read_bytes()

        def fetch(url: str) -> bytes:
            return chain

        config[web.CONFIG_TRUSTED_ROOTS] = [Path(os.environ[ENV_ROOT_PEM]).read_bytes()]
        config[web.CONFIG_CERT_FETCHER] = fetch
    return web.create_app(config)
