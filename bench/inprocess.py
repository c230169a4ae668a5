"""Per-turn cost inside one warm process: the scripted session through ``lambda_handler``.

Sessions of Ally Coach and of the hello world alternate, so a busy moment on a shared
machine slows both; only the handler call is timed (see bench/conversation.py). Every
session is a new user: one read, then writes as the progress changes.

The root logger gets a handler that formats every record and writes it to /dev/null,
as the Lambda runtime's handler formats every record and writes it to CloudWatch.
"""

from __future__ import annotations

import json
import logging
import os
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.conversation import ALLY_COACH_SCRIPT, HELLO_WORLD_SCRIPT, TURNS, Handler, run_session
from bench.cost import Units
from bench.measure import FAKE_AWS_ENV, REGION, patched_environ, ratio, summary_ms

TABLE = "ally-coach-bench"
# The format the Lambda runtime gives the root logger's handler (awslambdaric).
LAMBDA_LOG_FORMAT = "[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(message)s\n"


@contextmanager
def lambda_like_logging() -> Iterator[None]:
    root = logging.getLogger()
    sink = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 - closed below
    handler = logging.StreamHandler(sink)
    handler.setFormatter(logging.Formatter(LAMBDA_LOG_FORMAT, "%Y-%m-%dT%H:%M:%S"))
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        sink.close()


def _fresh_lambda_handler() -> Handler:
    """skill.lambda_function.lambda_handler, built again from the current environment."""
    from skill import config, lambda_function

    config.get_settings.cache_clear()
    lambda_function.reset()
    return lambda_function.lambda_handler


def _alternate(
    ours: Handler,
    baseline: Handler,
    sessions: int,
    warmup: int,
    between: Callable[[], None] | None = None,
) -> tuple[list[float], list[float]]:
    for _ in range(warmup):
        run_session(ours, ALLY_COACH_SCRIPT)
        run_session(baseline, HELLO_WORLD_SCRIPT)
    ours_s: list[float] = []
    base_s: list[float] = []
    for i in range(sessions):
        # Alternate which goes first too, so neither always runs right after the other.
        pair = [(ours, ALLY_COACH_SCRIPT, ours_s), (baseline, HELLO_WORLD_SCRIPT, base_s)]
        for handler, script, out in pair if i % 2 == 0 else reversed(pair):
            out.extend(run_session(handler, script).seconds)
            if between is not None:
                between()
    return ours_s, base_s


def embedded_turns(
    workdir: Path, sessions: int, warmup: int, samples: dict[str, list[float]] | None = None
) -> dict[str, Any]:
    """Ally Coach on SQLite against the plain hello world, per turn."""
    from bench.hello_world import build_handler

    env = {"SKILL_DB_PATH": str(workdir / "turns.sqlite3"), "SKILL_TABLE_NAME": None}
    with patched_environ(env), lambda_like_logging():
        ours = _fresh_lambda_handler()
        ours_s, base_s = _alternate(ours, build_handler(), sessions, warmup)
        # For reference only: the same turns when every view is rendered from the
        # compiled templates: no pre-rendered table and a render cache that never hits.
        from skill.speech.render import get_speech

        speech = get_speech()
        speech._prerendered_dir = None  # no pre-rendered table either
        speech._prerendered.clear()
        uncached: list[float] = []
        for _ in range(max(1, sessions // 4)):
            speech.cache.clear()
            for seconds in run_session(ours, ALLY_COACH_SCRIPT).seconds:
                uncached.append(seconds)
        get_speech.cache_clear()  # later measurements get the tables back
        _fresh_lambda_handler()
    if samples is not None:
        samples["ally_coach"], samples["hello_world"] = ours_s, base_s
    result = {
        "ally_coach": summary_ms(ours_s),
        "hello_world": summary_ms(base_s),
        "ally_coach_render_cache_off": summary_ms(uncached),
        "sessions": sessions,
        "turns_per_session": TURNS,
    }
    result["ratio_median"] = ratio(
        result["ally_coach"]["median_ms"], result["hello_world"]["median_ms"]
    )
    result["ratio_p99"] = ratio(result["ally_coach"]["p99_ms"], result["hello_world"]["p99_ms"])
    return result


class CallCounter:
    """Counts DynamoDB API calls made through a botocore client, by operation, and the
    request units they cost (bench/cost.py), from the bodies sent."""

    def __init__(self, client: Any) -> None:
        self.calls: Counter[str] = Counter()
        self.units = Units()
        client.meta.events.register("before-call.dynamodb", self._count)

    def _count(self, model: Any, params: Any = None, **_: Any) -> None:
        self.calls[model.name] += 1
        body = (params or {}).get("body") or b"{}"
        self.units.add(model.name, json.loads(body))

    def clear(self) -> None:
        self.calls.clear()
        self.units = Units()


def dynamodb_turns(
    sessions: int, warmup: int, samples: dict[str, list[float]] | None = None
) -> dict[str, Any]:
    """Both skills on DynamoDB (moto in this process): per turn, and calls per session."""
    with patched_environ({**FAKE_AWS_ENV, "SKILL_TABLE_NAME": TABLE, "SKILL_DB_PATH": None}):
        import boto3
        from moto import mock_aws

        with mock_aws(), lambda_like_logging():
            from skill.store.dynamodb import create_table

            create_table(boto3.client("dynamodb", region_name=REGION), TABLE)

            from bench.hello_world import build_handler, dynamodb_adapter
            from skill.service.factory import get_store

            ours = _fresh_lambda_handler()
            ours_calls = CallCounter(get_store().client)
            resource = boto3.resource("dynamodb", region_name=REGION)
            baseline = build_handler(dynamodb_adapter(TABLE, resource))
            base_calls = CallCounter(resource.meta.client)

            for _ in range(warmup):
                run_session(ours, ALLY_COACH_SCRIPT)
                run_session(baseline, HELLO_WORLD_SCRIPT)
            ours_calls.clear()
            base_calls.clear()
            ours_s, base_s = _alternate(ours, baseline, sessions, 0)
            _fresh_lambda_handler()
    if samples is not None:
        samples["ally_coach_dynamodb"], samples["hello_world_dynamodb"] = ours_s, base_s

    def per_session(calls: Counter[str]) -> dict[str, float]:
        return {name: round(count / sessions, 2) for name, count in sorted(calls.items())}

    result: dict[str, Any] = {
        "ally_coach": {
            **summary_ms(ours_s),
            "calls_per_session": per_session(ours_calls.calls),
            "reads_per_session": round(ours_calls.calls["GetItem"] / sessions, 2),
            "units": ours_calls.units.per(sessions),
        },
        "adapter_baseline": {
            **summary_ms(base_s),
            "calls_per_session": per_session(base_calls.calls),
            "reads_per_session": round(base_calls.calls["GetItem"] / sessions, 2),
            "units": base_calls.units.per(sessions),
        },
        "sessions": sessions,
        "turns_per_session": TURNS,
    }
    result["ratio_median"] = ratio(
        result["ally_coach"]["median_ms"], result["adapter_baseline"]["median_ms"]
    )
    return result
