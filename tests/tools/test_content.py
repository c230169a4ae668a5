"""``python -m skill content --check`` on the content that ships."""

from __future__ import annotations

from pathlib import Path

import pytest

from skill.tools import content

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow  # full tier: explores the whole dialog
def test_the_shipped_programs_are_complete_and_speakable() -> None:
    assert content.check() == []


def test_a_long_sentence_is_caught() -> None:
    words = " ".join(["word"] * 30) + "."
    assert content.long_sentences(f"Short one. {words} Another.") == [words]


@pytest.mark.slow  # full tier: explores the whole dialog
def test_the_command_says_what_it_checked(capsys: pytest.CaptureFixture[str]) -> None:
    # In process: the exploration it needs is the one the test above already made.
    assert content.main(["--check"]) == 0
    out = capsys.readouterr().out
    assert "motivate: 5 steps, 5 with a practice" in out
    assert "direction: 3 steps" in out


@pytest.mark.parametrize(
    ("ssml", "complaint"),
    [
        (
            "That was the last tip. If you'd like more, Would you like to go again?",
            "runs into a question after a comma",
        ),
        (
            "Welcome back. Last time, you finished tip 2. Show what your partner can gain.",
            "reads as an order",
        ),
        (
            "Try saying, Can I show you one exercise I liked? Would you like a practice?",
            "more than one question",
        ),
    ],
)
def test_speech_that_reads_badly_is_caught(ssml: str, complaint: str) -> None:
    problems = content.speech_problems(ssml)
    assert any(complaint in problem for problem in problems), problems


def test_the_mended_sentences_pass() -> None:
    for ssml in (
        "That was the last tip. There's more, if you'd like it. Would you like to go again?",
        "Last time, you finished tip 2, on showing what your partner can gain. Shall we go on?",
        "Try saying, There's one exercise I'd love to show you. Would you like a practice?",
    ):
        assert content.speech_problems(ssml) == [], ssml


def test_a_practice_that_waits_for_ready_is_caught(tmp_path: Path) -> None:
    import shutil

    from skill.core.dialog import Reply
    from skill.paths import TEMPLATES_DIR
    from skill.speech.render import Speech

    root = tmp_path / "templates"
    shutil.copytree(
        TEMPLATES_DIR, root, ignore=shutil.ignore_patterns("_prerendered", "__pycache__")
    )
    tip = root / "en" / "programs" / "motivate" / "gains.ssml.j2"
    tip.write_text(
        tip.read_text(encoding="utf-8").replace(
            'Picture telling them, in your own words. <break time="15s"/>',
            'Picture telling them. When you are ready, say ready. <break time="200s"/>',
        ),
        encoding="utf-8",
    )
    speech = Speech(root=root, prerendered_dir=None)
    data = {"program": "motivate", "step": 2, "step_id": "gains", "note": None, "piece": True}
    data.update(question="reflect", context="reflect", offer=None, eyes_open=False)
    reply = Reply("practice", data)
    rendered = speech.render_now("en-US", "practice", data)
    problems = content.piece_problems(speech, "en-US", reply, rendered)
    assert any("say ready" in p for p in problems) and any("as written" in p for p in problems)
