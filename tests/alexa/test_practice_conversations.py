"""Issue 24 through ``lambda_handler``: practices as one continuous piece, and a guide who
never loses the person. Each talk is from a device as real envelopes show one: with APL for
Audio (``WITH_APLA``) or without it (``WITHOUT_APLA``). Every response is checked by
``support.Said`` (valid SSML, a reprompt when open) and every document against Amazon's
rules for APL for Audio (``apla_rules``), with the response under Alexa's size limit.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from skill.lambda_function import lambda_handler
from skill.speech.programs import get_catalog
from skill.speech.render import Speech
from skill.speech.sounds import get_sounds
from skill.speech.timeline import MAX_BREAK_MS, length_ms, segments

from apla_rules import MAX_RESPONSE_BYTES, played_ms, silences_ms
from support import WITH_APLA, WITHOUT_APLA, Said, Talk

CATALOG = get_catalog()
TIPS = CATALOG["motivate"].size
SPEECH = Speech(prerendered_dir=None)
T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def echo() -> Talk:
    """A person on a device that plays APL for Audio documents."""
    return Talk(lambda_handler, device=WITH_APLA)


@pytest.fixture
def older() -> Talk:
    """Another person, on a device that does not: practices come as SSML."""
    return Talk(lambda_handler, user_id="amzn1.ask.account.OLDERDEVICE", device=WITHOUT_APLA)


def practices(talk: Talk) -> Iterator[tuple[str, Said]]:
    """Every practice of both programs, in one session: each tip's, then the reflection."""
    talk.launch(T0)
    for n in range(1, TIPS + 1):
        talk.say("GoToTipIntent", number=str(n))
        yield f"tip {n}", talk.say("AMAZON.YesIntent")
        talk.say("AMAZON.YesIntent")  # its question
    yield "set your direction", talk.say("SetDirectionIntent")


def expected_timeline(said: Said) -> str:
    """The piece's timeline as the content says it, rendered apart from the skill."""
    assert said.view is not None
    rendered = SPEECH.render_now("en-US", said.view, said.data)
    assert rendered.timeline
    return rendered.timeline


# --- one continuous piece ----------------------------------------------------------------


def test_every_practice_is_one_document_of_speech_and_silences(echo: Talk) -> None:
    for name, said in practices(echo):
        document = said.document
        assert document is not None, name
        assert "outputSpeech" not in said.response  # it would be said before the document
        # Speech and silences add up to the practice's length, as the content writes it.
        timeline = segments(expected_timeline(said))
        assert silences_ms(document) == [part.ms for part in timeline if part.silent], name
        assert abs(played_ms(document) - length_ms(timeline)) < 1000, name
        assert max(silences_ms(document)) > MAX_BREAK_MS, f"{name}: no silence past 10 s"
        # No "say ready" inside; the question at its end, and asked again by the reprompt.
        assert "ready" not in said.text.lower(), name
        question = said.text.rsplit(". ", 1)[-1]
        assert question.endswith("?") and question in said.reprompt, name
        assert not said.ended and said.raw["response"]["shouldEndSession"] is False


def test_without_apla_the_same_piece_is_one_ssml_response(older: Talk, echo: Talk) -> None:
    for (name, ssml), (_, document) in zip(practices(older), practices(echo), strict=True):
        assert ssml.document is None and "directives" not in ssml.response, name
        assert ssml.text == document.text, name  # the same words, in the same order
        breaks = [int(ms) for ms in re.findall(r'<break time="(\d+)ms"/>', ssml.ssml)]
        assert breaks and max(breaks) <= MAX_BREAK_MS, name  # Alexa's SSML limit kept
        # The silences are the document's, said as breaks of at most 10 s in a row.
        assert ssml.pauses == [ms / 1000 for ms in silences_ms(document.document or {})], name


def test_a_document_stays_far_under_alexas_response_size(echo: Talk) -> None:
    import json

    for name, said in practices(echo):
        size = len(json.dumps(said.raw).encode())
        assert size < MAX_RESPONSE_BYTES / 4, (name, size)


def test_eyes_open_is_kept_inside_the_piece(echo: Talk) -> None:
    echo.launch(T0)
    echo.say("MotivatePartnerIntent")
    echo.say("EyesOpenIntent")  # "I'm driving"
    said = echo.say("AMAZON.YesIntent")
    assert said.document is not None
    assert "eyes open" in said.text.lower() and "close your eyes" not in said.text.lower()
    assert "open your eyes now" not in said.text.lower()


def test_a_disclosure_during_a_practice_gets_the_safety_answer_at_once(echo: Talk) -> None:
    echo.launch(T0)
    echo.say("MotivatePartnerIntent")
    assert echo.say("AMAZON.YesIntent").document is not None
    said = echo.say("SafetyIntent")
    assert said.view == "safety" and said.document is None and "911" in said.text


# --- soft sound ----------------------------------------------------------------------------


def sound_under(said: Said) -> list[dict[str, object]]:
    document = said.document or {}
    found: list[dict[str, object]] = []

    def walk(component: dict[str, object]) -> None:
        if component.get("type") == "Audio":
            found.append(component)
        for child in component.get("items") or []:  # type: ignore[union-attr]
            walk(child)  # type: ignore[arg-type]

    walk(document.get("mainTemplate", {}).get("item", {}))  # type: ignore[union-attr]
    return found


def test_sound_on_request_is_mixed_under_the_practice_and_remembered(echo: Talk) -> None:
    echo.launch(T0)
    said = echo.say("SoundIntent", sound="rain")
    assert said.view == "sound" and "soft rain" in said.text and "can't play" not in said.text
    echo.say("AMAZON.YesIntent")
    practice = echo.say("AMAZON.YesIntent")
    (rain,) = sound_under(practice)
    assert rain["source"] == get_sounds().sources["rain"]
    assert rain["duration"] == "trimToParent"
    assert {"type": "Volume", "amount": "20%"} in rain["filters"]  # type: ignore[operator]
    # The question is said after the sound, in quiet.
    last = practice.document["mainTemplate"]["item"]["items"][-1]  # type: ignore[index]
    assert last["type"] == "Speech" and "?" in last["content"]
    echo.end("EXCEEDED_MAX_REPROMPTS")

    # Next time, still rain; "some background sound" is the content's default.
    echo.launch(T0 + timedelta(days=1))
    echo.say("AMAZON.YesIntent")  # the practice left open: offered again
    assert sound_under(echo.log[-1]) and echo.log[-1].view == "practice"
    echo.say("SoundIntent")
    assert sound_under(echo.log[-1])[0]["source"] == get_sounds().source("default")
    said = echo.say("NoSoundIntent")  # in a practice: played again, without
    assert said.view == "practice" and not sound_under(said)


def test_sound_on_a_device_that_cannot_play_it_says_so(older: Talk) -> None:
    older.launch(T0)
    said = older.say("SoundIntent", sound="ocean")
    assert "the sound of the sea" in said.text and "can't play it" in said.text


# --- never lose the person -----------------------------------------------------------------


def in_tip_two_practice(talk: Talk) -> Said:
    talk.launch(T0)
    talk.say("GoToTipIntent", number="2")
    said = talk.say("AMAZON.YesIntent")
    assert said.view == "practice"
    return said


def test_i_dont_want_to_do_this_leaves_the_practice_back_to_the_tip(echo: Talk) -> None:
    in_tip_two_practice(echo)
    said = echo.say("LeavePracticeIntent")
    assert said.view == "practice_left" and said.text.endswith("Shall we go on to tip 3?")
    assert "Tip 3." in echo.say("AMAZON.YesIntent").text
    echo.say("AMAZON.StopIntent")
    assert echo.launch(T0 + timedelta(days=1)).view == "welcome_back"  # nothing left open


def test_no_at_its_question_is_a_way_out_too(echo: Talk) -> None:
    in_tip_two_practice(echo)
    said = echo.say("AMAZON.NoIntent")
    assert said.view == "practice_done" and said.text.endswith("Shall we go on to tip 3?")


def test_leaving_the_reflection_offers_the_tips(echo: Talk) -> None:
    echo.launch(T0)
    assert echo.say("SetDirectionIntent").document is not None
    said = echo.say("LeavePracticeIntent")
    assert said.view == "offer_declined" and "five tips" in said.text


def test_a_topic_line_mid_practice_is_heard_and_never_restarts_the_tips(echo: Talk) -> None:
    in_tip_two_practice(echo)
    # "she feels attacked when I bring up therapy": MotivatePartnerIntent, to Alexa.
    said = echo.say("MotivatePartnerIntent")
    assert said.view == "practice_topic" and "Tip 1" not in said.text
    assert said.text.count("?") == 1 and "carry on" in said.text
    again = echo.say("AMAZON.YesIntent")
    assert again.view == "practice" and again.data["step"] == 2 and again.document is not None
    echo.say("MotivatePartnerIntent")
    left = echo.say("AMAZON.NoIntent")
    assert left.view == "practice_left" and left.text.endswith("Shall we go on to tip 3?")


def test_another_program_asked_for_mid_practice_comes_after_it_or_now(echo: Talk) -> None:
    in_tip_two_practice(echo)
    said = echo.say("SetDirectionIntent")
    assert said.view == "practice_topic" and "finish it first?" in said.text
    now = echo.say("AMAZON.NoIntent")
    assert now.view == "step" and now.data["program"] == "direction" and now.document


def test_silence_in_a_practice_is_remembered_and_offered_next_time(echo: Talk) -> None:
    in_tip_two_practice(echo)
    echo.end("EXCEEDED_MAX_REPROMPTS")  # the reprompt went unanswered: Alexa closes
    back = echo.launch(T0 + timedelta(days=1))
    assert back.view == "welcome_practice"
    assert "middle of the practice for tip 2" in back.text and back.text.endswith("now?")
    again = echo.say("AMAZON.YesIntent")
    assert again.view == "practice" and again.data["step"] == 2 and again.document is not None
    echo.say("AMAZON.YesIntent")  # answered: nothing left open any more
    echo.say("AMAZON.StopIntent")
    assert echo.launch(T0 + timedelta(days=2)).view == "welcome_back"


def test_no_to_the_practice_left_open_goes_on_as_a_visit_would(older: Talk) -> None:
    older.launch(T0)
    older.say("SetDirectionIntent")
    older.end("EXCEEDED_MAX_REPROMPTS")
    back = older.launch(T0 + timedelta(days=1))
    assert "middle of the reflection" in back.text
    said = older.say("AMAZON.NoIntent")
    assert said.view == "welcome_back" and said.text.endswith("?")


def test_help_in_a_practice_is_short_and_repeat_plays_the_practice_again(echo: Talk) -> None:
    practice = in_tip_two_practice(echo)
    help_ = echo.say("AMAZON.HelpIntent")
    assert len(help_.text.split()) <= 50, help_.text
    assert "not safe" in help_.text  # how to ask for the numbers, still
    again = echo.say("AMAZON.RepeatIntent")
    assert again.view == "practice" and again.text == practice.text


def test_four_misses_in_a_row_end_the_session_kindly_with_the_progress_kept(echo: Talk) -> None:
    echo.launch(T0)
    echo.say("AMAZON.NextIntent")  # tip 1
    missed = [echo.say("AMAZON.FallbackIntent") for _ in range(4)]
    assert [m.ended for m in missed] == [False, False, False, True]
    assert "I'll remember where you are" in missed[-1].text
    assert "go on with tip 2" in echo.launch(T0 + timedelta(days=1)).text


def test_the_first_miss_at_the_welcome_names_both_choices(echo: Talk) -> None:
    echo.launch(T0)
    said = echo.say("AMAZON.FallbackIntent")
    assert "five tips" in said.text and "set my direction" in said.text
    assert "Just say yes, or no" not in said.text


def test_you_misunderstood_me_with_no_safety_answer_apologises(echo: Talk) -> None:
    echo.launch(T0)
    said = echo.say("MisunderstoodIntent")
    assert said.view == "apology" and said.text.startswith(("I'm sorry", "Sorry", "My mistake"))
    assert "set my direction" in said.text and not said.ended


# --- tidy speech ---------------------------------------------------------------------------


def test_nothing_to_remember_means_no_promise_to(echo: Talk) -> None:
    echo.launch(T0)
    echo.say("AMAZON.NoIntent")
    bye = echo.say("AMAZON.NoIntent")  # a new person who declines twice
    assert bye.ended and "remember" not in bye.text


def test_a_tip_heard_again_is_its_point_and_example(echo: Talk) -> None:
    echo.launch(T0)
    first = echo.say("GoToTipIntent", number="2")
    echo.say("AMAZON.NextIntent")
    again = echo.say("AMAZON.PreviousIntent")
    assert "Think about what's in it for your partner" in first.text
    assert "Think about what's in it for your partner" not in again.text
    assert "Tip 2. Show what your partner can gain." in again.text
    assert "I know I pull away sometimes" in again.text  # the example stays
    assert len(again.text) < len(first.text)
    echo.say("AMAZON.PauseIntent")
    resumed = echo.say("AMAZON.ResumeIntent")
    assert resumed.text.startswith(("Tip 2.", "Alright. Tip 2.", "Here we go. Tip 2."))
    assert "Think about what's in it for your partner" not in resumed.text
    assert "Think about what's in it" in echo.say("AMAZON.RepeatIntent").text  # said in full


def test_the_tip_after_a_question_example_asks_one_question(echo: Talk) -> None:
    echo.launch(T0)
    said = echo.say("GoToTipIntent", number="3")
    assert said.text.count("?") == 1 and said.text.endswith("?")


def test_practices_open_three_ways(echo: Talk) -> None:
    openings = {said.text.split(". ", 2)[2].split(".")[0] for _, said in practices(echo)}
    assert len(openings) >= 3, openings


def test_skip_this_outside_a_practice_moves_on(echo: Talk) -> None:
    echo.launch(T0)
    echo.say("GoToTipIntent", number="2")
    assert "Tip 3." in echo.say("LeavePracticeIntent").text  # at the practice offer: no
    echo.say("AMAZON.YesIntent")
    echo.say("AMAZON.YesIntent")  # tip 3's practice answered: "Shall we go on to tip 4?"
    assert "Tip 4." in echo.say("LeavePracticeIntent").text
