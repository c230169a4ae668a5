"""The English interaction models other than en-US, derived from ``interaction_model/en-US.json``.

en-US.json is the one model people edit. The other English locales differ from it only in
spelling (counselling, programme), in a few local words for a partner or for counselling,
and in a few samples that use the local spelling; everything else (intents, slots, slot
value ids, the invocation name) stays the same, so the code serves every locale alike.
Deriving them keeps that true: ``python -m skill.tools.locales`` rewrites the files, and
``--check`` (run by the tests and by ``python -m skill package --check``) fails when a
committed file is not what en-US.json now gives.
"""

from __future__ import annotations

import argparse
import copy
import json
import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from skill.paths import MODEL_DIR

SOURCE_LOCALE = "en-US"
MAIN_INTENT = "MotivatePartnerIntent"


@dataclass(frozen=True)
class LocaleRules:
    """How one locale's model differs from en-US."""

    # American spelling -> local spelling, whole words, in samples and slot values.
    spellings: Mapping[str, str] = field(default_factory=dict)
    # slot type -> slot value id -> words people there also say for it.
    synonyms: Mapping[str, Mapping[str, tuple[str, ...]]] = field(default_factory=dict)
    # intent -> samples only this locale has (written in its spelling).
    samples: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# British, Canadian, Australian and Indian English all double the l.
_COUNSELLING = {
    "counseling": "counselling",
    "counselor": "counsellor",
    "counselors": "counsellors",
}
# "Programme" for a plan of activities is British and Indian usage; Canada and Australia
# write "program".
_PROGRAMME = {"program": "programme", "programs": "programmes"}

# Spoken the same everywhere the l is doubled; a literal sample helps Alexa weigh the word.
_COUNSELLING_SAMPLES = (
    "my {partner} won't go to counselling",
    "how do I get my {partner} to try counselling",
)

RULES: dict[str, LocaleRules] = {
    "en-GB": LocaleRules(
        spellings={**_COUNSELLING, **_PROGRAMME},
        synonyms={
            "PartnerType": {
                "partner": ("better half",),
                "boyfriend": ("fella", "bloke"),
                "wife": ("wifey",),
            },
            # Relate is the UK's best-known relationship counselling charity: "we went to
            # Relate" is how many couples there say it.
            "SupportType": {"counseling": ("relate", "relationship counselling")},
        },
        samples={MAIN_INTENT: _COUNSELLING_SAMPLES},
    ),
    "en-CA": LocaleRules(
        spellings=_COUNSELLING,
        synonyms={
            "PartnerType": {"partner": ("better half", "common law partner")},
            "SupportType": {"counseling": ("relationship counselling",)},
        },
        samples={MAIN_INTENT: _COUNSELLING_SAMPLES},
    ),
    "en-AU": LocaleRules(
        spellings=_COUNSELLING,
        synonyms={
            "PartnerType": {
                "partner": ("better half", "de facto"),
                "boyfriend": ("fella", "bloke"),
                "wife": ("wifey",),
            },
            "SupportType": {"counseling": ("relationship counselling",)},
        },
        samples={MAIN_INTENT: _COUNSELLING_SAMPLES},
    ),
    "en-IN": LocaleRules(
        spellings={**_COUNSELLING, **_PROGRAMME},
        synonyms={
            "PartnerType": {
                "partner": ("better half", "life partner"),
                "wife": ("wifey",),
            },
            "SupportType": {"counseling": ("relationship counselling",)},
        },
        samples={MAIN_INTENT: _COUNSELLING_SAMPLES},
    ),
}

LOCALES: tuple[str, ...] = (SOURCE_LOCALE, *RULES)


def _respell(text: str, spellings: Mapping[str, str]) -> str:
    if not spellings:
        return text
    # Not inside {braces}: "{program}" names a slot, whatever the locale spells.
    words = "|".join(map(re.escape, spellings))
    pattern = re.compile(r"(?<!\{)\b(" + words + r")\b(?!\})", re.IGNORECASE)

    def local(match: re.Match[str]) -> str:
        word = spellings[match.group(0).lower()]
        return word.capitalize() if match.group(0)[0].isupper() else word

    return pattern.sub(local, text)


def respell(text: str, locale: str) -> str:
    """``text`` (written in American spelling) in the spelling of ``locale``."""
    rules = RULES.get(locale)
    return _respell(text, rules.spellings) if rules else text


def _unique(words: list[str]) -> list[str]:
    """Words in order without repeats (respelling can make two synonyms one)."""
    return list(dict.fromkeys(words))


def derive(source: Mapping[str, Any], locale: str) -> dict[str, Any]:
    """The model for ``locale``, made from the en-US model ``source``."""
    if locale == SOURCE_LOCALE:
        return copy.deepcopy(dict(source))
    rules = RULES[locale]
    model: dict[str, Any] = copy.deepcopy(dict(source))
    language = model["interactionModel"]["languageModel"]
    for intent in language["intents"]:
        samples = [_respell(s, rules.spellings) for s in intent.get("samples", [])]
        for extra in rules.samples.get(intent["name"], ()):
            if extra in samples:
                raise ValueError(f"{locale}: {intent['name']} already has sample {extra!r}")
            samples.append(extra)
        if "samples" in intent:
            intent["samples"] = _unique(samples)
    known_types = {t["name"] for t in language.get("types", [])}
    for type_name in rules.synonyms:
        if type_name not in known_types:
            raise ValueError(f"{locale}: no slot type {type_name!r} in {SOURCE_LOCALE}")
    for slot_type in language.get("types", []):
        extras = rules.synonyms.get(slot_type["name"], {})
        ids = {v.get("id") for v in slot_type["values"]}
        for value_id in extras:
            if value_id not in ids:
                raise ValueError(f"{locale}: {slot_type['name']} has no value id {value_id!r}")
        for value in slot_type["values"]:
            name = value["name"]
            name["value"] = _respell(name["value"], rules.spellings)
            synonyms = [_respell(s, rules.spellings) for s in name.get("synonyms", [])]
            synonyms += list(extras.get(value.get("id", ""), ()))
            synonyms = [s for s in _unique(synonyms) if s != name["value"]]
            if synonyms or "synonyms" in name:
                name["synonyms"] = synonyms
    return model


def dumps(model: Mapping[str, Any]) -> str:
    """The file text: the same layout as en-US.json (two-space indent, final newline)."""
    return json.dumps(model, indent=2, ensure_ascii=False) + "\n"


def load_source(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        (model_dir / f"{SOURCE_LOCALE}.json").read_text(encoding="utf-8")
    )
    return data


def expected_files(model_dir: Path = MODEL_DIR) -> dict[Path, str]:
    """Each derived locale's file and the text it should have."""
    source = load_source(model_dir)
    return {model_dir / f"{locale}.json": dumps(derive(source, locale)) for locale in RULES}


def stale_files(model_dir: Path = MODEL_DIR) -> list[Path]:
    """Derived model files that are missing or differ from what en-US.json gives."""
    return [
        path
        for path, text in expected_files(model_dir).items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def write_all(model_dir: Path = MODEL_DIR) -> list[Path]:
    """Rewrite the derived files that changed; returns those written."""
    written = []
    for path, text in expected_files(model_dir).items():
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
            written.append(path)
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m skill.tools.locales",
        description="Derive the en-GB, en-CA, en-AU and en-IN models from en-US.json.",
    )
    parser.add_argument(
        "--check", action="store_true", help="change nothing; exit 1 if a file is out of date"
    )
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    if args.check:
        stale = stale_files()
        for path in stale:
            print(f"out of date: {path.name} (run python -m skill.tools.locales)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_all():
        print(f"wrote {path.name}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
