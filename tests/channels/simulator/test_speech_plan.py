"""SSML -> what the browser says and the silences between: every break kept."""

from __future__ import annotations

import pytest

from skill.channels.simulator.device import Device
from skill.channels.simulator.speech_plan import Segment, plan, plan_dicts, say_as
from skill.config import LOCALES
from skill.lambda_function import lambda_handler
from skill.speech.ssml import parse, tag_name


def test_breaks_become_silences_of_their_length() -> None:
    assert plan('<speak>One. <break time="2s"/> Two. <break time="350ms"/> Three.</speak>') == [
        Segment("One."),
        Segment(ms=2000),
        Segment("Two."),
        Segment(ms=350),
        Segment("Three."),
    ]


def test_break_strengths_and_a_bare_break() -> None:
    silences = [
        s.ms
        for s in plan(
            'a <break strength="x-strong"/> b <break strength="weak"/> c <break/> d'
            ' <break strength="none"/> e'
        )
        if not s.text
    ]
    assert silences == [1000, 250, 500]


def test_silences_in_a_row_are_one() -> None:
    assert plan('a <break time="1s"/><break time="500ms"/> b') == [
        Segment("a"),
        Segment(ms=1500),
        Segment("b"),
    ]


def test_paragraphs_and_sentences_pause() -> None:
    segments = plan("<speak><p>First.</p><s>Second.</s>Third.</speak>")
    assert segments == [
        Segment("First."),
        Segment(ms=750),
        Segment("Second."),
        Segment(ms=300),
        Segment("Third."),
    ]


@pytest.mark.parametrize(
    ("interpretation", "written", "read"),
    [
        ("digits", "911", "9 1 1"),
        ("telephone", "1-800-799-7233", "1, 8 0 0, 7 9 9, 7 2 3 3"),
        ("characters", "ABC", "A B C"),
        ("spell-out", "ok", "o k"),
        ("ordinal", "2", "2nd"),
        ("ordinal", "13", "13th"),
        ("ordinal", "21", "21st"),
        ("cardinal", "12", "12"),
        ("expletive", "darn", "bleep"),
    ],
)
def test_say_as_is_read_as_alexa_reads_it(interpretation: str, written: str, read: str) -> None:
    assert say_as(interpretation, written) == read
    ssml = f'Call <say-as interpret-as="{interpretation}">{written}</say-as> now.'
    assert plan(ssml) == [Segment(f"Call {read} now.")]


def test_sub_says_its_alias_and_audio_is_left_out() -> None:
    ssml = (
        '<sub alias="one eight hundred">1800</sub> then '
        '<audio src="https://example.com/a.mp3"/>done'
    )
    assert plan(ssml) == [Segment("one eight hundred then done")]


def test_whispers_are_their_own_utterance() -> None:
    ssml = 'Loud. <amazon:effect name="whispered">quiet</amazon:effect> Loud again.'
    assert plan_dicts(ssml) == [
        {"say": "Loud."},
        {"say": "quiet", "whisper": True},
        {"say": "Loud again."},
    ]


def test_no_speech_is_no_plan() -> None:
    assert plan_dicts(None) == []
    assert plan("<speak/>") == []


def walk_with_practices(locale: str) -> list[str]:
    """The SSML of every answer on the way through all five tips, each with its practice."""
    device = Device(lambda_handler, f"amzn1.ask.account.PLAN{locale.replace('-', '')}", locale)
    exchanges = [device.say("help me talk to my partner")]
    for _ in range(5):  # the practice (one piece), its question, the next tip
        exchanges += [device.say(words) for words in ("yes", "yes", "yes")]
    exchanges.append(device.say("my partner is violent"))
    return [e.speech_ssml for e in exchanges if e.speech_ssml]


@pytest.mark.parametrize("locale", LOCALES)
def test_every_break_of_the_tips_practices_and_safety_answer_is_kept(locale: str) -> None:
    answers = walk_with_practices(locale)
    assert len(answers) == 17
    practices = 0
    for ssml in answers:
        breaks = [
            element.attrib["time"] for element in parse(ssml).iter() if tag_name(element) == "break"
        ]
        wanted = [int(t[:-2]) if t.endswith("ms") else int(float(t[:-1]) * 1000) for t in breaks]
        segments = plan(ssml)
        assert [s.ms for s in segments if not s.text] == wanted
        assert all(s.text.strip() for s in segments if s.ms == 0)
        practices += any(ms > 10_000 for ms in wanted)
    assert practices == 5  # each tip's practice, with silences past SSML's ten seconds


def test_the_reflection_is_one_piece_in_the_simulator_too() -> None:
    device = Device(lambda_handler, "amzn1.ask.account.PLANDIRECTION")
    exchange = device.say("set my direction")
    assert exchange.document is not None
    segments = plan(exchange.speech_ssml or "")
    assert max(s.ms for s in segments) > 10_000
    assert segments[-1].text.endswith("Did you find your small step?")
    assert not any("ready" in s.text.lower() for s in segments)
