"""The interaction models pass skill.tools.model_lint, and the lint catches what it should."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from skill.service.intents import CUSTOM_INTENTS, INTENT_ACTIONS
from skill.tools import model_lint
from skill.tools.locales import LOCALES

MODEL_DIR = Path(__file__).resolve().parents[2] / "interaction_model"


def _load(locale: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((MODEL_DIR / f"{locale}.json").read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return {locale: _load(locale) for locale in LOCALES}


def test_every_locale_has_a_model_and_no_other_model_exists() -> None:
    assert sorted(p.stem for p in MODEL_DIR.glob("*.json")) == sorted(LOCALES)


@pytest.mark.parametrize("locale", LOCALES)
def test_model_passes_the_lint(models: dict[str, dict[str, Any]], locale: str) -> None:
    assert model_lint.lint_model(models[locale]) == []


@pytest.mark.parametrize("locale", LOCALES)
def test_model_and_code_agree(models: dict[str, dict[str, Any]], locale: str) -> None:
    assert model_lint.lint_against_code(models[locale], INTENT_ACTIONS, CUSTOM_INTENTS) == []


def test_locales_have_the_same_intents_slots_and_invocation_name(
    models: dict[str, dict[str, Any]],
) -> None:
    assert model_lint.lint_locales(models) == []


def test_lint_all_is_clean(models: dict[str, dict[str, Any]]) -> None:
    assert model_lint.lint_all(models) == []


# The lint itself: each rule reports what it should, on a small model.


def _model(**language: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "invocationName": "ally coach",
        "intents": [{"name": name, "samples": []} for name in model_lint.REQUIRED_BUILT_INS]
        + [
            {
                "name": "MotivatePartnerIntent",
                "slots": [{"name": "partner", "type": "PartnerType"}],
                "samples": [f"help me {'very ' * n}much" for n in range(30)]
                + ["help me talk to my {partner}"],
            }
        ],
        "types": [
            {
                "name": "PartnerType",
                "values": [{"id": "wife", "name": {"value": "wife", "synonyms": ["missus"]}}],
            }
        ],
    }
    base.update(language)
    return {"interactionModel": {"languageModel": base}}


def _intents(model: dict[str, Any]) -> list[dict[str, Any]]:
    intents: list[dict[str, Any]] = model["interactionModel"]["languageModel"]["intents"]
    return intents


def _intent(model: dict[str, Any], name: str) -> dict[str, Any]:
    return next(i for i in _intents(model) if i["name"] == name)


def test_the_small_model_is_clean() -> None:
    assert model_lint.lint_model(_model()) == []


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("coach", "at least two words"),
        ("Ally Coach", "lower-case"),
        ("ally coach two", None),
        ("ally coach 2", "lower-case"),
        ("ally-coach helper", "lower-case"),
        ("ally  coach", "single spaces"),
        ("the coach", "article or preposition"),
        ("coach and couples", "connecting word 'and'"),
        ("coach for couples", None),
        ("open ally coach", "launch word 'open'"),
        ("ally coach start", "launch word 'start'"),
        ("ask the coach", "launch word 'ask'"),
        ("talk to coach", "launch phrase 'talk to'"),
        ("alexa couples coach", "wake word 'alexa'"),
        ("couples coach skill", "wake word 'skill'"),
        ("ally coach app", "wake word 'app'"),
        ("echo love coach", "wake word 'echo'"),
        ("molly's coach", None),
        ("a. b. c. coach", None),
    ],
)
def test_invocation_name_rules(name: str, complaint: str | None) -> None:
    problems = model_lint.lint_invocation_name(name)
    if complaint is None:
        assert problems == []
    else:
        assert any(complaint in p for p in problems), problems


@pytest.mark.parametrize(
    ("sample", "complaint"),
    [
        ("tip 3", "numbers as words"),
        ("go to the 3rd tip", "numbers as words"),
        ("what now?", "not a word"),
        ("hello, coach", "not a word"),
        ("stop.", "not a word"),
        ("help me talk to my {partner}", None),
        ("my {partner}'s mood", None),
        ("I'm afraid", None),
        ("my parents' house", None),
        ("watch t. v. with my {partner}", None),
        ("a well-known tip", None),
        ("help my {lover}", "{lover} is not declared"),
        ("help {partner", "unbalanced"),
        ("my {partner} and my {partner}", "uses a slot twice"),
        (" leading space", "spaces at an end"),
    ],
)
def test_sample_rules(sample: str, complaint: str | None) -> None:
    problems = model_lint.lint_sample(sample, {"partner"})
    if complaint is None:
        assert problems == []
    else:
        assert any(complaint in p for p in problems), problems


def test_a_sample_in_two_intents_is_reported_whatever_its_case_and_spacing() -> None:
    model = _model()
    _intent(model, "AMAZON.HelpIntent")["samples"] = ["Help  me talk to my {partner}"]
    _intent(model, "AMAZON.HelpIntent")["slots"] = [{"name": "partner", "type": "PartnerType"}]
    problems = model_lint.lint_samples(model)
    assert any("more than one intent" in p and "AMAZON.HelpIntent" in p for p in problems)


def test_a_sample_twice_in_one_intent_is_reported() -> None:
    model = _model()
    _intent(model, "AMAZON.StopIntent")["samples"] = ["goodbye", "Goodbye"]
    assert any("appears twice" in p for p in model_lint.lint_samples(model))


def test_missing_built_ins_are_reported() -> None:
    model = _model()
    language = model["interactionModel"]["languageModel"]
    language["intents"] = [i for i in _intents(model) if i["name"] != "AMAZON.PauseIntent"]
    assert model_lint.lint_built_ins(model) == [
        "required built-in intent AMAZON.PauseIntent is missing"
    ]


@pytest.mark.parametrize(
    ("name", "complaint"),
    [
        ("Motivate2Intent", "only letters and _"),
        ("Motivate Intent", "only letters and _"),
        ("AMAZON.Help-Intent", "not a valid built-in"),
    ],
)
def test_intent_names(name: str, complaint: str) -> None:
    model = _model()
    _intents(model).append({"name": name, "samples": []})
    assert any(complaint in p for p in model_lint.lint_names(model))


def test_slot_names_and_duplicates() -> None:
    model = _model()
    intent = _intent(model, "MotivatePartnerIntent")
    intent["slots"] += [
        {"name": "partner", "type": "PartnerType"},
        {"name": "partner_2", "type": "AMAZON.NUMBER"},
    ]
    problems = model_lint.lint_names(model)
    assert any("'partner' defined twice" in p for p in problems)
    assert any("'partner_2': use only letters" in p for p in problems)


def test_slot_types_defined_used_and_unambiguous() -> None:
    model = _model()
    language = model["interactionModel"]["languageModel"]
    _intent(model, "MotivatePartnerIntent")["slots"].append({"name": "x", "type": "NoSuchType"})
    language["types"].append(
        {"name": "UnusedType", "values": [{"name": {"value": "thing"}}]},
    )
    language["types"][0]["values"].append(
        {"id": "partner", "name": {"value": "partner", "synonyms": ["Missus"]}}
    )
    problems = model_lint.lint_slot_types(model)
    assert any("'NoSuchType', which is neither defined nor AMAZON.*" in p for p in problems)
    assert any("'UnusedType' is defined but no slot uses it" in p for p in problems)
    assert any("'Missus' is listed for both 'wife' and 'partner'" in p for p in problems)


def test_main_intent_needs_thirty_samples() -> None:
    model = _model()
    _intent(model, "MotivatePartnerIntent")["samples"] = ["help me"] * 1
    assert model_lint.lint_main_intent(model) == [
        "main intent MotivatePartnerIntent has 1 samples; it needs at least 30"
    ]
    _intents(model).remove(_intent(model, "MotivatePartnerIntent"))
    assert model_lint.lint_main_intent(model) == ["main intent MotivatePartnerIntent is missing"]


def test_locales_must_match() -> None:
    us = _model()
    gb = copy.deepcopy(us)
    _intents(gb).remove(_intent(gb, "AMAZON.PauseIntent"))
    _intent(gb, "MotivatePartnerIntent")["slots"] = []
    gb["interactionModel"]["languageModel"]["invocationName"] = "ally helper"
    problems = model_lint.lint_locales({"en-US": us, "en-GB": gb})
    assert any(
        "en-GB: intent AMAZON.PauseIntent is missing (it is in en-US)" in p for p in problems
    )
    assert any("intent MotivatePartnerIntent has slots" in p for p in problems)
    assert any("invocation name" in p for p in problems)


def test_model_and_code_must_match() -> None:
    model = _model()
    _intents(model).append({"name": "DanceIntent", "samples": ["dance"]})
    problems = model_lint.lint_against_code(
        model, INTENT_ACTIONS, {"MotivatePartnerIntent", "SafetyIntent"}
    )
    assert "intent SafetyIntent is served by the code but missing from the model" in problems
    assert "intent DanceIntent is in the model but the code does not handle it" in problems


def test_a_slot_sample_that_says_another_intents_sample_is_caught() -> None:
    model = copy.deepcopy(_load("en-US"))
    intents = {i["name"]: i for i in model["interactionModel"]["languageModel"]["intents"]}
    intents["SetDirectionIntent"]["samples"].append("start set my direction")
    problems = model_lint.lint_slot_collisions(model)
    assert problems == [
        "sample 'start set my direction' of SetDirectionIntent is also said by "
        "StartProgramIntent's 'start {program}'"
    ]
    assert model_lint.lint_slot_collisions(_load("en-US")) == []
