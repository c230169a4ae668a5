"""A simulated Echo: real Alexa request envelopes through a skill handler, for the chat and
the browser simulator (``skill.channels.text.Skill``).

Each request is the JSON Alexa would post (``skill.alexa.envelopes.SessionDriver``), sent
through ``handler(event, context)``: ``lambda_handler`` itself unless told otherwise. The
Echo plays APL for Audio, as today's Echo devices do: a practice comes back as one
document, whose speech and silences are its answer (``skill.speech.apla.read``). The
answer is read back from the response, and the view and action of the turn from the turn
service's explicit hook (``skill.service.turns.watching``), never from the logs; when the
handler served no turn in this thread (a fake one, say), the view comes from the session
attributes' last reply, and the action stays unknown.
"""

from __future__ import annotations

import getpass
import hashlib
from collections.abc import Callable, Mapping
from typing import Any

from skill.alexa.envelopes import LOCAL_SKILL_ID, SessionDriver
from skill.channels.text import LAUNCH_REQUEST, SESSION_ENDED_REQUEST, Said
from skill.service.turns import watching
from skill.speech.apla import INTERFACE, RENDER_DOCUMENT, read

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


def default_user_id() -> str:
    """Stable per person on this machine, so the embedded store remembers them (the chat
    and the simulator talk as the same person)."""
    who = hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:24]
    return f"amzn1.ask.account.LOCAL{who.upper()}"


class Echo:
    """One device, one person (user ID), one locale, one session at a time."""

    def __init__(
        self,
        handler: Handler,
        user_id: str,
        locale: str = "en-US",
        application_id: str | None = None,
        *,
        apla: bool = True,
        reminders: bool = True,
    ) -> None:
        self.handler = handler
        # With SKILL_ID set the skill rejects requests for other skills, so speak as it.
        self.driver = SessionDriver(
            user_id=user_id,
            locale=locale,
            application_id=application_id or LOCAL_SKILL_ID,
            interfaces={INTERFACE: {}} if apla else {},
        )
        if reminders:
            # Reminders go to the local fake of Alexa's Reminders API, with the permission
            # given: the Echo says the reminder it would set (skill.channels.fake_reminders).
            from skill.channels.fake_reminders import shared_fake
            from skill.service.reminding import SCOPE

            fake = shared_fake()
            self.driver.api_endpoint = fake.endpoint
            self.driver.api_token = fake.token
            self.driver.granted = (SCOPE,)
        self.sent: list[str] = []  # request types sent, in order

    @property
    def active(self) -> bool:
        return self.driver.active

    @property
    def attributes(self) -> dict[str, Any]:
        """The session attributes Alexa carries for the open session."""
        return self.driver.attributes

    def launch(self) -> Said:
        return self._send(self.driver.launch(), LAUNCH_REQUEST)

    def intent(self, name: str, slots: Mapping[str, str | None]) -> Said:
        return self._send(self.driver.intent(name, dict(slots)), name)

    def end(self, reason: str) -> None:
        self._send(self.driver.session_ended(reason), SESSION_ENDED_REQUEST)

    def _send(self, envelope: dict[str, Any], request: str) -> Said:
        self.sent.append(str(envelope["request"]["type"]))
        with watching() as served:
            response = self.handler(envelope, None)
        if not isinstance(response, dict):
            raise TypeError(f"skill handler returned {type(response).__name__}, not a dict")
        self.driver.update(response)
        body = response.get("response") or {}
        card = body.get("card") or {}
        ended = not self.driver.active
        view = action = None
        private = False
        if served:
            view, action = served[-1].reply.view, served[-1].action.value
            private = any(turn.private for turn in served)
        elif not ended:
            conversation = (response.get("sessionAttributes") or {}).get("conversation") or {}
            view = (conversation.get("last") or {}).get("view")
        speech = (body.get("outputSpeech") or {}).get("ssml")
        document = next(
            (
                d.get("document")
                for d in body.get("directives") or []
                if isinstance(d, dict) and d.get("type") == RENDER_DOCUMENT
            ),
            None,
        )
        if document:
            speech = read(document).ssml
        return Said(
            request=request,
            speech=speech,
            reprompt=((body.get("reprompt") or {}).get("outputSpeech") or {}).get("ssml"),
            card_title=card.get("title") if card else None,
            card_text=(card.get("text") or card.get("content") or "") if card else None,
            ended=ended,
            view=view,
            action=action,
            private=private,
            document=document,
        )
