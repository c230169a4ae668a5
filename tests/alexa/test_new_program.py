"""A third program added as content alone, walked end to end through ``lambda_handler``.

The fixture folder ``tests/fixtures/programs/good_things/`` holds a program.json and its
templates, nothing else. It is copied into a content folder beside the shipped programs,
the skill is pointed at that folder with ``SKILL_TEMPLATES_DIR``, and a user starts it,
walks it, stops half way, comes back and resumes it, and finishes it.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from skill import config, lambda_function
from skill.paths import MODEL_DIR, TEMPLATES_DIR
from skill.speech.programs import get_catalog, load_catalog
from skill.store.sqlite import SqliteProgressStore
from skill.tools import content

from support import Talk

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "programs" / "good_things"


@pytest.fixture
def content_root(tmp_path: Path) -> Path:
    root = tmp_path / "templates"
    shutil.copytree(
        TEMPLATES_DIR, root, ignore=shutil.ignore_patterns("_prerendered", "__pycache__")
    )
    shutil.copytree(FIXTURE, root / "en" / "programs" / "good_things")
    return root


@pytest.fixture
def models(tmp_path: Path) -> Path:
    """The interaction models, with the new program's names among ProgramType's values:
    the one edit to the voice model a new program needs, and it is data."""
    folder = tmp_path / "models"
    folder.mkdir()
    for path in MODEL_DIR.glob("*.json"):
        model = json.loads(path.read_text(encoding="utf-8"))
        for slot_type in model["interactionModel"]["languageModel"]["types"]:
            if slot_type["name"] == "ProgramType":
                slot_type["values"].append(
                    {"name": {"value": "three good things", "synonyms": ["good things"]}}
                )
        (folder / path.name).write_text(json.dumps(model), encoding="utf-8")
    return folder


@pytest.fixture
def person(content_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Talk]:
    monkeypatch.setenv(config.ENV_TEMPLATES_DIR, str(content_root))
    monkeypatch.setenv(config.ENV_DB_PATH, str(tmp_path / "progress.sqlite3"))
    config.get_settings.cache_clear()
    lambda_function.reset()
    yield Talk(lambda_function.lambda_handler)
    config.get_settings.cache_clear()
    lambda_function.reset()


def test_the_new_program_is_in_the_catalog_from_its_folder(content_root: Path) -> None:
    catalog = load_catalog(content_root)
    assert [program.id for program in catalog] == [
        "motivate",
        "direction",
        "good_things",
        "together",
    ]
    assert catalog["good_things"].audience == "couple"
    assert catalog.named("Three Good Things") is catalog["good_things"]


@pytest.mark.slow  # full tier: explores the whole dialog
def test_the_content_check_wants_its_names_in_the_voice_model(
    content_root: Path, models: Path
) -> None:
    # The model check alone: the whole check below walks and renders every reply.
    missing = content.model_problems(get_catalog(content_root), MODEL_DIR, ["en-US"])
    assert any("'three good things'" in problem and "ProgramType" in problem for problem in missing)
    assert content.check(content_root, models) == []


@pytest.mark.slow  # full tier: explores the whole dialog
def test_a_broken_program_is_reported_not_crashed_on(content_root: Path, models: Path) -> None:
    (content_root / "en" / "programs" / "good_things" / "share.ssml.j2").unlink()
    problems = content.check(content_root, models, ["en-US"])
    assert problems and all("good_things" in p or "share" in p for p in problems[:3])


def test_the_new_program_is_played_resumed_and_finished_through_lambda(person: Talk) -> None:
    person.launch()
    said = person.say("StartProgramIntent", program="three good things")
    assert "Let's do three good things, together." in said.text
    # Its two guided steps are one piece, which ends with the last one's question.
    assert "three good things from today" in said.text and "Tell each other" in said.text
    assert said.text.endswith("Did you each share your three good things?")
    assert "Did you each share" in said.reprompt and not said.ended
    person.end("EXCEEDED_MAX_REPROMPTS")  # the session closes in the piece

    # Another day: the skill offers that exercise again.
    back = person.launch()
    assert "we stopped in the middle of a practice" in back.text
    said = person.say("AMAZON.YesIntent")
    assert "Tell each other your three things." in said.text
    assert "step 2 of 2" in person.say("WhereAmIIntent").text

    done = person.say("AMAZON.YesIntent")
    assert "Lovely. Say them to each other again tomorrow." in done.text
    # What it offers next is the content's "then": the five tips.
    assert "Would you like to hear the five tips?" in done.text
    person.say("AMAZON.StopIntent")

    again = person.launch()
    assert "Last time, you did three good things." in again.text


def test_the_menu_names_the_new_program(person: Talk) -> None:
    person.launch()
    menu = person.say("AMAZON.NavigateHomeIntent")
    assert "Or we can do three good things, together." in menu.text


def test_its_progress_is_stored_under_its_id(person: Talk, tmp_path: Path) -> None:
    person.launch()
    person.say("StartProgramIntent", program="good things")
    person.say("AMAZON.StopIntent")
    store = SqliteProgressStore(tmp_path / "progress.sqlite3")
    try:
        stored = store.read(person.driver.user_id)
    finally:
        store.close()
    assert stored["programs"]["good_things"]["position"] == 2  # both steps, one piece
    assert stored["current"] == "good_things"
