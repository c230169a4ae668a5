"""Dialog scripts: reading, writing, choosing what must be heard, and replaying."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from skill.channels.simulator.device import Device
from skill.channels.simulator.script import (
    DialogMismatch,
    Script,
    ScriptError,
    Step,
    choices,
    dump,
    from_dict,
    heard_in,
    load,
    replay,
    script_of,
    slug,
    step_of,
)
from skill.lambda_function import lambda_handler

SAFETY = {
    "name": "safety",
    "locale": "en-US",
    "turns": [
        {"say": "help me talk to my partner", "intent": "MotivatePartnerIntent", "hear": ["Tip 1"]},
        {"say": "my husband hits me", "hear": ["911", "1-800-799-7233"]},
        {"say": "stop", "ends": True},
    ],
}


def test_matching_ignores_case_and_punctuation_but_not_words() -> None:
    assert heard_in("tip 1: focus on the relationship", "Tip 1. Focus on the relationship, not")
    assert heard_in("1-800-799-7233", "at 1-800-799-7233.")
    assert heard_in("you'd", "You\u2019d like")
    assert not heard_in("Tip 1", "Tip 10 is new")
    assert not heard_in("", "anything")


def test_a_script_replays_through_lambda_handler() -> None:
    exchanges = replay(from_dict(SAFETY), lambda_handler)
    assert [e.kind for e in exchanges] == ["say", "say", "say"]
    assert exchanges[-1].ended


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        ({"hear": ["988"]}, "did not hear '988'"),
        ({"intent": "AMAZON.HelpIntent"}, "understood as SafetyIntent, not AMAZON.HelpIntent"),
        ({"ends": True}, "the session stayed open"),
        ({"not_hear": ["1-800-799-7233"]}, "which must not be said"),
        ({"card": "Tip 2"}, "no card titled 'Tip 2'"),
    ],
)
def test_a_replay_fails_when_the_answer_is_not_what_must_be_heard(
    change: dict[str, Any], complaint: str
) -> None:
    data = json.loads(json.dumps(SAFETY))
    data["turns"][1].update(change)
    with pytest.raises(DialogMismatch) as failure:
        replay(from_dict(data, "safety.yaml"), lambda_handler)
    message = str(failure.value)
    assert "safety.yaml, turn 2 (you said 'my husband hits me')" in message
    assert complaint in message
    assert "heard: " in message and "National Domestic Violence Hotline" in message


def test_a_replay_fails_when_a_pause_is_lost() -> None:
    steps = (
        Step(say="help me talk to my partner"),
        Step(say="yes", pauses=(2, 8, 20, 30)),  # a practice's silences, past SSML's 10 s
    )
    replay(Script("practice", steps=steps), lambda_handler)
    shorter = (steps[0], Step(say="yes", pauses=(2, 9)))
    with pytest.raises(DialogMismatch, match=r"pauses \[2, 9\] not all kept"):
        replay(Script("practice", steps=shorter), lambda_handler)


def test_silences_replay_as_on_a_device() -> None:
    steps = (
        Step(say="open ally coach"),
        Step(silent=True, hear=("Say yes",)),
        Step(silent=True, ends=True),
    )
    exchanges = replay(Script("quiet", steps=steps), lambda_handler)
    assert exchanges[-1].requests == ["SessionEndedRequest"]
    with pytest.raises(DialogMismatch, match="no session is open"):
        replay(Script("quiet", steps=(*steps, Step(silent=True))), lambda_handler)


def test_words_to_a_closed_skill_fail_a_replay() -> None:
    with pytest.raises(DialogMismatch, match="the skill was not open"):
        replay(Script("closed", steps=(Step(say="purple elephants"),)), lambda_handler)


def test_yaml_and_json_round_trip(tmp_path: Path) -> None:
    script = from_dict(SAFETY)
    yaml_path = tmp_path / "safety.yaml"
    yaml_path.write_text(dump(script), encoding="utf-8")
    json_path = tmp_path / "safety.json"
    json_path.write_text(dump(script, as_json=True), encoding="utf-8")
    assert load(yaml_path) == script == load(json_path)
    assert dump(script).startswith("# A dialog script")


@pytest.mark.parametrize(
    ("data", "complaint"),
    [
        ([], "a script is a mapping"),
        ({"turns": []}, "turns must be a non-empty list"),
        ({"locale": "fr-FR", "turns": [{"say": "x"}]}, "locale 'fr-FR'"),
        ({"turns": [{"say": "x", "silent": True}]}, "turn 1: say exactly one of"),
        ({"turns": [{"hear": ["x"]}]}, "turn 1: say exactly one of"),
        ({"turns": [{"say": "x", "heard": ["x"]}]}, "unknown keys ['heard']"),
        ({"turns": [{"say": "x", "hear": {"a": 1}}]}, "hear must be a list"),
        ({"turns": [{"say": "x", "pauses": ["long"]}]}, "pauses are seconds"),
        ({"turns": ["yes"]}, "a turn is a mapping"),
        ({"turns": [{"say": True}]}, "quote them, as in say: 'yes'"),
    ],
)
def test_a_broken_script_says_which_turn_and_why(data: Any, complaint: str) -> None:
    with pytest.raises(ScriptError) as failure:
        from_dict(data, "broken.yaml")
    assert complaint in str(failure.value)
    assert str(failure.value).startswith("broken.yaml")


def test_unreadable_files_are_script_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("turns: [\n", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"bad\.yaml"):
        load(bad)
    bad_json = tmp_path / "bad.json"
    bad_json.write_text("{", encoding="utf-8")
    with pytest.raises(ScriptError, match=r"bad\.json"):
        load(bad_json)


def test_suggested_content_is_the_tips_words_numbers_and_practice_lines() -> None:
    device = Device(lambda_handler, "amzn1.ask.account.CHOICES")
    tip = choices(device.say("help me talk to my partner"))
    suggested = [c["text"] for c in tip if c["suggested"]]
    assert "Tip 1: Focus on the relationship, not on your partner" in suggested
    assert "We never do anything fun anymore" in suggested
    offered = [c["text"] for c in tip if not c["suggested"]]
    assert any(
        "five tips for inviting" in text for text in offered
    )  # the intro: offered, not ticked

    practice = [c["text"] for c in choices(device.say("yes")) if c["suggested"]]
    assert practice == [  # the last line before each silence of the one piece
        "Close your eyes, if it's safe where you are",
        "Think of one complaint you often make to your partner",
        "Or feeling seen",
        "Or with, I would love",
        "Say it quietly to yourself, once",
    ]
    safety = [c["text"] for c in choices(device.say("my husband hits me")) if c["suggested"]]
    assert {"911", "1-800-799-7233"} <= set(safety)


def test_a_recording_becomes_a_script() -> None:
    device = Device(lambda_handler, "amzn1.ask.account.RECORDING")
    exchanges = [device.say("open ally coach"), device.silence(), device.silence()]
    script = script_of("Quiet", "en-US", exchanges, {})
    assert [s.to_dict() for s in script.steps] == [
        {"say": "open ally coach"},
        {"silent": True},
        {"silent": True, "ends": True},
    ]
    with pytest.raises(ScriptError, match="nothing was recorded"):
        script_of("Empty", "en-US", [], {})


def test_slugs_are_file_names() -> None:
    assert slug("Safety: my husband hits me!") == "safety-my-husband-hits-me"
    assert slug("!!!") == ""


def test_a_cards_title_is_required_only_when_it_is_spoken() -> None:
    device = Device(lambda_handler, "amzn1.ask.account.CARDS")
    tip = device.say("help me talk to my partner")
    assert step_of(tip, []).card == "Tip 1: Focus on the relationship, not on your partner."
    disclosure = device.say("my husband hits me")
    assert disclosure.card is not None  # a card of numbers, under a heading of its own
    assert step_of(disclosure, ["911"]).card is None
    with pytest.raises(ScriptError, match="not in the answer"):
        step_of(disclosure, ["Tip 2"])
