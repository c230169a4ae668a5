"""What the page is sent: a turn, the page's state, and the person's progress, as JSON."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, jsonify

from skill.channels.simulator.device import Exchange
from skill.channels.simulator.guard import error
from skill.channels.simulator.pages import CONFIG_DIALOGS, Page, catalog, store
from skill.channels.simulator.script import choices, recordable
from skill.channels.simulator.speech_plan import plan_dicts
from skill.config import LOCALES
from skill.core.progress import Progress
from skill.speech.apla import read
from skill.speech.ssml import to_text
from skill.store.base import StorageError

logger = logging.getLogger(__name__)


def speech_json(
    ssml: str | None, document: Mapping[str, Any] | None = None
) -> dict[str, Any] | None:
    """What the page plays: the words and silences, in order. A practice comes as an APL
    for Audio document, and is played as its timeline (silences of any length), with the
    sound under it named (a browser cannot fetch the Alexa sound library)."""
    if not ssml:
        return None
    found: dict[str, Any] = {"ssml": ssml, "text": to_text(ssml), "plan": plan_dicts(ssml)}
    if document:
        heard = read(document)
        found["document"] = True
        found["sound"] = heard.sound.rsplit("/", 1)[-1] if heard.sound else None
    return found


def turn_json(page: Page, exchange: Exchange) -> dict[str, Any]:
    recorded: int | None = None
    if page.recording is not None and recordable(exchange):
        page.recording.append(exchange)
        recorded = len(page.recording) - 1
    return {
        "kind": exchange.kind,
        "said": exchange.said,
        "understood": exchange.understood.to_dict() if exchange.understood else None,
        "requests": exchange.requests,
        "speech": speech_json(exchange.speech_ssml, exchange.document),
        "reprompt": speech_json(exchange.reprompt_ssml),
        "card": exchange.card,
        "ended": exchange.ended,
        "session_open": page.device.active,
        "view": exchange.view,
        "action": exchange.action,
        "recorded": recorded,
        "choices": choices(exchange) if recorded is not None else [],
    }


def state_json(page: Page) -> dict[str, Any]:
    dialogs = current_app.config.get(CONFIG_DIALOGS)
    return {
        "locale": page.device.locale,
        "locales": list(LOCALES),
        "session_open": page.device.active,
        "recording": page.recording is not None,
        "recorded": len(page.recording if page.recording is not None else page.recorded),
        "save_folder": str(dialogs) if dialogs else None,
    }


def progress_summary(data: Mapping[str, Any] | None) -> dict[str, Any]:
    progress = Progress.from_dict(data)
    programs = []
    for program in catalog():
        mine = progress.of(program.id)
        programs.append(
            {
                "id": program.id,
                "name": program.names[0] if program.names else program.id,
                "steps": [step.id for step in program.steps],
                "position": mine.position,
                "heard": sorted(mine.heard),
                "practiced": sorted(mine.practiced),
                "finished": mine.finished,
            }
        )
    visit = progress.last_visit
    return {
        "programs": programs,
        "current": progress.current,
        "last_visit": datetime.fromtimestamp(visit, UTC).isoformat() if visit else None,
        "is_new": progress.is_new,
    }


def progress_json(page: Page) -> Response:
    try:
        # The device's user has no recognised person: the account's own key.
        stored = store().read(page.device.user_id)
    except StorageError as exc:
        logger.warning("simulator could not read progress: %s", exc)
        return error("the progress store could not be read", 503)
    session = page.device.attributes
    return jsonify(
        stored=progress_summary(stored),
        session=progress_summary(session["progress"]) if "progress" in session else None,
        unsaved=bool(session.get("unsaved") or session.get("visit_pending")),
        recording=page.recording is not None,
    )
