"""A practice as an APL for Audio document: one ``Alexa.Presentation.APLA.RenderDocument``.

The piece's timeline (``skill.speech.timeline``) becomes a ``Sequencer`` of ``Speech``
(SSML) and ``Silence`` components, so a silence can last as long as the practice needs.
A soft sound, when the person asked for one, plays under the practice from the Alexa
Skills Kit sound library: an ``Audio`` component in a ``Mixer`` beside the speech, made
quiet with a ``Volume`` filter, repeated and trimmed to the speech (``trimToParent``),
faded in and out; the closing question is said after it, in quiet.

Amazon documents the format in "APL for Audio Reference" (document, components, filters)
and "Alexa.Presentation.APLA Interface Reference"; tests/apla_rules.py checks documents
against what those pages allow. The reverse, ``read``, is how the simulator and the chat
hear a document: its speech and silences in order, and its sound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, NamedTuple

from skill.speech.ssml import SsmlError, validate
from skill.speech.timeline import MAX_PIECE_MS, Segment, joined, length_ms, segments

INTERFACE = "Alexa.Presentation.APLA"
RENDER_DOCUMENT = "Alexa.Presentation.APLA.RenderDocument"
VERSION = "0.91"
TOKEN = "practice"
FADE_MS = 3000
# Sound library clips last a few seconds; a repeat count for the shortest keeps the sound
# going under any piece, and trimToParent ends it with the speech.
SHORTEST_CLIP_MS = 2000
MAX_REPEATS = 120


def _component(part: Segment) -> dict[str, Any]:
    if part.silent:
        return {"type": "Silence", "duration": part.ms}
    return {"type": "Speech", "contentType": "SSML", "content": f"<speak>{part.ssml}</speak>"}


def _under(body: list[Segment], source: str, volume: str) -> dict[str, Any]:
    """The body of the piece with a quiet sound mixed under it."""
    repeats = min(max(math.ceil(length_ms(body) / SHORTEST_CLIP_MS), 1), MAX_REPEATS)
    sound = {
        "type": "Audio",
        "source": source,
        "duration": "trimToParent",
        "filters": [
            {"type": "Repeat", "repeatCount": repeats},
            {"type": "Volume", "amount": volume},
            {"type": "FadeIn", "duration": FADE_MS},
        ],
    }
    speech = {"type": "Sequencer", "items": [_component(part) for part in body]}
    return {
        "type": "Mixer",
        "items": [speech, sound],
        "filters": [{"type": "FadeOut", "duration": FADE_MS}],
    }


def document(timeline: str, source: str | None = None, volume: str = "20%") -> dict[str, Any]:
    """The APLA document that plays ``timeline`` (SSML whose breaks are its silences),
    with the sound at ``source`` under it when there is one."""
    parts = segments(timeline)
    items: list[dict[str, Any]]
    last_silence = max((i for i, part in enumerate(parts) if part.silent), default=-1)
    if source and last_silence >= 0:
        body, ending = parts[: last_silence + 1], parts[last_silence + 1 :]
        items = [_under(body, source, volume), *(_component(part) for part in ending)]
    else:
        items = [_component(part) for part in parts]
    return {
        "type": "APLA",
        "version": VERSION,
        "description": "A practice of Ally Coach, as one continuous piece.",
        "mainTemplate": {
            "parameters": ["payload"],
            "item": {"type": "Sequencer", "items": items},
        },
    }


def directive(timeline: str, source: str | None = None, volume: str = "20%") -> dict[str, Any]:
    """The RenderDocument directive that plays the piece."""
    return {
        "type": RENDER_DOCUMENT,
        "token": TOKEN,
        "document": document(timeline, source, volume),
        "datasources": {"payload": {}},
    }


class Heard(NamedTuple):
    """What a document plays: speech and silences in order, and the sound under them."""

    parts: list[Segment]
    sound: str | None

    @property
    def ssml(self) -> str:
        """The parts as one SSML timeline (silences as breaks of any length)."""
        return joined(self.parts)


def read(doc: Mapping[str, Any]) -> Heard:
    """The speech, silences and sound of a document this module wrote."""
    parts: list[Segment] = []
    sounds: list[str] = []

    def walk(component: Mapping[str, Any]) -> None:
        kind = component.get("type")
        if kind == "Speech":
            content = str(component.get("content") or "")
            inner = content.removeprefix("<speak>").removesuffix("</speak>")
            parts.extend(segments(inner))
        elif kind == "Silence":
            parts.append(Segment(ms=int(component.get("duration") or 0)))
        elif kind == "Audio":
            sounds.append(str(component.get("source") or ""))
        children = component.get("items") or component.get("item") or []
        for child in [children] if isinstance(children, Mapping) else children:
            walk(child)

    template = doc.get("mainTemplate") or {}
    item = template.get("item") or template.get("items") or []
    for component in item if isinstance(item, list) else [item]:
        walk(component)
    return Heard(parts, sounds[0] if sounds else None)


def check_document(doc: Mapping[str, Any]) -> None:
    """Raise ``SsmlError`` unless every ``Speech`` of the document is valid Alexa SSML and
    the piece plays within APL for Audio's limit (the whole schema is tests/apla_rules.py's)."""
    heard = read(doc)
    for part in heard.parts:
        if not part.silent:
            validate(part.ssml)
    if length_ms(heard.parts) > MAX_PIECE_MS:
        raise SsmlError(f"a piece of about {length_ms(heard.parts)} ms, over {MAX_PIECE_MS}")
