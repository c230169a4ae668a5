"""Checks on the interaction models that Alexa would otherwise make at build or certification
time, or that keep the models and the code in step. Every function returns a list of
problems (plain sentences); an empty list means the check passed.

Alexa's rules, from the Alexa Skills Kit documentation:
- invocation names: "Choose the Invocation Name for a Custom Skill" (lower-case letters,
  spaces, apostrophes and periods only; at least two words; no launch phrases, connecting
  words or wake words) and "Design the Invocation Name for Your Skill" (no article or
  preposition in a two-word name);
- intent, slot and slot type names: "Create Intents, Utterances, and Slots" and the
  interaction model schema (alphabetic characters and underscores; built-ins are AMAZON.*);
- samples: each token "must consist only of unicode characters, spaces and valid
  punctuation marks. Valid punctuation marks are periods for abbreviations, underscores,
  possessive apostrophes, and hyphens" (the model builder's error text), and numbers are
  written out as words, since the recogniser hears words and AMAZON.NUMBER turns them into
  digits;
- duplicate samples: "Find Utterance Conflicts in Your Model" (a sample in two intents makes
  the choice between them unreliable), also when a slot sample of one intent, its slot
  filled with one of the type's values, says another intent's sample.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping
from typing import Any

Model = Mapping[str, Any]

# Said before an invocation name to open a skill, or between it and the request.
LAUNCH_WORDS = frozenset(
    {
        "launch",
        "ask",
        "tell",
        "load",
        "begin",
        "enable",
        "open",
        "start",
        "play",
        "resume",
        "run",
        "use",
    }
)
LAUNCH_PHRASES = ("talk to", "talk with", "open up", "play the game")
# Words that join an invocation name to a request ("ask ally coach TO ...").
CONNECTING_WORDS = frozenset({"to", "from", "by", "if", "and", "whether"})
WAKE_WORDS = frozenset({"alexa", "amazon", "echo", "computer", "skill", "app"})
# A two-word invocation name may not be an article or a preposition plus one word.
ARTICLES_AND_PREPOSITIONS = frozenset(
    {"the", "a", "an", "for", "to", "of", "about", "up", "by", "at", "off", "with"}
)

REQUIRED_BUILT_INS = (
    "AMAZON.HelpIntent",
    "AMAZON.StopIntent",
    "AMAZON.CancelIntent",
    "AMAZON.NavigateHomeIntent",
    "AMAZON.FallbackIntent",
    "AMAZON.NextIntent",
    "AMAZON.PreviousIntent",
    "AMAZON.RepeatIntent",
    "AMAZON.StartOverIntent",
    "AMAZON.YesIntent",
    "AMAZON.NoIntent",
    "AMAZON.PauseIntent",
    "AMAZON.ResumeIntent",
)
MAIN_INTENT = "MotivatePartnerIntent"
MIN_MAIN_SAMPLES = 30

_INVOCATION_CHARS = re.compile(r"^[a-z][a-z.' ]*$")
_CUSTOM_NAME = re.compile(r"^[A-Za-z][A-Za-z_]*$")
_BUILT_IN_INTENT = re.compile(r"^AMAZON\.[A-Za-z]+$")
_BUILT_IN_TYPE = re.compile(r"^AMAZON\.[A-Za-z_]+$")
_SLOT_REF = re.compile(r"\{([^{}]*)\}")
# One word of a sample: letters, with apostrophes (I'm, partner's, partners') or hyphens
# inside; or an abbreviation spelled with periods (t. v., u.s.); or a slot, alone or
# possessive ({partner}'s).
_WORD = re.compile(r"^(?:[^\W\d_]+(?:['-][^\W\d_]+)*'?|(?:[^\W\d_]\.)+|\{[A-Za-z_]+\}(?:'s)?)$")


def normalise_sample(sample: str) -> str:
    """How samples compare: case-insensitive, runs of whitespace as one space."""
    return " ".join(sample.split()).casefold()


def _language(model: Model) -> Mapping[str, Any]:
    language: Mapping[str, Any] = model["interactionModel"]["languageModel"]
    return language


def _intents(model: Model) -> list[Mapping[str, Any]]:
    return list(_language(model).get("intents", []))


def lint_invocation_name(name: str) -> list[str]:
    problems = []
    if not _INVOCATION_CHARS.match(name):
        problems.append(
            f"invocation name {name!r}: use only lower-case letters, spaces, apostrophes and "
            "periods, starting with a letter"
        )
    if name != " ".join(name.split()):
        problems.append(f"invocation name {name!r}: single spaces between words, none at the ends")
    words = name.split()
    if len(words) < 2:
        problems.append(f"invocation name {name!r}: needs at least two words")
    if len(words) == 2 and ARTICLES_AND_PREPOSITIONS & set(words):
        problems.append(
            f"invocation name {name!r}: a two-word name may not use an article or preposition"
        )
    for word in words:
        bare = word.strip(".'")
        if bare in LAUNCH_WORDS:
            problems.append(f"invocation name {name!r}: contains the launch word {bare!r}")
        if bare in CONNECTING_WORDS:
            problems.append(f"invocation name {name!r}: contains the connecting word {bare!r}")
        if bare in WAKE_WORDS:
            problems.append(f"invocation name {name!r}: contains the wake word {bare!r}")
    padded = f" {name} "
    for phrase in LAUNCH_PHRASES:
        if f" {phrase} " in padded:
            problems.append(f"invocation name {name!r}: contains the launch phrase {phrase!r}")
    return problems


def lint_names(model: Model) -> list[str]:
    """Intent, slot and slot type names, each unique where it must be."""
    problems = []
    seen: set[str] = set()
    for intent in _intents(model):
        name = intent.get("name", "")
        if name.startswith("AMAZON."):
            if not _BUILT_IN_INTENT.match(name):
                problems.append(f"intent {name!r}: not a valid built-in intent name")
        elif not _CUSTOM_NAME.match(name):
            problems.append(f"intent {name!r}: custom intent names use only letters and _")
        if name in seen:
            problems.append(f"intent {name!r}: defined twice")
        seen.add(name)
        slot_names: set[str] = set()
        for slot in intent.get("slots", []):
            slot_name = slot.get("name", "")
            if not _CUSTOM_NAME.match(slot_name):
                problems.append(f"intent {name}: slot {slot_name!r}: use only letters and _")
            if slot_name in slot_names:
                problems.append(f"intent {name}: slot {slot_name!r} defined twice")
            slot_names.add(slot_name)
    type_names: set[str] = set()
    for slot_type in _language(model).get("types", []):
        type_name = slot_type.get("name", "")
        if not _CUSTOM_NAME.match(type_name) and not _BUILT_IN_TYPE.match(type_name):
            problems.append(f"slot type {type_name!r}: use only letters and _")
        if type_name in type_names:
            problems.append(f"slot type {type_name!r}: defined twice")
        type_names.add(type_name)
    return problems


def lint_sample(sample: str, slots: Collection[str]) -> list[str]:
    """One sample of an intent whose slots are named ``slots``."""
    problems = []
    if sample != sample.strip() or not sample:
        problems.append(f"sample {sample!r}: empty, or spaces at an end")
    if re.search(r"\d", sample):
        problems.append(f"sample {sample!r}: write numbers as words (digits are not accepted)")
    for word in sample.split():
        if not _WORD.match(word) and not re.search(r"\d", word):
            problems.append(
                f"sample {sample!r}: {word!r} is not a word Alexa accepts (letters, with "
                "apostrophes, hyphens, periods in abbreviations, or a {slot})"
            )
    if sample.count("{") != sample.count("}"):
        problems.append(f"sample {sample!r}: unbalanced braces")
    for ref in _SLOT_REF.findall(sample):
        if ref not in slots:
            problems.append(f"sample {sample!r}: slot {{{ref}}} is not declared on the intent")
    refs = _SLOT_REF.findall(sample)
    if len(refs) != len(set(refs)):
        problems.append(f"sample {sample!r}: uses a slot twice")
    return problems


def lint_samples(model: Model) -> list[str]:
    """Characters, slots, and duplicates within and across intents."""
    problems = []
    owners: dict[str, list[str]] = defaultdict(list)
    for intent in _intents(model):
        name = intent.get("name", "")
        slots = {slot.get("name", "") for slot in intent.get("slots", [])}
        seen: set[str] = set()
        for sample in intent.get("samples", []):
            problems += [f"intent {name}: {p}" for p in lint_sample(sample, slots)]
            key = normalise_sample(sample)
            if key in seen:
                problems.append(f"intent {name}: sample {sample!r} appears twice")
                continue
            seen.add(key)
            owners[key].append(name)
    for key, intents in sorted(owners.items()):
        if len(intents) > 1:
            problems.append(f"sample {key!r} is in more than one intent: {', '.join(intents)}")
    return problems


def lint_slot_collisions(model: Model) -> list[str]:
    """A sample of one intent that a slot sample of another says word for word, once its
    slot is filled with a value of the slot's own type ("start set your direction" beside
    "start {program}"): as ambiguous as a duplicate. Slots of AMAZON types are not
    enumerable and are left out."""
    values: dict[str, list[str]] = {}
    for slot_type in _language(model).get("types", []):
        words: list[str] = []
        for value in slot_type.get("values", []):
            name = value.get("name", {})
            words += [name.get("value", ""), *name.get("synonyms", [])]
        values[slot_type.get("name", "")] = [normalise_sample(w) for w in words if w]
    literal: list[tuple[str, str]] = []
    patterns: list[tuple[str, str, re.Pattern[str]]] = []
    for intent in _intents(model):
        name = intent.get("name", "")
        types = {slot.get("name", ""): slot.get("type", "") for slot in intent.get("slots", [])}
        for sample in intent.get("samples", []):
            key = normalise_sample(sample)
            refs = _SLOT_REF.findall(key)
            if not refs:
                literal.append((name, key))
                continue
            if any(types.get(ref, "") not in values for ref in refs):
                continue
            regex = re.escape(key)
            for ref in refs:
                options = "|".join(map(re.escape, values[types[ref]]))
                regex = regex.replace(re.escape(f"{{{ref}}}"), f"(?:{options})", 1)
            patterns.append((name, sample, re.compile(f"^{regex}$")))
    problems = []
    for owner, key in literal:
        for name, sample, pattern in patterns:
            if name != owner and pattern.match(key):
                problems.append(f"sample {key!r} of {owner} is also said by {name}'s {sample!r}")
    return problems


def lint_built_ins(model: Model, required: Iterable[str] = REQUIRED_BUILT_INS) -> list[str]:
    names = {intent.get("name") for intent in _intents(model)}
    return [f"required built-in intent {name} is missing" for name in required if name not in names]


def lint_slot_types(model: Model) -> list[str]:
    """Every slot's type exists; every custom type is used; no word means two values."""
    problems = []
    types = {t.get("name", ""): t for t in _language(model).get("types", [])}
    used: set[str] = set()
    for intent in _intents(model):
        for slot in intent.get("slots", []):
            slot_type = slot.get("type", "")
            used.add(slot_type)
            if slot_type not in types and not _BUILT_IN_TYPE.match(slot_type):
                problems.append(
                    f"intent {intent.get('name')}: slot {slot.get('name')!r} has type "
                    f"{slot_type!r}, which is neither defined nor AMAZON.*"
                )
    for type_name, slot_type in types.items():
        if type_name not in used:
            problems.append(f"slot type {type_name!r} is defined but no slot uses it")
        values = slot_type.get("values", [])
        if not values:
            problems.append(f"slot type {type_name!r} has no values")
        ids: set[str] = set()
        meaning: dict[str, str] = {}
        for value in values:
            value_id = value.get("id")
            name = value.get("name", {})
            word = name.get("value", "")
            if value_id is not None:
                if value_id in ids:
                    problems.append(f"slot type {type_name!r}: value id {value_id!r} used twice")
                ids.add(value_id)
            for spoken in (word, *name.get("synonyms", [])):
                key = normalise_sample(spoken)
                if not key:
                    problems.append(f"slot type {type_name!r}: an empty value or synonym")
                    continue
                if key in meaning:
                    problems.append(
                        f"slot type {type_name!r}: {spoken!r} is listed for both "
                        f"{meaning[key]!r} and {word!r}"
                    )
                meaning[key] = word
    return problems


def lint_main_intent(
    model: Model, intent: str = MAIN_INTENT, minimum: int = MIN_MAIN_SAMPLES
) -> list[str]:
    for each in _intents(model):
        if each.get("name") == intent:
            count = len(each.get("samples", []))
            if count < minimum:
                return [f"main intent {intent} has {count} samples; it needs at least {minimum}"]
            return []
    return [f"main intent {intent} is missing"]


def lint_model(model: Model) -> list[str]:
    """Every check that looks at one model on its own."""
    name = _language(model).get("invocationName", "")
    return (
        lint_invocation_name(name)
        + lint_names(model)
        + lint_samples(model)
        + lint_slot_collisions(model)
        + lint_built_ins(model)
        + lint_slot_types(model)
        + lint_main_intent(model)
    )


def _shape(model: Model) -> dict[str, tuple[tuple[str, str], ...]]:
    """Each intent's slots (name and type): what the code relies on in every locale."""
    return {
        intent.get("name", ""): tuple(
            sorted((slot.get("name", ""), slot.get("type", "")) for slot in intent.get("slots", []))
        )
        for intent in _intents(model)
    }


def lint_locales(models: Mapping[str, Model], base: str = "en-US") -> list[str]:
    """The same invocation name, intents and slots in every locale's model as in ``base``
    (or, without it, the first locale in alphabetical order)."""
    if not models:
        return ["no models"]
    problems = []
    first = base if base in models else min(models)
    others = sorted(locale for locale in models if locale != first)
    base_shape = _shape(models[first])
    base_name = _language(models[first]).get("invocationName")
    for locale in others:
        shape = _shape(models[locale])
        for intent in sorted(base_shape.keys() - shape.keys()):
            problems.append(f"{locale}: intent {intent} is missing (it is in {first})")
        for intent in sorted(shape.keys() - base_shape.keys()):
            problems.append(f"{locale}: intent {intent} is not in {first}")
        for intent in sorted(base_shape.keys() & shape.keys()):
            if base_shape[intent] != shape[intent]:
                problems.append(
                    f"{locale}: intent {intent} has slots {list(shape[intent])}, "
                    f"but {first} has {list(base_shape[intent])}"
                )
        name = _language(models[locale]).get("invocationName")
        if name != base_name:
            problems.append(f"{locale}: invocation name {name!r}, but {first} has {base_name!r}")
    return problems


def lint_against_code(
    model: Model, handled: Collection[str], custom_intents: Collection[str]
) -> list[str]:
    """Every custom intent the code serves is in the model; every model intent is handled."""
    names = {intent.get("name") for intent in _intents(model)}
    problems = [
        f"intent {name} is served by the code but missing from the model"
        for name in sorted(custom_intents)
        if name not in names
    ]
    problems += [
        f"intent {name} is in the model but the code does not handle it"
        for name in sorted(n for n in names if isinstance(n, str))
        if name not in handled
    ]
    return problems


def lint_all(models: Mapping[str, Model]) -> list[str]:
    """All checks over all locales, each problem prefixed by its locale."""
    from skill.service.intents import CUSTOM_INTENTS, INTENT_ACTIONS

    problems = []
    for locale, model in sorted(models.items()):
        problems += [f"{locale}: {p}" for p in lint_model(model)]
        problems += [
            f"{locale}: {p}" for p in lint_against_code(model, INTENT_ACTIONS, CUSTOM_INTENTS)
        ]
    return problems + lint_locales(models)
