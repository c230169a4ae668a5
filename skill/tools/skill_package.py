"""``python -m skill package``: assemble the ASK CLI skill package under ``infra/``.

``interaction_model/`` is the one source of the voice model (en-US.json by hand, the other
English locales derived from it by ``skill.tools.locales``). This command writes what the Alexa
Skills Kit CLI (v2) deploys from it:

    infra/ask-resources.json                               the ASK CLI project file
    infra/skill-package/skill.json                         the skill manifest
    infra/skill-package/interactionModels/custom/<locale>.json   copies of the models

All of it is generated and committed; ``--check`` changes nothing and exits 1 when a file is
missing or differs (a test runs it, so the package never drifts from the models).

The committed manifest names a placeholder Lambda ARN. At deploy time, ``--endpoint`` writes
the real one (the ``SkillEndpointArn`` output of infra/template.yaml); see
infra/README.md.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from skill.paths import ROOT
from skill.tools import locales

INFRA = Path("infra")
PACKAGE = INFRA / "skill-package"
MODELS = PACKAGE / "interactionModels" / "custom"
ASK_RESOURCES = INFRA / "ask-resources.json"
SKILL_JSON = PACKAGE / "skill.json"

# Replaced at deploy time by --endpoint; the shape is that of the "live" alias that
# infra/template.yaml publishes for a stack named ally-coach (SkillEndpointArn).
PLACEHOLDER_ENDPOINT = "arn:aws:lambda:us-east-1:123456789012:function:ally-coach-skill:live"
# The reserved .example domain (RFC 2606): certification needs real pages in their place.
PLACEHOLDER_PRIVACY_URL = "https://ally-coach.example/privacy"
PLACEHOLDER_TERMS_URL = "https://ally-coach.example/terms"
NO_ENDPOINT = "none"
CAN_FULFILL_INTERFACE = "CAN_FULFILL_INTENT_REQUEST"

SKILL_NAME = "Ally Coach"
INVOCATION_NAME = "ally coach"
# The skill's own category in the Alexa app; coaching someone to change their own approach
# is self-improvement (HEALTH_AND_FITNESS would suggest a health service it is not).
CATEGORY = "SELF_IMPROVEMENT"
# Where each English locale's skill is offered: the country whose Alexa store uses it.
COUNTRIES = {"en-US": "US", "en-GB": "GB", "en-CA": "CA", "en-AU": "AU", "en-IN": "IN"}
# Shown under "Try saying"; each must resolve against every locale's model (a test checks).
EXAMPLE_PHRASES = (
    "Alexa, open ally coach",
    "Alexa, ask ally coach to help me talk to my partner",
    "Alexa, ask ally coach to set my direction",
)
KEYWORDS = (
    "relationship",
    "couples",
    "partner",
    "marriage",
    "communication",
    "counseling",
    "couples therapy",
    "coaching",
    "self improvement",
)
SUMMARY = "A voice coach for when you wish your partner would work on your relationship with you."
DESCRIPTION = """\
Ally Coach is a hands-free coach for anyone who wishes their partner would work on the \
relationship with them, whether through counseling, couples therapy or an app. It walks \
you through five tips for raising it without blame, each with a short spoken practice, \
and a reflection called Set Your Direction about the partner you want to be. It remembers \
which tip you reached, so you can stop and carry on later; say "forget my progress" to \
delete what it keeps.

Ally Coach offers coaching, not therapy. It is not a substitute for professional therapy, \
counseling or medical advice, and it cannot help in an emergency. If you are ever in \
danger, call {emergency}."""
TESTING_INSTRUCTIONS = (
    "No account linking, purchases or devices are needed. Say 'Alexa, open ally coach' and "
    "answer yes to hear the five tips; say 'set my direction' for the reflection. Saying "
    "'my partner hurts me' at any point gives the safety message with local emergency and "
    "helpline numbers. 'Forget my progress' deletes what the skill stored for the user. "
    "'Remind me to practise every evening' sets a practice reminder (Alexa asks for the "
    "reminders permission by voice first); 'what reminders do I have', 'change it to nine' "
    "and 'cancel my reminder' manage it; 'how am I doing' says what was done."
)

_LAMBDA_ARN = re.compile(
    r"^arn:aws:lambda:[a-z]{2}(?:-[a-z]+)+-\d:\d{12}:function:[A-Za-z0-9_-]+(?::[A-Za-z0-9_$-]+)?$"
)


def _emergency_number(locale: str) -> str:
    """The emergency number as the locale's safety card writes it (one source of numbers)."""
    from skill.speech.templating import build_environment

    # Any: the template's macros are attributes that only exist once it is rendered.
    module: Any = build_environment().get_template(f"{locale}/_locale.ssml.j2").make_module({})
    return " ".join(str(module.emergency_card()).split())


def endpoint_object(endpoint: str) -> dict[str, str] | None:
    """The manifest's endpoint for a Lambda ARN or an HTTPS URL; None for ``none``."""
    if endpoint == NO_ENDPOINT:
        return None
    if _LAMBDA_ARN.match(endpoint):
        return {"uri": endpoint}
    if endpoint.startswith("https://"):
        # A development server (python -m skill serve) behind a certificate from a trusted
        # authority; Alexa sends requests only over HTTPS.
        return {"uri": endpoint, "sslCertificateType": "Trusted"}
    raise ValueError(f"endpoint must be a Lambda ARN, an https:// URL or 'none': {endpoint!r}")


REMINDERS_SCOPE = "alexa::alerts:reminders:skill:readwrite"


def manifest(endpoint: str = PLACEHOLDER_ENDPOINT) -> dict[str, Any]:
    """The skill manifest (skill.json) for every locale, pointing at ``endpoint``."""
    publishing: dict[str, Any] = {}
    privacy: dict[str, Any] = {}
    for locale in locales.LOCALES:
        publishing[locale] = {
            "name": SKILL_NAME,
            "summary": SUMMARY,
            "description": locales.respell(
                DESCRIPTION.format(emergency=_emergency_number(locale)), locale
            ),
            "examplePhrases": list(EXAMPLE_PHRASES),
            "keywords": [locales.respell(word, locale) for word in KEYWORDS],
        }
        privacy[locale] = {
            "privacyPolicyUrl": PLACEHOLDER_PRIVACY_URL,
            "termsOfUseUrl": PLACEHOLDER_TERMS_URL,
        }
    endpoint_value = endpoint_object(endpoint)
    # Name-free interaction: Alexa may ask the skill, with a CanFulfillIntentRequest,
    # whether it can answer a request that does not name it
    # (skill.alexa.canfulfill.CanFulfillIntentRequestHandler).
    # Practices go to devices as APL for Audio documents, which need no interface here:
    # "The APL interface is required for devices with screens and devices with character
    # displays. The APL interface isn't required for APL for audio" (Amazon, "Add APL
    # Support to Your Skill"). A device names Alexa.Presentation.APLA in its requests'
    # supportedInterfaces; skill.alexa.turns asks that of every request.
    custom: dict[str, Any] = {"interfaces": [{"type": CAN_FULFILL_INTERFACE}]}
    result: dict[str, Any] = {
        "manifest": {
            "manifestVersion": "1.0",
            "publishingInformation": {
                "locales": publishing,
                "isAvailableWorldwide": False,
                "distributionCountries": [COUNTRIES[locale] for locale in locales.LOCALES],
                "distributionMode": "PUBLIC",
                "category": CATEGORY,
                "testingInstructions": TESTING_INSTRUCTIONS,
            },
            "privacyAndCompliance": {
                "allowsPurchases": False,
                # The skill keeps only which tip a user reached, under Alexa's anonymous user
                # ID: no name, email, phone number or address. It never stores what users say.
                "usesPersonalInfo": False,
                "isChildDirected": False,
                "isExportCompliant": True,
                "containsAds": False,
                "locales": privacy,
            },
            "apis": {"custom": custom},
            # Practice reminders (skill.service.reminding): the skill may create, change
            # and delete its own reminders once the person allows it, by voice (AskFor)
            # or in the Alexa app. Certification: the reminders say only "time for your
            # Ally practice", never advertise, and are set only when asked (docs/reminders.md).
            "permissions": [{"name": REMINDERS_SCOPE}],
        }
    }
    if endpoint_value is not None:
        custom["endpoint"] = endpoint_value
        # SKILL_DISABLED lets the skill delete a user's progress when they disable it
        # (skill.alexa.handlers.SkillDisabledEventHandler). Events need an endpoint to go to.
        result["manifest"]["events"] = {
            "endpoint": dict(endpoint_value),
            "subscriptions": [{"eventName": "SKILL_DISABLED"}],
        }
    return result


def ask_resources() -> dict[str, Any]:
    """The ASK CLI v2 project file: only skill metadata; the Lambda is deployed by SAM."""
    return {
        "askcliResourcesVersion": "2020-03-31",
        "profiles": {"default": {"skillMetadata": {"src": "./skill-package"}}},
    }


def _json(data: Mapping[str, Any]) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False) + "\n"


def expected_files(root: Path = ROOT, endpoint: str = PLACEHOLDER_ENDPOINT) -> dict[Path, str]:
    """Every generated file (relative to ``root``) and its text."""
    model_dir = root / "interaction_model"
    files = {
        ASK_RESOURCES: _json(ask_resources()),
        SKILL_JSON: _json(manifest(endpoint)),
    }
    for locale in locales.LOCALES:
        files[MODELS / f"{locale}.json"] = (model_dir / f"{locale}.json").read_text(
            encoding="utf-8"
        )
    return files


def _extra_models(root: Path) -> list[Path]:
    """Model files in the package for locales the skill no longer has."""
    wanted = {f"{locale}.json" for locale in locales.LOCALES}
    folder = root / MODELS
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(root) for p in folder.glob("*.json") if p.name not in wanted)


def check(root: Path = ROOT, endpoint: str = PLACEHOLDER_ENDPOINT) -> list[str]:
    """What is out of date, as sentences; empty when everything matches."""
    problems = [
        f"{path.relative_to(root)} is out of date with interaction_model/en-US.json"
        for path in locales.stale_files(root / "interaction_model")
    ]
    if problems:
        return problems  # the package copies those files; fix them first
    for relative, text in expected_files(root, endpoint).items():
        path = root / relative
        if not path.exists():
            problems.append(f"{relative} is missing")
        elif path.read_text(encoding="utf-8") != text:
            problems.append(f"{relative} is out of date")
    problems += [f"{relative} is not a locale of the skill" for relative in _extra_models(root)]
    return problems


def write(root: Path = ROOT, endpoint: str = PLACEHOLDER_ENDPOINT) -> list[Path]:
    """Regenerate the derived models and the package; returns the files changed."""
    changed = [p.relative_to(root) for p in locales.write_all(root / "interaction_model")]
    for relative, text in expected_files(root, endpoint).items():
        path = root / relative
        if path.exists() and path.read_text(encoding="utf-8") == text:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        changed.append(relative)
    for relative in _extra_models(root):
        (root / relative).unlink()
        changed.append(relative)
    return changed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill package",
        description="Assemble the ASK CLI skill package under infra/ from interaction_model/.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="change nothing; exit 1 if a generated file is missing or out of date",
    )
    parser.add_argument(
        "--endpoint",
        default=PLACEHOLDER_ENDPOINT,
        help="the skill's endpoint: a Lambda ARN (the SkillEndpointArn stack output), an "
        "https:// URL, or 'none' to create the skill before the function exists "
        "(default: the committed placeholder ARN)",
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    try:
        endpoint_object(args.endpoint)
    except ValueError as exc:
        parser.error(str(exc))
    if args.check:
        problems = check(ROOT, endpoint=args.endpoint)
        for problem in problems:
            print(problem, file=sys.stderr)
        if problems:
            print("run: .venv/bin/python -m skill package", file=sys.stderr)
            return 1
        checked = sorted(str(path) for path in expected_files(ROOT, endpoint=args.endpoint))
        derived = ", ".join(locale for locale in locales.LOCALES if locale != locales.SOURCE_LOCALE)
        print(f"checked: the {derived} models are derived from {locales.SOURCE_LOCALE}, and")
        for name in checked:
            print(f"  {name} is up to date")
        return 0
    changed = write(ROOT, endpoint=args.endpoint)
    for path in changed:
        print(f"updated {path}")
    if not changed:
        print("skill package is up to date")
    if args.endpoint != PLACEHOLDER_ENDPOINT:
        print(
            f"{SKILL_JSON} now names {args.endpoint}; deploy it, then run "
            "`.venv/bin/python -m skill package` again before committing",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
