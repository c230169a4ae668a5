"""Alexa SSML -> TwiML for the phone line: Polly voices and the SSML they can speak.

The skill answers in Alexa SSML. Twilio's ``<Say>`` with an Amazon Polly voice accepts a
smaller set of tags (break, emphasis, lang, p, phoneme, prosody, s, say-as, sub, w), and
Polly's neural and generative voices fewer still. This module walks the SSML tree and
rebuilds it with the ``twilio`` library's own SSML helpers (``say.break_()``,
``say.prosody()``, ``say.say_as()`` ...), so the XML is whatever the library writes and a
tag the library would not nest there is flattened to its words instead of sent.

Alexa-only markup (``amazon:*``, ``<voice>``) keeps its words and loses its tag; ``<audio>``
and ``<mark>`` have nothing a caller could hear and are dropped. Short pauses stay
``<break>``s; a silence of a second or more (``skill.speech.timeline``) is a ``<Pause>``
between two ``<Say>``s, so a practice's silence lasts as long as the practice needs.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from twilio.twiml import TwiML
from twilio.twiml.voice_response import Say, VoiceResponse

from skill.speech.ssml import SAY_AS_INTERPRETATIONS, parse, tag_name
from skill.speech.timeline import segments

XML_NS = "http://www.w3.org/XML/1998/namespace"

# Polly voices per skill locale. Neural voices sound far more natural for a coaching voice;
# en-CA has no Polly voice of its own, so it uses the en-US one (and says so in <Say>).
VOICES: dict[str, str] = {
    "en-US": "Polly.Joanna-Neural",
    "en-CA": "Polly.Joanna-Neural",
    "en-GB": "Polly.Amy-Neural",
    "en-AU": "Polly.Olivia-Neural",
    "en-IN": "Polly.Kajal-Neural",
}
VOICE_LANGUAGES: dict[str, str] = {"en-CA": "en-US"}
DEFAULT_LOCALE = "en-US"

# Tags Twilio passes to Polly inside <Say>, with the attributes each may carry.
POLLY_TAGS: dict[str, frozenset[str]] = {
    "break": frozenset({"strength", "time"}),
    "emphasis": frozenset({"level"}),
    "lang": frozenset({"xml:lang"}),
    "p": frozenset(),
    "phoneme": frozenset({"alphabet", "ph"}),
    "prosody": frozenset({"rate", "pitch", "volume"}),
    "s": frozenset(),
    "say-as": frozenset({"interpret-as", "format"}),
    "sub": frozenset({"alias"}),
    "w": frozenset({"role"}),
}
# Polly's say-as has no "interjection" (an Alexa speechcon); such words are just said.
POLLY_SAY_AS = SAY_AS_INTERPRETATIONS - {"interjection"}
SILENT_TAGS = frozenset({"audio", "mark"})

# The twilio helper method that adds each tag as a child.
_METHODS = {
    "break": "break_",
    "emphasis": "emphasis",
    "lang": "lang",
    "p": "p",
    "phoneme": "phoneme",
    "prosody": "prosody",
    "s": "s",
    "say-as": "say_as",
    "sub": "sub",
    "w": "w",
}
# Tags whose twilio helper takes only words, no child elements.
_WORDS_ONLY = frozenset({"say-as", "sub", "phoneme"})
_KWARGS = {"xml:lang": "xml_lang", "interpret-as": "interpret_as"}


@dataclass(frozen=True)
class VoiceProfile:
    """A Polly voice and the SSML it can speak."""

    voice: str
    language: str
    tags: frozenset[str]
    prosody: frozenset[str]


def voice_for(locale: str, voice: str | None = None) -> VoiceProfile:
    """The Polly voice for a locale (``voice`` overrides), and what SSML it supports.

    Per Amazon's "Supported SSML tags" table: neural voices have no <emphasis> and their
    <prosody> takes rate and volume only; generative voices also lack <phoneme> and
    <prosody>. Standard voices take everything Twilio passes through.
    """
    name = voice or VOICES.get(locale, VOICES[DEFAULT_LOCALE])
    language = VOICE_LANGUAGES.get(locale, locale if locale in VOICES else DEFAULT_LOCALE)
    tags = set(POLLY_TAGS)
    prosody = set(POLLY_TAGS["prosody"])
    if name.endswith("-Generative"):
        tags -= {"emphasis", "phoneme", "prosody"}
    elif name.endswith("-Neural"):
        tags -= {"emphasis"}
        prosody -= {"pitch"}
    return VoiceProfile(name, language, frozenset(tags), frozenset(prosody))


def _attr_name(name: str) -> str:
    return name.replace(f"{{{XML_NS}}}", "xml:")


def _append_text(node: TwiML, text: str | None) -> None:
    """Add words to a TwiML node. The library keeps only the last of two strings nested in
    a row (each becomes the same tail), so adjacent words are merged first."""
    if not text:
        return
    verbs = node.verbs
    if verbs and isinstance(verbs[-1], str):
        verbs[-1] += text
    else:
        node.nest(text)


def _words(element: ET.Element) -> str:
    return "".join(element.itertext())


class _Converter:
    def __init__(self, profile: VoiceProfile) -> None:
        self.profile = profile

    def children(self, node: TwiML, element: ET.Element) -> None:
        _append_text(node, element.text)
        for child in element:
            self.element(node, child)
            _append_text(node, child.tail)

    def element(self, node: TwiML, element: ET.Element) -> None:
        tag = tag_name(element)
        if tag in SILENT_TAGS:
            return
        method = getattr(node, _METHODS.get(tag, ""), None) if tag in self.profile.tags else None
        if method is None:
            # Alexa-only or unsupported here: keep the words, lose the markup.
            self.children(node, element)
            return
        allowed = self.profile.prosody if tag == "prosody" else POLLY_TAGS[tag]
        kwargs = {
            _KWARGS.get(name, name): value
            for name, value in ((_attr_name(k), v) for k, v in element.attrib.items())
            if name in allowed
        }
        if tag == "break":
            method(**kwargs)
        elif tag in _WORDS_ONLY:
            words = _words(element)
            if tag == "say-as" and kwargs.get("interpret_as") not in POLLY_SAY_AS:
                _append_text(node, words)
            elif words:
                method(words, **kwargs)
        else:
            self.children(method(**kwargs), element)


def add_ssml(say: Say, ssml: str, profile: VoiceProfile) -> None:
    """Append Alexa SSML to a <Say> as Polly SSML."""
    _Converter(profile).children(say, parse(ssml))


@dataclass(frozen=True)
class Answer:
    """What the caller hears next: SSML pieces said in order, then listen or hang up, or
    (``hold``) go straight on to the action without listening: "one moment", then the turn.
    ``keys``: listen for that many keypad presses only (a PIN), no speech."""

    parts: Sequence[str]
    hang_up: bool = False
    hold: bool = False
    keys: int = 0


PAUSE_BETWEEN_PARTS = "400ms"
HANGUP_PAUSE_SECONDS = 1  # lets the last words land before the line goes dead


def build_twiml(
    answer: Answer,
    profile: VoiceProfile,
    *,
    action: str,
    language: str,
    hints: Iterable[str],
    timeout: int,
) -> str:
    """The TwiML document for one answer.

    Listening answers put the <Say> inside <Gather input="speech dtmf"> so the caller can
    talk or press a key over it, and end with a <Redirect> to the same action: Twilio falls
    through to it when the caller says nothing, which is how silence reaches the app. A
    holding answer is the <Say> and the <Redirect> alone.
    """
    response = VoiceResponse()
    parts = [part for part in answer.parts if part and part.strip()]
    if answer.hang_up:
        if parts:
            _say(response, parts, profile)
        response.pause(length=HANGUP_PAUSE_SECONDS)
        response.hangup()
        return str(response.to_xml())
    if answer.hold:
        if parts:
            _say(response, parts, profile)
        response.redirect(action, method="POST")
        return str(response.to_xml())
    if answer.keys:
        # A PIN: keys only, so nothing said aloud is taken for it (or sent for speech
        # recognition), and the whole PIN in one request.
        gather = response.gather(
            input="dtmf",
            action=action,
            method="POST",
            timeout=timeout,
            num_digits=answer.keys,
            finish_on_key="",
        )
    else:
        gather = response.gather(
            input="speech dtmf",
            action=action,
            method="POST",
            language=language,
            hints=", ".join(hints),
            # "auto" ends the turn at the caller's natural pause; it is only valid while no
            # speechModel is set, so none is.
            speech_timeout="auto",
            timeout=timeout,
            num_digits=1,  # every keypad option is one key: act on it at once
            finish_on_key="",  # so '#' is a key like any other, not "done"
        )
    if parts:
        _say(gather, parts, profile)
    response.redirect(action, method="POST")
    return str(response.to_xml())


def _say(parent: TwiML, parts: Sequence[str], profile: VoiceProfile) -> None:
    """The parts in ``<Say>`` verbs, with a ``<Pause>`` for each silence of a second or
    more in them."""
    say: Say | None = None
    for i, part in enumerate(parts):
        for segment in segments(part):
            if segment.silent:
                parent.pause(length=max(round(segment.ms / 1000), 1))
                say = None
                continue
            if say is None:
                say = parent.say(voice=profile.voice, language=profile.language)
            elif i:
                say.break_(time=PAUSE_BETWEEN_PARTS)
                _append_text(say, " ")
            add_ssml(say, segment.ssml, profile)
