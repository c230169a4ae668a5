"""Safety in the dialog: the safety answer and the hold after it, and the check-in.

- **The safety answer.** After a disclosure coaching stops, until the person says it was
  a misreading ("you misunderstood me"); then they are exactly where they were.
- **The check-in.** Words that may be a disclosure, or may not, get one short, direct
  question instead of the alarm: "are you safe right now?" (danger from a partner) or
  "are you having thoughts of suicide?" (self-harm), as crisis lines advise asking. Only a
  clear "I'm safe" carries on where the person was, with no lecture; "no", "not really"
  or anything unclear gets the safety answer. After "I'm fine", that kind of check-in is
  not asked again this visit: the same words get a short acknowledgement instead, and a
  clear disclosure still gets the safety answer.
"""

from __future__ import annotations

from skill.core.blocks import DialogBase
from skill.core.values import (
    PARTNER,
    SELF_HARM,
    Action,
    Command,
    Conversation,
    Question,
    Reply,
    Turn,
)

CHECK_IN_QUESTIONS = frozenset({Question.SAFE_NOW, Question.SUICIDE})
# Turns whose kind may not be logged beside a person: a disclosure, a check-in and a hard
# feeling, and (``is_private``) anything said while a check-in is open or coaching held.
PRIVATE_ACTIONS = frozenset(
    {
        Action.SAFETY,
        Action.SELF_HARM,
        Action.MISUNDERSTOOD,
        Action.CHECK_IN,
        Action.CHECK_IN_SELF_HARM,
        Action.FEELINGS,
    }
)


def guarded(conversation: Conversation) -> bool:
    """Coaching is held, or a check-in is open: what is said now is nobody's business."""
    return conversation.hold or conversation.question in CHECK_IN_QUESTIONS


def is_private(before: Conversation, after: Conversation, action: Action) -> bool:
    return guarded(before) or guarded(after) or action in PRIVATE_ACTIONS


# What carries on as usual while a check-in is open: a new session, its end, and deleting
# one's data (which can matter most to someone at risk).
_PASS_THROUGH = frozenset({Action.LAUNCH, Action.SESSION_ENDED, Action.FORGET})


class SafetyHold(DialogBase):
    def safety(self, a: Action, partner: str | None = None) -> Turn:
        """Coaching stops: no persuasion advice, just where to find help now. The session
        stays open so that a misreading can be undone, and nothing comes back on its own.
        The partner named (danger from a partner) goes to this answer only, to pick a
        helpline that serves the person speaking: the held state keeps none of it."""
        c = self.c
        if c.question in CHECK_IN_QUESTIONS:
            before = c.before  # the check-in kept where the person was
        else:
            before = c.before if c.hold else c._replace(last=c.last)
        state = Conversation(hold=True, before=before, eyes_open=c.eyes_open, fine=c.fine)
        if a is Action.SELF_HARM:
            return Turn(state, self.p, Reply("self_harm", {}, card="numbers"))
        data = {"partner": partner} if partner else {}
        return Turn(state, self.p, Reply("safety", data, card="numbers"))

    def held(self, a: Action) -> Turn:
        """Anything said after a safety answer, before the user says it was a misreading."""
        c, p = self.c, self.p
        if a is Action.MISUNDERSTOOD:
            before = c.before or Conversation()
            self.c = before._replace(fine=c.fine)
            return self.aside("misunderstood")
        if a is Action.STOP:
            return Turn(
                Conversation(), p, Reply("safety_goodbye", {}, card="numbers", end_session=True)
            )
        if a in (Action.REPEAT, Action.HELP):
            return Turn(c, p, Reply("safety_numbers", {}, card="numbers"))
        return Turn(c, p, Reply("safety_hold", {}))

    def check_in(self, a: Action) -> Turn:
        """Unclear words: ask, once per kind a visit, whether the person is safe."""
        c = self.c
        kind = SELF_HARM if a is Action.CHECK_IN_SELF_HARM else PARTNER
        if kind in c.fine:
            return self.aside("feelings", checked=True)
        question = Question.SUICIDE if kind == SELF_HARM else Question.SAFE_NOW
        before = c.before if c.question in CHECK_IN_QUESTIONS else c._replace(last=c.last)
        state = Conversation(
            question=question, before=before, eyes_open=c.eyes_open, fine=c.fine, uses=c.uses
        )
        return Turn(state, self.p, Reply("check_in", {"question": question.value}))

    def checked(self, cmd: Command) -> Turn | None:
        """The answer to a check-in; None for what carries on as usual."""
        a, c = cmd.action, self.c
        if a in _PASS_THROUGH:
            return None
        suicide = c.question is Question.SUICIDE
        safe = a is Action.MISUNDERSTOOD or a is (Action.NO if suicide else Action.YES)
        if safe:
            kind = SELF_HARM if suicide else PARTNER
            fine = tuple(sorted({*c.fine, kind}))
            self.c = (c.before or Conversation())._replace(fine=fine, eyes_open=c.eyes_open)
            return self.aside("check_in_fine")
        if a in (Action.REPEAT, Action.HELP, Action.PAUSE):
            return Turn(
                c, self.p, Reply("check_in", {"question": c.question.value if c.question else None})
            )
        if a is Action.STOP:
            return Turn(
                Conversation(),
                self.p,
                Reply("safety_goodbye", {}, card="numbers", end_session=True),
            )
        # "No", "not really", "I don't know", or anything else: the safety answer.
        return self.safety(Action.SELF_HARM if suicide else Action.SAFETY, cmd.partner)
