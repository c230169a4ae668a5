"""CanFulfillIntentRequest: may Alexa send this request to the skill without its name?

Name-free interaction ("Alexa, how do I get my husband to try therapy?") asks each
candidate skill, before anything is said, whether it can understand and fulfil an intent
with the slot values Alexa heard. The answer is read off the interaction model of the
request's locale: which intents the skill has, which slots each declares and of which
type, and the values and synonyms of its own slot types. Nothing is stored, nothing is
said, and the session is not touched: Alexa only wants to know.

- An intent of the model that the skill's code serves: YES when every slot value is
  understood and can be acted on, MAYBE when a value is not one of the slot type's (the
  coaching works with any partner word), NO when a value cannot be acted on (tip 9).
- Amazon's built-in intents (help, stop, yes...) and intents the model or the code does
  not have: NO. Name-free routing of "stop" or "yes" to this skill would be a mistake.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from ask_sdk_core.dispatch_components import AbstractRequestHandler
from ask_sdk_core.utils import is_request_type
from ask_sdk_model.canfulfill import (
    CanFulfillIntent,
    CanFulfillIntentValues,
    CanFulfillSlot,
    CanFulfillSlotValues,
    CanUnderstandSlotValues,
)

from skill.config import DEFAULT_LOCALE
from skill.core.program import Catalog
from skill.paths import MODEL_DIR
from skill.service.intents import knows
from skill.understanding.numbers import parse_number

if TYPE_CHECKING:
    from ask_sdk_core.handler_input import HandlerInput
    from ask_sdk_model import Response

logger = logging.getLogger(__name__)

YES, NO, MAYBE = "YES", "NO", "MAYBE"
_NUMBER_TYPES = frozenset({"AMAZON.NUMBER", "AMAZON.Ordinal", "AMAZON.ORDINAL"})
_ER_MATCH = "ER_SUCCESS_MATCH"


class SlotAnswer(NamedTuple):
    understand: str
    fulfill: str


class Model(NamedTuple):
    """What the answer needs from an interaction model."""

    intents: Mapping[str, Mapping[str, str]]  # intent -> slot name -> slot type
    values: Mapping[str, frozenset[str]]  # custom slot type -> its values and synonyms


def load_model(path: Path) -> Model:
    language = json.loads(path.read_text(encoding="utf-8"))["interactionModel"]["languageModel"]
    intents = {
        intent["name"]: {slot["name"]: slot["type"] for slot in intent.get("slots", [])}
        for intent in language.get("intents", [])
    }
    values: dict[str, frozenset[str]] = {}
    for slot_type in language.get("types", []):
        words: set[str] = set()
        for value in slot_type.get("values", []):
            name = value.get("name", {})
            words.add(str(name.get("value", "")).lower())
            words.update(str(synonym).lower() for synonym in name.get("synonyms", []))
        values[slot_type["name"]] = frozenset(words - {""})
    return Model(intents, values)


@lru_cache(maxsize=8)
def model_for(locale: str | None, model_dir: Path = MODEL_DIR) -> Model:
    """The model of ``locale``, or the default locale's for a locale the skill lacks."""
    name = locale if isinstance(locale, str) and "/" not in locale and "\\" not in locale else ""
    path = model_dir / f"{name}.json"
    if not name or not path.is_file():
        path = model_dir / f"{DEFAULT_LOCALE}.json"
    return load_model(path)


def _resolved(slot: Any) -> bool:
    resolutions = getattr(slot, "resolutions", None)
    for authority in getattr(resolutions, "resolutions_per_authority", None) or []:
        code = getattr(getattr(authority, "status", None), "code", None)
        if getattr(code, "value", code) == _ER_MATCH:
            return True
    return False


def slot_answer(model: Model, slot_type: str, slot: Any, steps: int) -> SlotAnswer:
    """Whether one heard slot value is understood, and whether the skill can act on it."""
    value = getattr(slot, "value", None)
    if not isinstance(value, str) or not value.strip():
        return SlotAnswer(NO, NO)
    if slot_type in _NUMBER_TYPES:
        number = parse_number(value)
        if number is None:
            return SlotAnswer(NO, NO)
        return SlotAnswer(YES, YES if 1 <= number <= steps else NO)
    if slot_type in model.values:
        known = _resolved(slot) or value.strip().lower() in model.values[slot_type]
        # The coaching does not depend on the word: any partner word can be used.
        return SlotAnswer(YES if known else MAYBE, YES)
    return SlotAnswer(MAYBE, YES)  # a built-in type the skill takes as words


def answer(
    model: Model, intent_name: str | None, slots: Mapping[str, Any] | None, catalog: Catalog
) -> CanFulfillIntent:
    """The answer for an intent and the slots Alexa filled, from ``model`` and the
    programs of ``catalog`` (a step number is fulfilled when a numbered program has it)."""
    declared = model.intents.get(intent_name or "")
    serves = bool(intent_name) and knows(str(intent_name), catalog)
    steps = max((p.size for p in catalog if p.numbered), default=catalog.main.size)
    if declared is None or not serves or str(intent_name).startswith("AMAZON."):
        return CanFulfillIntent(can_fulfill=CanFulfillIntentValues.NO, slots={})
    answers: dict[str, CanFulfillSlot] = {}
    overall = YES
    for name, slot in (slots or {}).items():
        if getattr(slot, "value", None) is None:
            continue  # a slot Alexa did not fill says nothing about the request
        slot_type = declared.get(name)
        result = slot_answer(model, slot_type, slot, steps) if slot_type else SlotAnswer(NO, NO)
        answers[name] = CanFulfillSlot(
            can_understand=CanUnderstandSlotValues(result.understand),
            can_fulfill=CanFulfillSlotValues(result.fulfill),
        )
        if NO in result:
            overall = NO
        elif result.understand == MAYBE and overall == YES:
            overall = MAYBE
    return CanFulfillIntent(can_fulfill=CanFulfillIntentValues(overall), slots=answers)


class CanFulfillIntentRequestHandler(AbstractRequestHandler):
    def __init__(self, catalog: Catalog, model_dir: Path = MODEL_DIR) -> None:
        self.catalog = catalog
        self.model_dir = model_dir

    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("CanFulfillIntentRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        request: Any = handler_input.request_envelope.request
        intent = getattr(request, "intent", None)
        name = getattr(intent, "name", None)
        result = answer(
            model_for(getattr(request, "locale", None), self.model_dir),
            name,
            getattr(intent, "slots", None),
            self.catalog,
        )
        logger.info("can fulfil intent=%.80r: %s", name, getattr(result.can_fulfill, "value", None))
        builder = handler_input.response_builder
        builder.set_can_fulfill_intent(result)
        return builder.response
