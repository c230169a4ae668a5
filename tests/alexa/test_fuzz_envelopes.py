"""A seeded mutation loop over every request envelope in tests/fixtures, through the Lambda
entry point: whatever a request carries (fields of the wrong type, NaN, huge strings,
thousands of programs in its session attributes, markup in its slots, keys removed or
added), the answer is valid JSON, under Alexa's 120 KB, and its speech valid SSML.

Deterministic (one seed), so a failure names a mutation that can be replayed; a few
thousand mutations in a few seconds.
"""

from __future__ import annotations

import copy
import json
import math
import random
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.invoke import answer
from skill.alexa.skill_builder import build_skill
from skill.speech.ssml import validate
from skill.store.sqlite import SqliteProgressStore

from support import Said

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MUTATIONS = 3000
SEED = 23
MAX_RESPONSE_BYTES = 120 * 1024


def envelopes() -> list[str]:
    """Every request envelope of the fixtures, as JSON text (parsed afresh for each use)."""
    found = []
    for path in sorted(FIXTURES.rglob("*.json")):
        if "phone" in path.parts or "programs" in path.parts:
            continue
        data = json.loads(path.read_text(encoding="utf-8-sig"))
        if isinstance(data, dict) and isinstance(data.get("request"), dict):
            found.append(json.dumps(data))
    return found


def junk_programs(rng: random.Random) -> dict[str, Any]:
    entry = {"position": 3, "heard": [1, 2, 3], "practiced": [], "finished": False}
    count = rng.choice([5, 500, 4000])
    return {
        "schema_version": 4,
        "revision": 0,
        "programs": {f"p{i}": entry for i in range(count)},
        "current": "p1",
    }


# Something a field should not hold. Made once: the big ones are shared (the skill never
# changes what a request holds), the small containers copied on use.
WRONG: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64,
    1e308,
    math.nan,
    math.inf,
    -math.inf,
    "",
    "x" * 10,
    "x" * 5_000,
    "x" * 130_000,
    "line\nCRITICAL forged",
    "<speak><audio src='https://evil.example/a.mp3'/></speak>",
    "&amp; </speak> ]]> \x00\x07\ud800",
    "motivate",
    "step",
    "safety",
    [],
    [1, "two", None],
    {},
    {"view": "forged", "data": {"x": math.nan}},
    {"programs": "all"},
    list(range(3000)),
]


def value(rng: random.Random) -> Any:
    chosen = rng.choice(WRONG)
    return copy.deepcopy(chosen) if isinstance(chosen, dict | list) and len(chosen) < 10 else chosen


def somewhere(event: dict[str, Any], rng: random.Random) -> tuple[Any, Any] | None:
    """A random place in the envelope (a container and a key of it), by a random walk."""
    node: Any = event
    place = None
    while isinstance(node, dict | list) and node:
        key = rng.choice(list(node)) if isinstance(node, dict) else rng.randrange(len(node))
        place = (node, key)
        if rng.random() < 0.3:
            break
        node = node[key]
    return place


def mutate(original: str, rng: random.Random) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(original)
    for _ in range(rng.randint(1, 3)):
        kind = rng.random()
        session = event.get("session")
        if kind < 0.25 and isinstance(session, dict):
            # What the skill keeps between turns: the likeliest thing to be forged.
            attributes = session.setdefault("attributes", {})
            if not isinstance(attributes, dict):
                session["attributes"] = attributes = {}
            key = rng.choice(["conversation", "progress", "unsaved", "started_at", "junk"])
            forged = junk_programs(rng) if key == "progress" and rng.random() < 0.5 else None
            attributes[key] = forged if forged is not None else value(rng)
            session["new"] = rng.random() < 0.3
            continue
        place = somewhere(event, rng)
        if place is None:
            continue
        parent, key = place
        if kind < 0.75:
            parent[key] = value(rng)
        elif kind < 0.9 and isinstance(parent, dict):
            del parent[key]
        elif isinstance(parent, dict):
            parent[rng.choice(["extra", "\n", "__proto__", "x" * 300])] = value(rng)
    return event


def check(response: dict[str, Any], context: str) -> None:
    text = json.dumps(response, allow_nan=False)  # NaN and Infinity are not JSON
    assert len(text.encode("utf-8", "surrogatepass")) < MAX_RESPONSE_BYTES, context
    body = response.get("response") or {}
    for speech in (body.get("outputSpeech"), (body.get("reprompt") or {}).get("outputSpeech")):
        if speech:
            validate(speech["ssml"])
    if "outputSpeech" in body:
        Said(response)  # and a reprompt whenever the session stays open


@pytest.mark.slow
def test_every_mutated_envelope_gets_valid_json_under_120_kb_with_valid_ssml(
    sqlite_store: SqliteProgressStore,
) -> None:
    skill = build_skill(sqlite_store)
    rng = random.Random(SEED)
    originals = envelopes()
    assert len(originals) >= 40
    answered = 0
    for n in range(MUTATIONS):
        original = rng.choice(originals)
        event = mutate(original, rng)
        response = answer(skill, event, None)  # lambda_handler, on this test's store
        check(response, f"mutation {n} of seed {SEED}")
        answered += 1
    assert answered == MUTATIONS
