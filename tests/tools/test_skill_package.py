"""The ASK CLI skill package under infra/ is generated from interaction_model/, is up to date,
and says what the skill is and where it runs. Nothing here calls Amazon."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from skill.__main__ import main as cli
from skill.tools import locales, skill_package
from skill.tools.model_lint import normalise_sample
from skill.understanding.resolver import Resolver

ROOT = Path(__file__).resolve().parents[2]
INFRA = ROOT / "infra"

# The skill categories of the manifest schema (Skill Manifest Schemas, "category" enum).
CATEGORIES = frozenset(
    [
        "ALARMS_AND_CLOCKS",
        "ASTROLOGY",
        "BUSINESS_AND_FINANCE",
        "CALCULATORS",
        "CALENDARS_AND_REMINDERS",
        "CHILDRENS_EDUCATION_AND_REFERENCE",
        "CHILDRENS_GAMES",
        "CHILDRENS_MUSIC_AND_AUDIO",
        "CHILDRENS_NOVELTY_AND_HUMOR",
        "COMMUNICATION",
        "CONNECTED_CAR",
        "COOKING_AND_RECIPE",
        "CURRENCY_GUIDES_AND_CONVERTERS",
        "DATING",
        "DELIVERY_AND_TAKEOUT",
        "DEVICE_TRACKING",
        "EDUCATION_AND_REFERENCE",
        "EVENT_FINDERS",
        "EXERCISE_AND_WORKOUT",
        "FASHION_AND_STYLE",
        "FLIGHT_FINDERS",
        "FRIENDS_AND_FAMILY",
        "GAME_INFO_AND_ACCESSORY",
        "GAMES",
        "HEALTH_AND_FITNESS",
        "HOTEL_FINDERS",
        "KNOWLEDGE_AND_TRIVIA",
        "MOVIE_AND_TV_KNOWLEDGE_AND_TRIVIA",
        "MOVIE_INFO_AND_REVIEWS",
        "MOVIE_SHOWTIMES",
        "MUSIC_AND_AUDIO_ACCESSORIES",
        "MUSIC_AND_AUDIO_KNOWLEDGE_AND_TRIVIA",
        "MUSIC_INFO_REVIEWS_AND_RECOGNITION_SERVICE",
        "NAVIGATION_AND_TRIP_PLANNER",
        "NEWS",
        "NOVELTY",
        "ORGANIZERS_AND_ASSISTANTS",
        "PETS_AND_ANIMAL",
        "PODCAST",
        "PUBLIC_TRANSPORTATION",
        "RELIGION_AND_SPIRITUALITY",
        "RESTAURANT_BOOKING_INFO_AND_REVIEW",
        "SCHOOLS",
        "SCORE_KEEPING",
        "SELF_IMPROVEMENT",
        "SHOPPING",
        "SMART_HOME",
        "SOCIAL_NETWORKING",
        "SPORTS_GAMES",
        "SPORTS_NEWS",
        "STREAMING_SERVICE",
        "TAXI_AND_RIDESHARING",
        "TO_DO_LISTS_AND_NOTES",
        "TRANSLATORS",
        "TV_GUIDES",
        "UNIT_CONVERTERS",
        "WEATHER",
        "WINE_AND_BEVERAGE",
        "ZIP_CODE_LOOKUP",
    ]
)
REAL_ARN = "arn:aws:lambda:eu-west-1:210987654321:function:ally-coach-skill:live"


def _read(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    data: dict[str, Any] = _read(INFRA / "skill-package" / "skill.json")["manifest"]
    return data


@pytest.fixture(scope="module")
def models() -> dict[str, dict[str, Any]]:
    return {
        locale: _read(INFRA / "skill-package" / "interactionModels" / "custom" / f"{locale}.json")
        for locale in locales.LOCALES
    }


# Up to date


def test_package_is_up_to_date() -> None:
    problems = skill_package.check()
    assert problems == [], "run: python -m skill package"
    assert cli(["package", "--check"]) == 0


def test_models_in_the_package_are_the_models(models: dict[str, dict[str, Any]]) -> None:
    folder = INFRA / "skill-package" / "interactionModels" / "custom"
    assert sorted(p.stem for p in folder.glob("*.json")) == sorted(locales.LOCALES)
    for locale in locales.LOCALES:
        assert (folder / f"{locale}.json").read_bytes() == (
            ROOT / "interaction_model" / f"{locale}.json"
        ).read_bytes()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of what the package is made from and of the package itself."""
    shutil.copytree(ROOT / "interaction_model", tmp_path / "interaction_model")
    shutil.copytree(INFRA / "skill-package", tmp_path / "infra" / "skill-package")
    shutil.copy(INFRA / "ask-resources.json", tmp_path / "infra" / "ask-resources.json")
    return tmp_path


def test_check_fails_when_the_model_changes(project: Path) -> None:
    assert skill_package.check(project) == []
    source = project / "interaction_model" / "en-US.json"
    model = _read(source)
    intents = model["interactionModel"]["languageModel"]["intents"]
    intents[0]["samples"].append("help me help my partner")
    source.write_text(locales.dumps(model), encoding="utf-8")

    problems = skill_package.check(project)
    assert any("en-GB.json is out of date" in p for p in problems), problems

    changed = skill_package.write(project)
    assert Path("interaction_model/en-GB.json") in changed
    assert Path("infra/skill-package/interactionModels/custom/en-US.json") in changed
    assert skill_package.check(project) == []
    copied = project / "infra" / "skill-package" / "interactionModels" / "custom" / "en-IN.json"
    assert "help me help my partner" in copied.read_text(encoding="utf-8")


def test_check_reports_edits_missing_files_and_stray_locales(project: Path) -> None:
    package = project / "infra" / "skill-package"
    (package / "skill.json").write_text("{}\n", encoding="utf-8")
    (package / "interactionModels" / "custom" / "en-AU.json").unlink()
    (package / "interactionModels" / "custom" / "fr-FR.json").write_text("{}", encoding="utf-8")
    problems = skill_package.check(project)
    assert "infra/skill-package/skill.json is out of date" in problems
    assert "infra/skill-package/interactionModels/custom/en-AU.json is missing" in problems
    assert (
        "infra/skill-package/interactionModels/custom/fr-FR.json is not a locale of the skill"
        in problems
    )
    skill_package.write(project)
    assert skill_package.check(project) == []
    assert not (package / "interactionModels" / "custom" / "fr-FR.json").exists()


def test_endpoint_is_written_at_deploy_time_only(project: Path) -> None:
    skill_package.write(project, endpoint=REAL_ARN)
    written = _read(project / "infra" / "skill-package" / "skill.json")["manifest"]
    assert written["apis"]["custom"]["endpoint"] == {"uri": REAL_ARN}
    assert written["events"]["endpoint"] == {"uri": REAL_ARN}
    assert skill_package.check(project) == ["infra/skill-package/skill.json is out of date"]
    assert skill_package.check(project, endpoint=REAL_ARN) == []
    skill_package.write(project)
    assert skill_package.check(project) == []


def test_main_writes_and_checks(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(skill_package, "ROOT", project)
    (project / "infra" / "ask-resources.json").unlink()
    assert skill_package.main(["--check"]) == 1
    assert "infra/ask-resources.json is missing" in capsys.readouterr().err
    assert skill_package.main([]) == 0
    assert skill_package.main(["--check"]) == 0
    said = capsys.readouterr().out
    # It says what it checked, not only that it is happy.
    assert "derived from en-US" in said
    assert "infra/skill-package/skill.json is up to date" in said
    assert "infra/skill-package/interactionModels/custom/en-IN.json is up to date" in said


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        (REAL_ARN, {"uri": REAL_ARN}),
        (
            "arn:aws:lambda:us-east-1:123456789012:function:ally-coach-skill",
            {"uri": "arn:aws:lambda:us-east-1:123456789012:function:ally-coach-skill"},
        ),
        (
            "https://coach.example.org/alexa",
            {"uri": "https://coach.example.org/alexa", "sslCertificateType": "Trusted"},
        ),
        ("none", None),
    ],
)
def test_endpoint_forms(endpoint: str, expected: dict[str, str] | None) -> None:
    assert skill_package.endpoint_object(endpoint) == expected


@pytest.mark.parametrize(
    "endpoint", ["http://coach.example.org/alexa", "arn:aws:lambda:us-east-1:1:function:x", ""]
)
def test_bad_endpoints_are_refused(endpoint: str) -> None:
    with pytest.raises(ValueError):
        skill_package.endpoint_object(endpoint)
    with pytest.raises(SystemExit) as exit_info:
        skill_package.main(["--check", "--endpoint", endpoint])
    assert exit_info.value.code == 2


def test_without_an_endpoint_there_are_no_events() -> None:
    data = skill_package.manifest("none")["manifest"]
    assert "endpoint" not in data["apis"]["custom"]
    assert "events" not in data


# What the manifest says


def test_ask_resources() -> None:
    resources = _read(INFRA / "ask-resources.json")
    assert resources["askcliResourcesVersion"] == "2020-03-31"
    src = resources["profiles"]["default"]["skillMetadata"]["src"]
    assert src == "./skill-package"
    assert (INFRA / src / "skill.json").is_file()


def test_manifest_basics(manifest: dict[str, Any]) -> None:
    assert manifest["manifestVersion"] == "1.0"
    publishing = manifest["publishingInformation"]
    assert sorted(publishing["locales"]) == sorted(locales.LOCALES)
    assert publishing["category"] in CATEGORIES
    assert publishing["isAvailableWorldwide"] is False
    assert publishing["distributionCountries"] == ["US", "GB", "CA", "AU", "IN"]
    assert {locale.split("-")[1] for locale in locales.LOCALES} == set(
        publishing["distributionCountries"]
    )
    assert publishing["testingInstructions"]


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_locale_listing(manifest: dict[str, Any], locale: str) -> None:
    listing = manifest["publishingInformation"]["locales"][locale]
    assert listing["name"] == "Ally Coach"
    assert 0 < len(listing["summary"]) <= 160
    description = listing["description"]
    assert len(description) <= 4000
    assert "coaching, not therapy" in description
    assert "not a substitute for professional therapy" in description
    assert "medical advice" in description
    counselling = "counseling" if locale == "en-US" else "counselling"
    assert counselling in description
    assert counselling in listing["keywords"]
    assert 0 < len(listing["keywords"]) <= 30


@pytest.mark.parametrize(
    ("locale", "emergency"),
    [("en-US", "911"), ("en-GB", "999"), ("en-CA", "911"), ("en-AU", "000"), ("en-IN", "112")],
)
def test_description_gives_the_local_emergency_number(
    manifest: dict[str, Any], locale: str, emergency: str
) -> None:
    description = manifest["publishingInformation"]["locales"][locale]["description"]
    assert f"If you are ever in danger, call {emergency}" in description.replace(
        "Triple Zero (", ""
    )


@pytest.mark.parametrize("locale", locales.LOCALES)
def test_example_phrases_resolve(
    manifest: dict[str, Any], models: dict[str, dict[str, Any]], locale: str
) -> None:
    phrases = manifest["publishingInformation"]["locales"][locale]["examplePhrases"]
    assert 1 <= len(phrases) <= 3
    assert phrases[0] == "Alexa, open ally coach"
    model = models[locale]
    language = model["interactionModel"]["languageModel"]
    samples = {normalise_sample(s) for i in language["intents"] for s in i.get("samples", [])}
    resolver = Resolver(model)
    for phrase in phrases:
        assert phrase.startswith("Alexa, ")
        words = phrase.removeprefix("Alexa, ")
        resolution = resolver.resolve(words)
        assert resolution.launch, phrase
        request = words.split(language["invocationName"], 1)[1].strip().removeprefix("to ")
        if request:
            assert resolution.intent not in (None, "AMAZON.FallbackIntent"), phrase
            # Certification wants example phrases taken from the sample utterances.
            assert normalise_sample(request) in samples, phrase


def test_privacy_and_compliance(manifest: dict[str, Any]) -> None:
    privacy = manifest["privacyAndCompliance"]
    assert privacy["isChildDirected"] is False
    assert privacy["containsAds"] is False
    assert privacy["isExportCompliant"] is True
    assert privacy["allowsPurchases"] is False
    assert isinstance(privacy["usesPersonalInfo"], bool)
    assert sorted(privacy["locales"]) == sorted(locales.LOCALES)
    for urls in privacy["locales"].values():
        assert urls["privacyPolicyUrl"].startswith("https://")
        assert urls["termsOfUseUrl"].startswith("https://")


def test_endpoint_and_events(manifest: dict[str, Any]) -> None:
    endpoint = manifest["apis"]["custom"]["endpoint"]
    assert endpoint == {"uri": skill_package.PLACEHOLDER_ENDPOINT}
    assert manifest["events"]["endpoint"] == endpoint
    assert manifest["events"]["subscriptions"] == [{"eventName": "SKILL_DISABLED"}]


def test_the_skill_handles_the_event_it_subscribes_to(sqlite_store: Any) -> None:
    """Alexa sends SKILL_DISABLED as an AlexaSkillEvent.SkillDisabled request; the skill has
    a handler for it (its behaviour is tested with the stores)."""
    from skill.alexa.handlers import SkillDisabledEventHandler
    from skill.alexa.skill_builder import build_skill

    skill = build_skill(sqlite_store)
    handlers = [
        handler
        for mapping in skill.request_dispatcher.request_mappers
        for chain in mapping.request_handler_chains
        for handler in [chain.request_handler]
    ]
    assert any(isinstance(handler, SkillDisabledEventHandler) for handler in handlers)


def test_name_free_interaction_is_declared_and_handled(
    manifest: dict[str, Any], sqlite_store: Any
) -> None:
    """The manifest declares CanFulfillIntentRequest, so Alexa may route requests that do
    not name the skill to it; the skill answers them (tests/alexa/test_canfulfill.py)."""
    import json as json_module

    from skill.alexa.skill_builder import build_skill
    from skill.lambda_function import invoke

    interfaces = manifest["apis"]["custom"]["interfaces"]
    assert {"type": "CAN_FULFILL_INTENT_REQUEST"} in interfaces
    # APL for Audio needs no interface in the manifest (Amazon: "The APL interface isn't
    # required for APL for audio"); the screens' one would ask for viewports the skill lacks.
    assert not any(i["type"].startswith("ALEXA_PRESENTATION") for i in interfaces)
    event = json_module.loads(
        (ROOT / "tests/fixtures/real/jovo-v3/CanFulfillIntentRequest.json").read_bytes()
    )
    event["request"]["intent"] = {"name": "SetDirectionIntent", "slots": {}}
    response = invoke(build_skill(sqlite_store), event)["response"]
    assert response == {"canFulfillIntent": {"canFulfill": "YES", "slots": {}}}


def test_docs_explain_deploying_and_the_endpoint() -> None:
    text = (ROOT / "infra" / "README.md").read_text(encoding="utf-8")
    for needle in (
        "python -m skill package",
        "--check",
        "--endpoint",
        "ask deploy",
        "ask smapi",
        "SkillEndpointArn",
        skill_package.PLACEHOLDER_ENDPOINT,
    ):
        assert needle in text, needle
