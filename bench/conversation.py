"""The scripted conversations both skills answer: ten requests in one Alexa session.

Ally Coach's script walks the main program as a person would (launch, the first tip and
its practice, the next tip, repeat, jump, where am I, stop); the hello world's script
sends the same number of requests to the intents it has. Each session is a new user, so
every session starts with an empty store (one read, then writes as progress changes).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from skill.alexa.envelopes import SessionDriver

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]
# (intent name or "LaunchRequest", slots)
Step = tuple[str, dict[str, str | None]]

LAUNCH = "LaunchRequest"

ALLY_COACH_SCRIPT: tuple[Step, ...] = (
    (LAUNCH, {}),
    ("AMAZON.YesIntent", {}),  # tip 1
    ("AMAZON.YesIntent", {}),  # its practice, one piece
    ("AMAZON.HelpIntent", {}),  # help in the practice
    ("AMAZON.YesIntent", {}),  # the practice's question
    ("AMAZON.YesIntent", {}),  # tip 2
    ("AMAZON.RepeatIntent", {}),
    ("GoToTipIntent", {"number": "4"}),
    ("WhereAmIIntent", {}),
    ("AMAZON.StopIntent", {}),
)

HELLO_WORLD_SCRIPT: tuple[Step, ...] = (
    (LAUNCH, {}),
    *(("HelloWorldIntent", {}),) * 7,
    ("AMAZON.HelpIntent", {}),
    ("AMAZON.StopIntent", {}),
)

TURNS = len(ALLY_COACH_SCRIPT)
assert len(HELLO_WORLD_SCRIPT) == TURNS  # the same number of requests for both


def new_user() -> str:
    return f"amzn1.ask.account.BENCH{uuid.uuid4().hex.upper()}"


@dataclass
class Answered:
    seconds: list[float]  # one per request, handler call only
    responses: list[dict[str, Any]]


def run_session(handler: Handler, script: Sequence[Step], user_id: str | None = None) -> Answered:
    """Send the script as one session; time only the handler call of each request.

    Building envelopes and carrying session attributes is Alexa's work, not the skill's,
    so it stays outside the timed region.
    """
    driver = SessionDriver(user_id=user_id or new_user())
    seconds: list[float] = []
    responses: list[dict[str, Any]] = []
    for name, slots in script:
        event = driver.launch() if name == LAUNCH else driver.intent(name, slots)
        start = time.perf_counter()
        response = handler(event, None)
        seconds.append(time.perf_counter() - start)
        responses.append(response)
        driver.update(response)
    if driver.active:
        raise AssertionError("the scripted session should end with its last request")
    return Answered(seconds, responses)


SCRIPTS: dict[str, tuple[Step, ...]] = {
    "ally_coach": ALLY_COACH_SCRIPT,
    "hello_world": HELLO_WORLD_SCRIPT,
}
