"""The safety hold: after a safety answer coaching stops, until a misreading is undone."""

from __future__ import annotations

from skill.core.blocks import DialogBase
from skill.core.values import Action, Conversation, Reply, Turn


class SafetyHold(DialogBase):
    def safety(self, a: Action, partner: str | None = None) -> Turn:
        """Coaching stops: no persuasion advice, just where to find help now. The session
        stays open so that a misreading can be undone, and nothing comes back on its own.
        The partner named (danger from a partner) goes to this answer only, to pick a
        helpline that serves the person speaking: the held state keeps none of it."""
        c = self.c
        before = c.before if c.hold else c._replace(last=c.last)
        state = Conversation(hold=True, before=before, eyes_open=c.eyes_open)
        if a is Action.SELF_HARM:
            return Turn(state, self.p, Reply("self_harm", {}, card="numbers"))
        data = {"partner": partner} if partner else {}
        return Turn(state, self.p, Reply("safety", data, card="numbers"))

    def held(self, a: Action) -> Turn:
        """Anything said after a safety answer, before the user says it was a misreading."""
        c, p = self.c, self.p
        if a is Action.MISUNDERSTOOD:
            before = c.before or Conversation()
            self.c = before
            return self.aside("misunderstood")
        if a is Action.STOP:
            return Turn(
                Conversation(), p, Reply("safety_goodbye", {}, card="numbers", end_session=True)
            )
        if a in (Action.REPEAT, Action.HELP):
            return Turn(c, p, Reply("safety_numbers", {}, card="numbers"))
        return Turn(c, p, Reply("safety_hold", {}))
