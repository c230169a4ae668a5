"""The phone line's pieces on their own: SSML -> Polly TwiML, the call store, caller IDs."""

from __future__ import annotations

import hashlib
import xml.etree.ElementTree as ET

import pytest

from skill.channels.phone.calls import CallState
from skill.channels.phone.identity import call_user_id, line_key, vault_user_id
from skill.channels.phone.twiml import Answer, build_twiml, voice_for
from skill.speech.render import get_speech
from skill.speech.ssml import validate

from phone_support import PEPPER, check_twiml

ACTION = "https://phone.example.test/phone/gather"


def twiml(ssml: str, voice: str | None = None, hang_up: bool = False) -> ET.Element:
    xml = build_twiml(
        Answer([ssml], hang_up=hang_up),
        voice_for("en-US", voice),
        action=ACTION,
        language="en-US",
        hints=["yes", "no"],
        timeout=8,
    )
    root = ET.fromstring(xml.encode("utf-8"))
    check_twiml(root)
    return root


def say_of(root: ET.Element) -> ET.Element:
    say = root.find(".//Say")
    assert say is not None
    return say


def words(element: ET.Element) -> str:
    return " ".join("".join(element.itertext()).split())


def test_short_pauses_stay_breaks_and_silences_are_pauses_between_says() -> None:
    root = twiml('One. <break time="2s"/> Two. <break time="500ms"/> Three.')
    gather = root.find("Gather")
    assert gather is not None
    assert [child.tag for child in gather] == ["Say", "Pause", "Say"]
    first, pause, second = list(gather)
    assert words(first) == "One." and pause.get("length") == "2"
    assert [b.get("time") for b in second.iter("break")] == ["500ms"]
    assert words(second) == "Two. Three."


def test_a_practice_keeps_silences_longer_than_ten_seconds() -> None:
    root = twiml('Think of it. <break time="45s"/> Did it come to you?')
    pauses = [p.get("length") for p in root.iter("Pause")]
    assert pauses == ["45"]
    assert [words(say) for say in root.iter("Say")] == ["Think of it.", "Did it come to you?"]


def test_alexa_only_markup_keeps_its_words_and_loses_its_tags() -> None:
    ssml = (
        "<speak>Hi. <amazon:emotion name='excited' intensity='high'>Great news!</amazon:emotion> "
        "<amazon:effect name='whispered'>Quietly.</amazon:effect> "
        "<voice name='Brian'>Cheerio.</voice> <amazon:domain name='conversational'>"
        "So.</amazon:domain> <audio src='https://example.test/chime.mp3'/>"
        "<mark name='here'/>Done.</speak>"
    )
    validate(ssml)  # it is good Alexa SSML ...
    say = say_of(twiml(ssml))  # ... and good Polly SSML once converted
    assert words(say) == "Hi. Great news! Quietly. Cheerio. So. Done."
    assert [child.tag for child in say] == []


def test_say_as_interpretations_polly_lacks_become_plain_words() -> None:
    say = say_of(
        twiml(
            '<say-as interpret-as="interjection">well done</say-as>, call '
            '<say-as interpret-as="telephone">1-800-799-7233</say-as>.'
        )
    )
    assert words(say) == "well done, call 1-800-799-7233."
    (kept,) = say.findall("say-as")
    assert kept.get("interpret-as") == "telephone"


def test_neural_voices_get_only_the_ssml_they_support() -> None:
    ssml = (
        '<p><s>Be <emphasis level="strong">kind</emphasis>.</s></p>'
        '<prosody rate="slow" pitch="low" volume="soft">Slowly.</prosody>'
        '<lang xml:lang="fr-FR">bonjour</lang> <sub alias="Ally">ALY</sub> '
        '<phoneme alphabet="ipa" ph="æli">Ally</phoneme> <w role="amazon:VB">read</w>'
    )
    neural = say_of(twiml(ssml))  # Polly.Joanna-Neural
    assert neural.find(".//emphasis") is None
    assert "kind" in words(neural)
    prosody = neural.find("prosody")
    assert prosody is not None and prosody.attrib == {"rate": "slow", "volume": "soft"}
    assert neural.find("p/s") is not None
    lang = neural.find("lang")
    assert lang is not None and lang.get("{http://www.w3.org/XML/1998/namespace}lang") == "fr-FR"
    assert neural.find("sub").get("alias") == "Ally"  # type: ignore[union-attr]
    assert neural.find("phoneme").get("ph") == "æli"  # type: ignore[union-attr]
    assert neural.find("w").get("role") == "amazon:VB"  # type: ignore[union-attr]

    standard = say_of(twiml(ssml, voice="Polly.Joanna"))
    emphasis = standard.find(".//emphasis")
    assert emphasis is not None and emphasis.get("level") == "strong"
    assert standard.find("prosody").get("pitch") == "low"  # type: ignore[union-attr]

    generative = say_of(twiml(ssml, voice="Polly.Ruth-Generative"))
    assert generative.find(".//prosody") is None and generative.find(".//phoneme") is None
    assert "Slowly." in words(generative)


def test_text_needing_escapes_survives_as_valid_xml() -> None:
    root = twiml("Tom &amp; Jerry &lt;3 <break time='1s'/>Q&amp;A")
    assert [words(say) for say in root.iter("Say")] == ["Tom & Jerry <3", "Q&A"]


def test_several_parts_are_joined_with_a_short_pause() -> None:
    xml = build_twiml(
        Answer(["First.", "", "Second."]),
        voice_for("en-GB"),
        action=ACTION,
        language="en-GB",
        hints=["yes"],
        timeout=8,
    )
    say = say_of(ET.fromstring(xml.encode("utf-8")))
    assert say.get("voice") == "Polly.Amy-Neural"
    assert words(say) == "First. Second."
    assert len(list(say.iter("break"))) == 1


def test_hanging_up_says_the_words_pauses_and_hangs_up() -> None:
    root = twiml("Take care.", hang_up=True)
    assert [child.tag for child in root] == ["Say", "Pause", "Hangup"]


def test_phone_views_are_alexa_ssml_and_convert_in_every_locale() -> None:
    """The phone templates are valid Alexa SSML too, and convert cleanly."""
    speech = get_speech()
    for view, data in [
        ("phone_keypad", {"unknown": False}),
        ("phone_keypad", {"unknown": True}),
        ("phone_silence", {"attempt": 2}),
        ("phone_silence", {"attempt": 3}),
        ("phone_error", {}),
        ("safety", {}),
    ]:
        for locale in ("en-US", "en-GB", "en-AU", "en-IN", "en-CA"):
            ssml = speech.render(locale, view, data).speech or ""
            validate(ssml)
            assert words(say_of(twiml(ssml))), (view, locale)


# --- the call store -------------------------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def state(n: int = 0) -> CallState:
    return CallState(user_id=f"phone:{n}", locale="en-US", attributes={"n": n})


def test_state_round_trips_as_a_plain_dict() -> None:
    original = CallState("phone:x", "en-GB", "sess", {"a": [1]}, "<speak>Hi</speak>", 2, True)
    assert CallState.from_dict(original.to_dict()) == original


# --- caller identity ------------------------------------------------------------------------


def test_the_number_is_only_ever_a_keyed_hash() -> None:
    number = "+15551234567"
    line = line_key(number, PEPPER)
    assert "5551234567" not in line
    assert line != hashlib.sha256(number.encode()).hexdigest()  # not a plain hash
    # The same number, however it was formatted, on any call.
    assert line_key("+1 (555) 123-4567", PEPPER) == line
    assert line_key(number, PEPPER + "-rotated") != line  # the pepper is the key


def test_a_call_starts_on_a_key_of_its_own_and_a_vault_needs_the_pin() -> None:
    line = line_key("+15551234567", PEPPER)
    assert call_user_id("CA1", PEPPER) != call_user_id("CA2", PEPPER)
    assert call_user_id("CA1", PEPPER).startswith("phone:call:")
    vault = vault_user_id(line, "2468", PEPPER)
    assert vault.startswith("phone:") and vault == vault_user_id(line, "2468", PEPPER)
    assert vault_user_id(line, "2469", PEPPER) != vault  # another PIN, another vault
    assert vault_user_id(line_key("+15559876543", PEPPER), "2468", PEPPER) != vault


@pytest.mark.parametrize(
    "number", ["", None, "anonymous", "Restricted", "+266696687", "+8656696", "client:alice", "12"]
)
def test_withheld_or_odd_caller_ids_have_no_line(number: str | None) -> None:
    assert line_key(number, PEPPER) == ""


# --- the checker itself ---------------------------------------------------------------------


def test_the_checker_rejects_markup_twilio_or_polly_would_not_take() -> None:
    import pytest

    good = ET.fromstring(
        '<Response><Say voice="Polly.Joanna">Hi <break time="1s"/>'
        '<say-as interpret-as="digits">911</say-as></Say><Hangup/></Response>'
    )
    check_twiml(good)
    for bad in (
        "<Response><Play>https://x.test/a.mp3</Play></Response>",
        '<Response><Say voice="Polly.Joanna"><audio src="https://x.test/a.mp3"/></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><voice name="Brian">Hi</voice></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><break time="12s"/></Say></Response>',
        '<Response><Say voice="Polly.Joanna"><s foo="1">Hi</s></Say></Response>',
        '<Response><Say voice="alice">Hi</Say></Response>',
    ):
        with pytest.raises(AssertionError):
            check_twiml(ET.fromstring(bad))
