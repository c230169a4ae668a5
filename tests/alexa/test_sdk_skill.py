"""skill.alexa.sdk_skill: the skill object answers exactly as ask-sdk's CustomSkill would.

Both are built with the same handlers on two stores with the same content; every request
of the bench's scripted session and every fixture envelope goes to both, and what they
answer (or raise) must be the same, user agent included. Then: the Lambda entry point
never loads the SDK's service clients, which is what the skill object is for.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ask_sdk_core.skill_builder import CustomSkillBuilder

from skill.alexa import skill_builder
from skill.alexa.envelopes import SessionDriver
from skill.alexa.invoke import UnreadableRequest, invoke
from skill.alexa.sdk_skill import Skill, SkillBuilder
from skill.store.sqlite import SqliteProgressStore

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
ROOT = Path(__file__).resolve().parents[2]
SKILL_ID = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"


def _sdk_skill(
    adapter: SqliteProgressStore, skill_id: str | None, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """The same skill, the same handlers, through ask-sdk's own builder and CustomSkill."""

    def sdk_builder(persistence_adapter: Any, skill_id: str | None) -> Any:
        builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
        builder.skill_id = skill_id
        return builder

    with monkeypatch.context() as patch:
        patch.setattr(skill_builder, "SkillBuilder", sdk_builder)
        return skill_builder.build_skill(adapter, skill_id=skill_id)


def _answer(skill: Any, event: dict[str, Any]) -> Any:
    try:
        return invoke(skill, event)
    except UnreadableRequest as exc:
        return ("refused", type(exc).__name__, str(exc))
    except Exception as exc:  # the same failure on both sides is the same behaviour
        return ("raised", type(exc).__name__, str(exc))


@pytest.mark.parametrize("skill_id", [None, SKILL_ID])
def test_answers_like_the_sdks_custom_skill(
    tmp_path: Path, skill_id: str | None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ours_store = SqliteProgressStore(tmp_path / "ours.sqlite3")
    sdk_store = SqliteProgressStore(tmp_path / "sdk.sqlite3")
    ours = skill_builder.build_skill(ours_store, skill_id=skill_id)
    sdk = _sdk_skill(sdk_store, skill_id, monkeypatch)
    assert isinstance(ours, Skill) and not isinstance(sdk, Skill)

    from bench.conversation import ALLY_COACH_SCRIPT, LAUNCH

    compared = 0
    for user in ("amzn1.ask.account.ONE", "amzn1.ask.account.TWO"):
        driver = SessionDriver(user_id=user)
        for name, slots in ALLY_COACH_SCRIPT:
            event = driver.launch() if name == LAUNCH else driver.intent(name, slots)
            answer = _answer(ours, event)
            assert answer == _answer(sdk, json.loads(json.dumps(event)))
            driver.update(answer)
            compared += 1
    for path in sorted(FIXTURES.rglob("*.json")):
        if "phone" in path.parts or "programs" in path.parts:
            continue
        event = json.loads(path.read_bytes())
        if not isinstance(event, dict):
            continue
        assert _answer(ours, event) == _answer(sdk, json.loads(path.read_bytes())), path.name
        compared += 1
    assert compared > 70
    ours_store.close()
    sdk_store.close()


def test_the_builder_keeps_handlers_in_order(tmp_path: Path) -> None:
    built = SkillBuilder(skill_id=SKILL_ID).create()
    assert built.skill_id == SKILL_ID and built.persistence_adapter is None
    assert built.supports({"request": {}}, None) and not built.supports({}, None)


def test_the_lambda_entry_point_loads_no_service_clients(tmp_path: Path) -> None:
    script = (
        "import json, sys\n"
        "from skill.alexa.envelopes import SessionDriver\n"
        "from skill.lambda_function import lambda_handler\n"
        "answer = lambda_handler(SessionDriver(user_id='amzn1.ask.account.X').launch(), None)\n"
        "print(json.dumps(['outputSpeech' in answer['response'],"
        " sorted(m for m in sys.modules if m.startswith('ask_sdk_model.services')"
        " or m in ('ask_sdk_core.skill', 'ask_sdk_core.serialize'))]))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin", "SKILL_DB_PATH": str(tmp_path / "p.sqlite3")},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    spoke, loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert spoke and loaded == []
