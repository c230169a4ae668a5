"""Practices as timelines and as APL for Audio documents, checked against what Amazon
documents (``apla_rules``): every practice of both programs, at every pace, with every sound.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from skill.core.dialog import Action, Command, Conversation, Question, handle
from skill.core.progress import PACE_RANGE, ROOM_RANGE, Progress
from skill.speech.apla import directive, document, read
from skill.speech.programs import get_catalog
from skill.speech.render import Speech
from skill.speech.sounds import get_sounds
from skill.speech.ssml import validate
from skill.speech.timeline import BUDGET_MS, MAX_PIECE_MS, chained, fit, length_ms, segments

from apla_rules import AplaError, check_directive, check_document, played_ms, silences_ms

NOW = 1_800_000_000
CATALOG = get_catalog()
SPEECH = Speech(prerendered_dir=None)
SOUNDS = get_sounds()


def pieces() -> list[tuple[str, str, dict[str, Any]]]:
    """Every practice of both programs as the core asks for it: (name, view, data)."""
    found = []
    for program in CATALOG:
        for n, step in enumerate(program.steps, 1):
            if step.practice:  # yes to a step's practice offer
                offer = Conversation(program=program.id, step=n, question=Question.PRACTICE)
                turn = handle(offer, Progress(), Command(Action.YES), NOW, CATALOG)
                found.append((f"{program.id} {step.id}", "practice", dict(turn.reply.data)))
            elif step.kind == "guided" and n == 1:  # a run, from the program's start
                start = Command(Action.START_PROGRAM, program=program.id)
                turn = handle(Conversation(), Progress(), start, NOW, CATALOG)
                found.append((program.id, "step", dict(turn.reply.data)))
            elif step.kind == "guided" and program.run_start(n) == n:  # after a turn: "done"
                waiting = Conversation(
                    program=program.id, step=n - 1, part=n - 1, question=Question.TURN
                )
                turn = handle(waiting, Progress(), Command(Action.READY), NOW, CATALOG)
                assert turn.reply.data["step"] == n
                found.append((f"{program.id} {step.id}", "step", dict(turn.reply.data)))
    return found


PIECES = pieces()


def timeline(view: str, data: dict[str, Any]) -> str:
    rendered = SPEECH.render_now("en-US", view, data)
    assert rendered.timeline, view
    validate(rendered.speech or "")  # the same piece as SSML, for devices without APLA
    return rendered.timeline


def test_every_practice_of_both_programs_is_a_piece() -> None:
    names = [name for name, _, _ in PIECES]
    assert len(names) == 12 and "direction" in names and "together share_one" in names
    assert all(data["piece"] for _, _, data in PIECES)


@pytest.mark.parametrize("pace", range(PACE_RANGE[0], PACE_RANGE[1] + 1))
@pytest.mark.parametrize("room", range(ROOM_RANGE[0], ROOM_RANGE[1] + 1))
@pytest.mark.parametrize("eyes_open", [False, True])
def test_every_piece_at_every_pace_is_a_valid_document(
    pace: int, room: int, eyes_open: bool
) -> None:
    for name, view, data in PIECES:
        paced = {**data, "pace": pace, "room": room, "eyes_open": eyes_open}
        line = timeline(view, paced)
        for sound in (None, *SOUNDS.sources.values()):
            made = directive(line, sound, SOUNDS.volume)
            check_directive(made)
            assert played_ms(made["document"]) <= MAX_PIECE_MS, (name, pace, room)
        # The document plays what the timeline says: the same words, the same silences.
        heard = read(document(line))
        assert [p.ms for p in heard.parts if p.silent] == [p.ms for p in segments(line) if p.silent]


def test_as_written_every_piece_keeps_its_silences() -> None:
    for name, view, data in PIECES:
        line = timeline(view, data)
        assert fit(line) == line, name  # nothing shortened at the pace as written
        assert length_ms(segments(line)) <= BUDGET_MS, name
        if data.get("turn") == "both":
            continue  # the opening and the closing of a program for two: words, no minute
        assert max(silences_ms(document(line))) > 10_000, f"{name}: a silence past SSML's 10 s"


def test_a_sound_plays_quietly_under_the_body_and_the_question_after_it() -> None:
    line = timeline(*PIECES[0][1:])
    made = document(line, SOUNDS.source("rain"), SOUNDS.volume)
    mixer, *ending = made["mainTemplate"]["item"]["items"]
    assert mixer["type"] == "Mixer" and [f["type"] for f in mixer["filters"]] == ["FadeOut"]
    speech, sound = mixer["items"]
    assert speech["type"] == "Sequencer" and speech["items"][-1]["type"] == "Silence"
    assert sound["source"].startswith("soundbank://") and sound["duration"] == "trimToParent"
    assert [e["type"] for e in ending] == ["Speech"] and "?" in ending[0]["content"]
    assert read(made).sound == SOUNDS.source("rain")


# --- the validator can fail -----------------------------------------------------------------

GOOD = document('Breathe in. <break time="30s"/> Did it help?', "soundbank://soundlibrary/x")


def broken(path: list[Any], value: Any) -> dict[str, Any]:
    doc = copy.deepcopy(GOOD)
    target: Any = doc
    for key in path[:-1]:
        target = target[key]
    if value is KeyError:
        del target[path[-1]]
    else:
        target[path[-1]] = value
    return doc


ITEMS = ["mainTemplate", "item", "items"]
MIXED = [*ITEMS, 0, "items"]


@pytest.mark.parametrize(
    ("path", "value", "complaint"),
    [
        (["version"], "1.0", "version 0.91"),
        (["type"], "APL", "type APLA"),
        ([*ITEMS, 1, "type"], "Text", "not a component"),
        ([*MIXED, 0, "items", 1, "duration"], KeyError, "Silence needs a duration"),
        ([*MIXED, 0, "items", 1, "duration"], "30s", "Silence needs a duration"),
        ([*MIXED, 0, "items", 0, "content"], "Breathe in.", "enclosed in <speak>"),
        ([*MIXED, 0, "items", 0, "content"], '<speak><break time="30s"/>x</speak>', "over 10 s"),
        ([*MIXED, 0, "items", 0, "contentType"], "Markdown", "contentType"),
        ([*MIXED, 1, "source"], "http://example.test/rain.mp3", "not https://"),
        ([*MIXED, 1, "duration"], "forever", "auto or trimToParent"),
        ([*MIXED, 1, "filters", 1, "amount"], "loud", "Volume needs an amount"),
        ([*MIXED, 1, "filters", 2], {"type": "Echo"}, "not a filter"),
        ([*MIXED, 1, "colour"], "blue", "has no ['colour']"),
        ([*MIXED, 0, "items", 1, "duration"], 300_000, "over 240000"),
        ([*ITEMS, 0, "items"], [], "Mixer with no items"),
    ],
)
def test_the_validator_refuses_what_amazon_does_not_allow(
    path: list[Any], value: Any, complaint: str
) -> None:
    check_document(GOOD)
    with pytest.raises((AplaError, ValueError), match=complaint.replace("[", r"\[")):
        check_document(broken(path, value))


def test_silence_alone_is_no_response() -> None:
    silent = {
        "type": "APLA",
        "version": "0.91",
        "mainTemplate": {"item": {"type": "Silence", "duration": 1000}},
    }
    with pytest.raises(AplaError, match="silence alone"):
        check_document(silent)


# --- the timeline ---------------------------------------------------------------------------


def test_silences_inside_a_prosody_close_and_reopen_it() -> None:
    parts = segments(
        '<prosody rate="90%">One. <break time="300ms"/> Two. <break time="2s"/> Three.</prosody>'
    )
    assert [p.ssml or p.ms for p in parts] == [
        '<prosody rate="90%">One. <break time="300ms"/> Two. </prosody>',
        2000,
        '<prosody rate="90%"> Three.</prosody>',
    ]
    for part in parts:
        if part.ssml:
            validate(part.ssml)


def test_long_silences_are_chained_for_ssml_and_fit_shortens_them_alike() -> None:
    assert chained('A. <break time="25s"/> B.') == (
        'A. <break time="10000ms"/><break time="10000ms"/><break time="5000ms"/> B.'
    )
    long = 'Go. <break time="200s"/> On. <break time="100s"/> Done.'
    fitted = segments(fit(long))
    silences = [p.ms for p in fitted if p.silent]
    assert length_ms(fitted) <= BUDGET_MS and silences[0] == pytest.approx(2 * silences[1], 2)
