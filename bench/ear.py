"""The ear of the text channels: its cold start against the Alexa path's, and its time per
utterance on one core.

Cold start: fresh interpreters, alternating, each timed from just before the process is
spawned. The ear's child imports ``skill.nlu``, makes the en-US resolver (reading the
shipped heads; nothing is trained) and resolves one utterance; the Alexa child imports
``skill.lambda_function`` and answers a LaunchRequest on the embedded store. The budget
(issue 21) is the ear at most 3x the Alexa path.

Per utterance: one child pinned to one CPU (``os.sched_setaffinity`` where the system has
it) resolves every line of the ear's tuning set once after a warm-up, each a new text (the
encoder's cache never answers), and reports the median and the 95th percentile. Budget:
50 ms per utterance on one core.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.measure import child_env, percentile, python, ratio
from skill.alexa.envelopes import SessionDriver

CHILD_TIMEOUT_SECONDS = 120
TUNE_SET = Path(__file__).resolve().parent.parent / "interaction_model" / "corpus" / "tune.jsonl"

_COLD_CHILD = """
import json, sys, time
kind, payload = sys.argv[1], json.loads(sys.argv[2])
started = time.monotonic()
if kind == "ear":
    from skill.nlu import get_resolver
    imported = time.monotonic()
    resolver = get_resolver("en-US")
    loaded = time.monotonic()
    resolver.resolve("um my husband wont go to counselling")
    answered = time.monotonic()
else:
    from skill.lambda_function import lambda_handler
    imported = loaded = time.monotonic()
    lambda_handler(payload, None)
    answered = time.monotonic()
print(json.dumps({"started": started, "imported": imported, "loaded": loaded,
                  "answered": answered, "cpu": time.process_time()}))
"""

_UTTERANCE_CHILD = """
import json, os, sys, time
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
texts = json.loads(sys.stdin.read())
from skill.nlu import get_resolver
resolver = get_resolver("en-US")
for text in texts[:20]:
    resolver.resolve("warm up " + text)
times = []
for text in texts:
    start = time.perf_counter()
    resolver.resolve(text)
    times.append(time.perf_counter() - start)
print(json.dumps({"times": times, "one_core": hasattr(os, "sched_setaffinity")}))
"""


def _child(code: str, args: list[str], env: dict[str, str], stdin: str = "") -> dict[str, Any]:
    spawned = time.monotonic()
    done = subprocess.run(
        [python(), "-c", code, *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=CHILD_TIMEOUT_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"ear benchmark child failed: {done.stderr[-2000:]}")
    data: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    data["spawned"] = spawned
    return data


def cold_starts(workdir: Path, repeats: int) -> dict[str, Any]:
    env = child_env(
        {
            "PYTHONPYCACHEPREFIX": str(workdir / "ear-pycache"),
            "SKILL_DB_PATH": str(workdir / "ear-cold.sqlite3"),
            "SKILL_LOG_LEVEL": "WARNING",
        },
        drop=("PYTHONDONTWRITEBYTECODE", "SKILL_TABLE_NAME", "SKILL_ID"),
    )

    def payload(kind: str, i: int) -> str:
        if kind == "ear":
            return "null"
        return json.dumps(SessionDriver(user_id=f"amzn1.ask.account.EAR{i}").launch())

    kinds = ("ear", "alexa")
    for kind in kinds:  # unmeasured: fills the bytecode cache, creates the SQLite file
        _child(_COLD_CHILD, [kind, payload(kind, 0)], env)
    runs: dict[str, list[dict[str, Any]]] = {kind: [] for kind in kinds}
    for i in range(repeats):
        for kind in kinds if i % 2 == 0 else kinds[::-1]:
            runs[kind].append(_child(_COLD_CHILD, [kind, payload(kind, i + 1)], env))

    def median_ms(kind: str, start: str, end: str) -> float:
        return round(statistics.median(r[end] - r[start] for r in runs[kind]) * 1e3, 1)

    result: dict[str, Any] = {
        kind: {
            "median_ms": median_ms(kind, "spawned", "answered"),
            "import_median_ms": median_ms(kind, "started", "imported"),
            "load_median_ms": median_ms(kind, "imported", "loaded"),
            "first_answer_median_ms": median_ms(kind, "loaded", "answered"),
            "runs": len(runs[kind]),
        }
        for kind in kinds
    }
    result["ratio"] = ratio(result["ear"]["median_ms"], result["alexa"]["median_ms"])
    return result


def per_utterance(limit: int | None = None) -> dict[str, Any]:
    texts = [json.loads(line)["text"] for line in TUNE_SET.read_text().splitlines() if line]
    texts = texts[:limit] if limit else texts
    data = _child(_UTTERANCE_CHILD, [], child_env(), stdin=json.dumps(texts))
    times = data["times"]
    return {
        "median_ms": round(statistics.median(times) * 1e3, 2),
        "p95_ms": round(percentile(times, 95) * 1e3, 2),
        "max_ms": round(max(times) * 1e3, 2),
        "utterances": len(times),
        "one_core": data["one_core"],
    }


def ear_benchmark(workdir: Path, repeats: int, utterances: int | None) -> dict[str, Any]:
    return {"cold_start": cold_starts(workdir, repeats), "utterance": per_utterance(utterances)}


EAR_BUDGETS = [
    ("ear: cold start vs the Alexa path", ("ear", "cold_start", "ratio"), 3.0, "<="),
    ("ear: per utterance, one core (p95)", ("ear", "utterance", "p95_ms"), 50.0, "<="),
]


def ear_rows(results: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(measurement, ear, Alexa path, ratio, budget key) for the summary table."""
    ear = results.get("ear") or {}
    cold, each = ear.get("cold_start") or {}, ear.get("utterance") or {}
    out = []
    if cold:
        out.append(
            (
                "ear cold start (import, load, first answer)",
                f"{cold['ear']['median_ms']:.0f} ms",
                f"{cold['alexa']['median_ms']:.0f} ms",
                f"{cold['ratio']:.2f}x",
                EAR_BUDGETS[0][0],
            )
        )
    if each:
        out.append(
            (
                "ear per utterance, one core (median / p95)",
                f"{each['median_ms']:.1f} / {each['p95_ms']:.1f} ms",
                "",
                "",
                EAR_BUDGETS[1][0],
            )
        )
    return out


if __name__ == "__main__":
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        print(
            json.dumps(
                ear_benchmark(Path(tmp), int(sys.argv[1]) if len(sys.argv) > 1 else 5, None),
                indent=2,
            )
        )
    os._exit(0)
