"""Alexa SSML: validation (what Alexa accepts) and a plain-text rendering for the chat."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

MAX_SSML_CHARS = 8000
MAX_BREAK_MS = 10_000
MAX_AUDIO_TAGS = 5

AMAZON_NS = "http://amazon.com/ssml/2017-04"  # stand-in URI so "amazon:" tags parse

SAY_AS_INTERPRETATIONS = frozenset(
    {
        "characters",
        "spell-out",
        "cardinal",
        "number",
        "ordinal",
        "digits",
        "fraction",
        "unit",
        "date",
        "time",
        "telephone",
        "address",
        "interjection",
        "expletive",
    }
)

# Alexa's SSML tags and the attribute values each accepts (None: any value).
_ALLOWED: dict[str, dict[str, frozenset[str] | None]] = {
    "speak": {},
    "p": {},
    "s": {},
    "w": {"role": None},
    "break": {
        "time": None,
        "strength": frozenset({"none", "x-weak", "weak", "medium", "strong", "x-strong"}),
    },
    "emphasis": {"level": frozenset({"strong", "moderate", "reduced"})},
    "lang": {
        "xml:lang": frozenset(
            {
                "en-US",
                "en-GB",
                "en-IN",
                "en-AU",
                "en-CA",
                "de-DE",
                "es-ES",
                "es-MX",
                "es-US",
                "fr-CA",
                "fr-FR",
                "hi-IN",
                "it-IT",
                "ja-JP",
                "pt-BR",
            }
        )
    },
    "phoneme": {"alphabet": frozenset({"ipa", "x-sampa"}), "ph": None},
    "prosody": {"rate": None, "pitch": None, "volume": None},
    "say-as": {
        "interpret-as": SAY_AS_INTERPRETATIONS,
        "format": None,
    },
    "sub": {"alias": None},
    "voice": {"name": None},
    "audio": {"src": None},
    "mark": {"name": None},
    "amazon:effect": {"name": frozenset({"whispered"})},
    "amazon:emotion": {
        "name": frozenset({"excited", "disappointed"}),
        "intensity": frozenset({"low", "medium", "high"}),
    },
    "amazon:domain": {"name": frozenset({"conversational", "long-form", "music", "news", "fun"})},
}
_TIME = re.compile(r"^(\d+(?:\.\d+)?)(ms|s)$")


class SsmlError(ValueError):
    """Speech that Alexa would reject."""


def _wrap(ssml: str) -> str:
    body = ssml.strip()
    if not body.startswith("<speak>"):
        body = f"<speak>{body}</speak>"
    return body


def parse(ssml: str) -> ET.Element:
    """The <speak> element of Alexa SSML given with or without its <speak> wrapper."""
    doc = _wrap(ssml).replace("<speak>", f'<speak xmlns:amazon="{AMAZON_NS}">', 1)
    try:
        return ET.fromstring(doc)
    except ET.ParseError as exc:
        raise SsmlError(f"not well-formed: {exc}") from exc


def tag_name(element: ET.Element) -> str:
    """The tag as written in SSML: ``amazon:effect`` rather than its namespaced form."""
    return str(element.tag).replace(f"{{{AMAZON_NS}}}", "amazon:")


def _break_ms(value: str) -> int:
    match = _TIME.match(value)
    if not match:
        raise SsmlError(f"bad break time {value!r}")
    amount = float(match.group(1))
    return int(amount if match.group(2) == "ms" else amount * 1000)


def validate(ssml: str) -> None:
    """Raise ``SsmlError`` unless Alexa would accept this speech (with or without <speak>)."""
    wrapped = _wrap(ssml)
    if len(wrapped) > MAX_SSML_CHARS:
        raise SsmlError(f"{len(wrapped)} characters, over Alexa's {MAX_SSML_CHARS}")
    root = parse(ssml)
    audio = 0
    for element in root.iter():
        tag = tag_name(element)
        if tag not in _ALLOWED:
            raise SsmlError(f"tag <{tag}> is not Alexa SSML")
        if tag == "speak" and element is not root:
            raise SsmlError("nested <speak>")
        allowed = _ALLOWED[tag]
        for name, value in element.attrib.items():
            attr = "xml:lang" if name.endswith("}lang") else name
            if attr not in allowed:
                raise SsmlError(f"attribute {attr!r} not allowed on <{tag}>")
            values = allowed[attr]
            if values is not None and value not in values:
                raise SsmlError(f"{attr}={value!r} not allowed on <{tag}>")
        if (
            tag == "break"
            and "time" in element.attrib
            and _break_ms(element.attrib["time"]) > MAX_BREAK_MS
        ):
            raise SsmlError(f"break of {element.attrib['time']} is over 10 s")
        if tag == "audio":
            audio += 1
            if not element.attrib.get("src", "").startswith("https://"):
                raise SsmlError("audio src must be https")
    if audio > MAX_AUDIO_TAGS:
        raise SsmlError(f"{audio} audio tags, over Alexa's {MAX_AUDIO_TAGS}")


def to_text(ssml: str, show_pauses: bool = True, *, written: bool = False) -> str:
    """Plain text of what Alexa would say; pauses of a second or more shown as [pause 8s].

    ``written`` keeps what a ``<sub>`` stands for as it is written ("1800RESPECT") rather
    than as it is spoken: a person reading a number in the chat needs to be able to dial it.
    """
    root = parse(ssml)
    parts: list[str] = []

    def walk(element: ET.Element) -> None:
        tag = tag_name(element)
        if tag == "break":
            ms = _break_ms(element.attrib.get("time", "0ms")) if "time" in element.attrib else 0
            if show_pauses and ms >= 1000:
                parts.append(f" [pause {ms // 1000}s] ")
        elif tag == "sub":
            parts.append(element.text or "" if written else element.attrib.get("alias", ""))
        elif tag != "audio":
            parts.append(element.text or "")
            for child in element:
                walk(child)
        parts.append(element.tail or "")

    walk(root)
    return re.sub(r"\s+", " ", "".join(parts)).strip()
