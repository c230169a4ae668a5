"""skill.alexa.serializer: the compiled serializer reads and writes what ask-sdk's does.

The reference is ask-sdk's own generic ``DefaultSerializer`` code path, with only the
timestamp reading the skill has always used in its place (ISO 8601 and epoch numbers,
which dateutil cannot read). Every request envelope among the fixtures (real ones that
nobody here wrote, including malformed ones) and every response the skill gives to them
and to the bench's scripted session must come out the same, errors included.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.exceptions import SerializationException
from ask_sdk_core.serialize import DefaultSerializer
from ask_sdk_model import RequestEnvelope

from skill.alexa.invoke import too_deep
from skill.alexa.serializer import EventSerializer, SessionAttributes, read_timestamp

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ENVELOPES = sorted(
    path
    for path in FIXTURES.rglob("*.json")
    if "phone" not in path.parts and "programs" not in path.parts
)


class Reference(DefaultSerializer):  # type: ignore[misc]
    """The SDK's own code: every type string parsed and every class looked up anew, with
    the skill's timestamp reading in place of the SDK's."""

    def deserialize_event(self, event: dict[str, Any]) -> RequestEnvelope:
        deserialize = self._DefaultSerializer__deserialize
        envelope: RequestEnvelope = deserialize(event, RequestEnvelope)
        return envelope

    def _DefaultSerializer__deserialize_datetime(self, payload: Any, obj_type: Any) -> Any:
        return read_timestamp(payload, obj_type)


def _event(path: Path) -> Any:
    return json.loads(path.read_bytes())


def _read(serializer: EventSerializer | Reference, event: Any) -> tuple[str, Any]:
    try:
        return "ok", serializer.deserialize_event(event)
    except SerializationException as exc:
        return "error", str(exc)


def test_there_are_envelopes_to_compare() -> None:
    assert len(ENVELOPES) > 60


@pytest.mark.parametrize("path", ENVELOPES, ids=lambda p: p.relative_to(FIXTURES).as_posix())
def test_reads_every_envelope_as_the_sdk_does(path: Path) -> None:
    event = _event(path)
    ours, reference = _read(EventSerializer(), event), _read(Reference(), event)
    assert ours == reference
    if ours[0] == "ok":
        # Written back, the envelopes are the same dicts too.
        assert EventSerializer().serialize(ours[1]) == Reference().serialize(reference[1])
        session = ours[1].session
        if session is not None and session.attributes is not None:
            copied = copy.deepcopy(session.attributes)
            assert copied == reference[1].session.attributes
            assert type(copied) is dict and copied is not session.attributes


def test_a_second_read_with_the_compiled_readers_is_the_same() -> None:
    serializer = EventSerializer()
    for path in ENVELOPES:
        event = _event(path)
        assert _read(serializer, event) == _read(serializer, event) == _read(Reference(), event)


def test_unknown_fields_are_kept_as_the_sdk_keeps_them() -> None:
    event = _event(FIXTURES / "launch_request.json")
    event["request"]["somethingNew"] = {"a": [1, 2]}
    ours = EventSerializer().deserialize_event(event)
    assert ours.request.somethingNew == {"a": [1, 2]}
    assert ours == Reference().deserialize_event(event)


def test_a_wrong_shape_is_the_same_error_as_the_sdks() -> None:
    event = _event(FIXTURES / "launch_request.json")
    outcomes = []
    for broken in (
        {"request": {"type": "NoSuchRequest"}},
        {"request": {"type": "IntentRequest", "intent": {"slots": []}}},
        {"request": {"type": "LaunchRequest", "timestamp": "yesterday"}},
        {"session": []},  # read as a session with nothing in it, by the SDK too
        {"context": {"System": 3}},
    ):
        changed = {**event, **broken}
        ours = _read(EventSerializer(), changed)
        assert ours == _read(Reference(), changed), broken
        outcomes.append(ours[0])
    assert outcomes == ["error", "error", "error", "ok", "error"]


def test_values_the_sdk_writes_its_own_way_are_written_alike() -> None:
    import decimal
    from datetime import UTC, date, datetime
    from enum import Enum, IntEnum

    from ask_sdk_model.ui import SimpleCard

    class Colour(Enum):
        RED = "red"

    class Level(IntEnum):
        HIGH = 3

    values = [
        (1, "a", None, 2.5, True),
        [decimal.Decimal("2"), decimal.Decimal("2.5"), b"x"],
        {"when": datetime(2026, 1, 2, 3, 4, tzinfo=UTC), "day": date(2026, 1, 2)},
        [Colour.RED, Level.HIGH, SimpleCard(title="t", content=None)],
    ]
    for value in values:
        assert EventSerializer().serialize(value) == Reference().serialize(value)


def test_session_attributes_deep_copy_as_separate_json() -> None:
    attributes = SessionAttributes({"a": {"b": [1, {"c": None}]}, "d": "e"})
    copied = copy.deepcopy(attributes)
    assert copied == attributes
    copied["a"]["b"][1]["c"] = 2
    assert attributes["a"]["b"][1]["c"] is None


def test_every_response_is_written_as_the_sdk_writes_it(handler: Any) -> None:
    from bench.conversation import ALLY_COACH_SCRIPT, LAUNCH
    from skill.alexa.envelopes import SessionDriver

    responses: list[Any] = []
    skill = handler.__closure__[0].cell_contents  # the skill the conftest fixture built

    def capture(event: dict[str, Any]) -> dict[str, Any]:
        envelope = EventSerializer().deserialize_event(event)
        response = skill.invoke(request_envelope=envelope, context=None)
        responses.append(response)
        written: dict[str, Any] = EventSerializer().serialize(response)
        return written

    driver = SessionDriver(user_id="amzn1.ask.account.SERIALIZER")
    for name, slots in ALLY_COACH_SCRIPT:
        event = driver.launch() if name == LAUNCH else driver.intent(name, slots)
        driver.update(capture(event))
    for path in ENVELOPES:
        event = _event(path)
        if _read(Reference(), event)[0] == "ok" and "request" in event:
            try:
                capture(event)
            except Exception:  # requests the skill refuses are test_real_envelopes' business
                continue
    assert len(responses) > 40
    for response in responses:
        assert EventSerializer().serialize(response) == Reference().serialize(response)


def test_nesting_depth_is_counted_in_levels() -> None:
    def nested(depth: int) -> Any:
        value: Any = 1
        for i in range(depth):
            value = {"k": value} if i % 2 else [value]
        return value

    assert not too_deep(nested(64))
    assert too_deep(nested(65))
    assert not too_deep({"a": [1, 2, {"b": []}]}, limit=4)
    assert too_deep({"a": [1, 2, {"b": []}]}, limit=3)
    assert not too_deep("text") and not too_deep(None)
    assert too_deep(nested(100_000))  # and the stack is not exhausted
