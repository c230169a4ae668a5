"""CanFulfillIntentRequest (name-free interaction): answered from the interaction model.

The envelopes are the real one jovo publishes (tests/fixtures/real/jovo-v3/), with the
intent and slots Alexa would send for this skill's utterances.
"""

from __future__ import annotations

import copy
import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from skill.alexa.canfulfill import answer, load_model, model_for
from skill.paths import MODEL_DIR
from skill.service.intents import INTENT_ACTIONS
from skill.speech.programs import get_catalog

from support import Said

REAL = Path(__file__).resolve().parents[1] / "fixtures" / "real"
BASE: dict[str, Any] = json.loads((REAL / "jovo-v3" / "CanFulfillIntentRequest.json").read_bytes())


def request(intent: str, locale: str = "en-US", **slots: str | dict[str, Any]) -> dict[str, Any]:
    event = copy.deepcopy(BASE)
    event["request"]["locale"] = locale
    event["request"]["intent"] = {
        "name": intent,
        "slots": {
            name: value if isinstance(value, dict) else {"name": name, "value": value}
            for name, value in slots.items()
        },
    }
    return event


def can_fulfill(handler: Any, event: dict[str, Any]) -> dict[str, Any]:
    said = Said(handler(event, None))
    response = said.response
    # Only the answer: nothing said, no card, the session left as it is.
    assert set(response) == {"canFulfillIntent"}, response
    result: dict[str, Any] = response["canFulfillIntent"]
    return result


def test_the_published_envelope_for_another_skills_intent_is_a_no(handler: Any) -> None:
    assert can_fulfill(handler, BASE) == {"canFulfill": "NO", "slots": {}}


def test_how_do_i_get_my_husband_to_try_therapy(handler: Any) -> None:
    result = can_fulfill(
        handler, request("MotivatePartnerIntent", partner="husband", support="therapy")
    )

    assert result["canFulfill"] == "YES"
    for slot in ("partner", "support"):
        assert result["slots"][slot] == {"canUnderstand": "YES", "canFulfill": "YES"}


def test_a_synonym_and_an_entity_resolution_match_are_understood(handler: Any) -> None:
    resolved = {
        "name": "partner",
        "value": "my fella",
        "resolutions": {
            "resolutionsPerAuthority": [
                {
                    "authority": "amzn1.er-authority.echo-sdk.skill.PartnerType",
                    "status": {"code": "ER_SUCCESS_MATCH"},
                    "values": [{"value": {"name": "boyfriend", "id": "BOYFRIEND"}}],
                }
            ]
        },
    }
    for partner in ("hubby", resolved):
        result = can_fulfill(handler, request("MotivatePartnerIntent", partner=partner))
        assert result["canFulfill"] == "YES"


def test_a_partner_word_the_model_lacks_is_a_maybe(handler: Any) -> None:
    result = can_fulfill(handler, request("MotivatePartnerIntent", partner="bae"))

    assert result["canFulfill"] == "MAYBE"
    # The coaching works with any word for a partner.
    assert result["slots"]["partner"] == {"canUnderstand": "MAYBE", "canFulfill": "YES"}


@pytest.mark.parametrize(
    ("number", "expected"), [("3", "YES"), ("third", "YES"), ("9", "NO"), ("banana", "NO")]
)
def test_a_tip_number_is_fulfilled_only_in_range(handler: Any, number: str, expected: str) -> None:
    result = can_fulfill(handler, request("GoToTipIntent", number=number))
    assert result["canFulfill"] == expected


def test_built_in_intents_and_unknown_slots_are_a_no(handler: Any) -> None:
    assert can_fulfill(handler, request("AMAZON.HelpIntent"))["canFulfill"] == "NO"
    assert can_fulfill(handler, request("AMAZON.YesIntent"))["canFulfill"] == "NO"
    result = can_fulfill(handler, request("SetDirectionIntent", mood="calm"))
    assert result["canFulfill"] == "NO"
    assert result["slots"]["mood"] == {"canUnderstand": "NO", "canFulfill": "NO"}


def test_every_custom_intent_of_every_model_the_code_serves_is_a_yes(handler: Any) -> None:
    """Read off the model files, so intents added to the model are covered as they come."""
    for path in sorted(MODEL_DIR.glob("*.json")):
        model = load_model(path)
        for intent in model.intents:
            result = can_fulfill(handler, request(intent, locale=path.stem))
            custom = not intent.startswith("AMAZON.") and intent in INTENT_ACTIONS
            assert result["canFulfill"] == ("YES" if custom else "NO"), (path.stem, intent)


def test_the_answer_follows_the_model_not_a_list_in_the_code(tmp_path: Path) -> None:
    source = json.loads((MODEL_DIR / "en-US.json").read_text(encoding="utf-8"))
    language = source["interactionModel"]["languageModel"]
    language["types"].append(
        {"name": "ToneType", "values": [{"name": {"value": "gently", "synonyms": ["softly"]}}]}
    )
    for intent in language["intents"]:
        if intent["name"] == "MotivatePartnerIntent":
            intent["slots"].append({"name": "tone", "type": "ToneType"})
    language["intents"].append({"name": "NotYetCodedIntent", "samples": ["something new"]})
    path = tmp_path / "en-US.json"
    path.write_text(json.dumps(source), encoding="utf-8")
    model = load_model(path)

    class Slot:
        def __init__(self, value: str) -> None:
            self.value = value
            self.resolutions = None

    result = answer(model, "MotivatePartnerIntent", {"tone": Slot("softly")}, get_catalog())
    assert result.can_fulfill.value == "YES"
    assert answer(model, "NotYetCodedIntent", {}, get_catalog()).can_fulfill.value == "NO"


def test_a_locale_without_a_model_is_answered_from_the_default_one() -> None:
    assert model_for("de-DE") == model_for("en-US")
    assert model_for("../../etc/passwd") == model_for("en-US")
    assert "MotivatePartnerIntent" in model_for("en-GB").intents


def test_asking_stores_nothing(handler: Any, db_path: Path) -> None:
    can_fulfill(handler, request("MotivatePartnerIntent", partner="wife"))
    if db_path.exists():
        with sqlite3.connect(db_path) as conn:
            assert conn.execute("SELECT count(*) FROM progress").fetchone() == (0,)
