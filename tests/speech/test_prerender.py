"""Replies rendered ahead at build time: the same words, and no Jinja2 on a cold start."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from skill.core.dialog import Action, Command, Conversation, handle
from skill.core.progress import Progress
from skill.speech import prerender
from skill.speech.programs import get_catalog
from skill.speech.render import Speech, reply_key, templates_digest

from support import tip_reply

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def tables(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The tables the zips ship, rendered by ``prerender.build`` for these sources: kept
    under build/ by their digest, so the build tests and the next run share them."""
    from skill.tools.zipfiles import prerendered_tables

    return prerendered_tables(tmp_path_factory.mktemp("prerendered"))


@pytest.mark.slow  # full tier: the tables of every reply (kept under build/ by digest)
def test_tables_hold_exactly_what_the_templates_say(tables: Path) -> None:
    live = Speech(prerendered_dir=None)
    for locale in ("en-US", "en-GB"):
        documents = prerender.load(tables, locale)
        assert sum(len(d["replies"]) for d in documents.values()) > 500
        for name, document in documents.items():
            for key, stored in document["replies"].items():
                view, card, data = json.loads(key)
                assert view == name, key
                rendered = live.render_now(locale, view, data, card)
                assert stored == list(rendered), key  # a practice's timeline included


@pytest.mark.slow  # full tier: explores the whole dialog
def test_every_partner_word_of_the_model_is_rendered_ahead(tables: Path) -> None:
    replies = prerender.load(tables, "en-US")["step"]["replies"]
    partners = prerender.partner_words(ROOT / "interaction_model" / "en-US.json")
    assert "husband" in partners and "girlfriend" in partners
    for partner in partners:
        reply = tip_reply(1, intro=True, partner=partner)
        assert reply_key("step", reply.data, reply.card) in replies


@pytest.mark.slow  # full tier: explores the whole dialog
def test_a_table_from_other_templates_is_not_used(tables: Path, tmp_path: Path) -> None:
    document = prerender.load(tables, "en-US")["welcome"]
    welcome = handle(Conversation(), Progress(), Command(Action.LAUNCH), 0, get_catalog()).reply
    key = reply_key("welcome", welcome.data, None)
    document["replies"][key] = ["Old words.", "Old reprompt.", None, None]
    (tmp_path / "en-US").mkdir()
    (tmp_path / "en-US" / "welcome.json").write_text(json.dumps(document))
    assert (
        Speech(prerendered_dir=tmp_path).render("en-US", "welcome", welcome.data).speech
        == "Old words."
    )
    document["templates"] = "0" * 64  # templates edited since the table was made
    (tmp_path / "en-US" / "welcome.json").write_text(json.dumps(document))
    fresh = Speech(prerendered_dir=tmp_path).render("en-US", "welcome", welcome.data)
    assert fresh.speech and fresh.speech.startswith("Welcome to Ally Coach")


def test_a_rebuild_drops_tables_of_views_that_are_gone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    welcome = handle(Conversation(), Progress(), Command(Action.LAUNCH), 0, get_catalog()).reply
    monkeypatch.setattr(
        prerender, "reachable_replies", lambda catalog, partners: [(welcome, "start")]
    )
    (tmp_path / "en-US").mkdir()
    (tmp_path / "en-US" / "renamed_view.json").write_text("{}")
    assert prerender.build(tmp_path, ["en-US"]) == 1
    assert sorted(prerender.load(tmp_path, "en-US")) == ["welcome"]


@pytest.mark.slow  # the tables of every reply
def test_unforeseen_slot_words_are_rendered_on_demand(tables: Path) -> None:
    reply = tip_reply(1, intro=True, partner="sweetheart")
    rendered = Speech(prerendered_dir=tables).render("en-US", "step", reply.data, reply.card)
    assert rendered.speech and "inviting your sweetheart" in rendered.speech


@pytest.mark.slow
def test_a_cold_start_with_tables_answers_without_jinja(tables: Path, tmp_path: Path) -> None:
    code = f"""
import json, sys
from pathlib import Path
from skill.lambda_function import invoke
from skill.store.sqlite import SqliteProgressStore
from skill.alexa.skill_builder import build_skill
from skill.speech.render import Speech
skill = build_skill(SqliteProgressStore({str(tmp_path / "p.db")!r}),
                    speech=Speech(prerendered_dir=Path({str(tables)!r})))
event = json.loads(Path({str(ROOT / "tests/fixtures/launch_request.json")!r}).read_text())
response = invoke(skill, event)
assert "Welcome to Ally Coach" in response["response"]["outputSpeech"]["ssml"]
print("jinja2" in sys.modules, "boto3" in sys.modules)
"""
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "False"]


def test_the_templates_digest_sees_any_edit_and_ignores_build_output(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(ROOT / "templates", root, ignore=shutil.ignore_patterns("_*", "__pycache__"))
    before = templates_digest.__wrapped__(root)
    (root / "_prerendered" / "en-US").mkdir(parents=True)
    (root / "_prerendered" / "en-US" / "welcome.json").write_text("{}")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "x.ssml.j2").write_text("bytecode")
    assert templates_digest.__wrapped__(root) == before
    view = root / "en" / "views" / "welcome.ssml.j2"
    source = view.read_text()
    view.write_text(source.replace("Welcome", "Welkome", 1))  # same size, one letter
    assert templates_digest.__wrapped__(root) != before
