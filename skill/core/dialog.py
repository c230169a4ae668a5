"""The dialog core: conversation state + command -> new state + what to say.

Pure and channel-agnostic: no ASK SDK, no storage, no clock of its own. Alexa handlers,
the terminal chat and the phone line are adapters that turn their input into a
``Command`` and render the ``Reply`` through the templates.

It walks any program of the ``Catalog`` it is given (``skill.core.program``): next, back,
repeat, a step by number, the list, where am I, pause and resume, practices, and resuming
across sessions all come from the program's content. No program is known here by name.

The core is split along its seams; this module is its entry point (``handle``) and the
dispatch, and it re-exports the values every channel uses:

* ``skill.core.values``: Action, Question, Command, Reply, Conversation (and its
  migration from older sessions), Turn;
* ``skill.core.blocks``: one turn's view of the catalog, conversation and progress, and
  the replies that ask, aside or offer;
* ``skill.core.walk``: launch, the menu and walking a program;
* ``skill.core.answers``: answers to the open question, pace, resume and the like;
* ``skill.core.hold``: the safety hold;
* ``skill.core.variants``: the variant and pacing every reply is said with.
"""

from __future__ import annotations

from typing import Any

from skill.core.answers import Answers
from skill.core.hold import CHECK_IN_QUESTIONS, SafetyHold
from skill.core.program import Catalog
from skill.core.progress import Progress
from skill.core.reminding import TENDER_VIEWS
from skill.core.values import (
    FIXED_VIEWS,
    MAX_MISSES,
    MISSES_TO_END,
    NO_DATA,
    VARIANTS,
    Action,
    Command,
    Conversation,
    Question,
    Reply,
    Turn,
)
from skill.core.variants import voiced

# What is answered as usual while coaching is held after a safety answer: a new session,
# its end, and deleting one's data (which can matter most to someone at risk).
_WHILE_HELD = frozenset({Action.LAUNCH, Action.SESSION_ENDED, Action.FORGET})
# Asides after which "repeat" still says what was playing before them.
_NOT_REPEATED = frozenset({Action.REPEAT, Action.PAUSE, Action.HELP})
# Replies "repeat" never says again: silence, a miss, the quiet word during a turn, names.
_NOT_KEPT = frozenset({None, "fallback", "turn_wait", "names"})


def handle(
    conversation: Conversation, progress: Progress, command: Command, now: int, catalog: Catalog
) -> Turn:
    """Answer one command. ``now`` is epoch seconds, used only for visits and recaps."""
    if catalog.get(conversation.program) is None and conversation.program is not None:
        conversation = Conversation(last=conversation.last)  # a program the content dropped
    turn = _Dialog(catalog, conversation, progress, now).dispatch(command)
    reply = turn.reply
    state = turn.conversation
    action = command.action
    # The conversation's changes are gathered and made at once: this runs on every turn,
    # and hundreds of thousands of times when the build explores the dialog.
    changes: dict[str, Any] = {}
    missed = reply.view == "fallback" and action is not Action.REPEAT
    if not missed and not state.hold and state.misses:
        changes["misses"] = 0  # understood: the next fallback is a short one again
    uses = conversation.uses  # the session's count, whatever the turn
    if reply.view is not None and action is not Action.REPEAT:
        reply, uses = voiced(reply, uses, turn.progress)
    if uses is not state.uses:
        changes["uses"] = uses
    # "Repeat" says again what the user was last taken through, not the pause notice, help
    # nor a fallback; while coaching is held nothing of the safety answer is kept to repeat.
    if reply.view not in _NOT_KEPT and action not in _NOT_REPEATED:
        changes["last"] = None if state.hold else reply
    # Kept for the visit, whatever part of the dialog built the new state: whether this
    # channel can set reminders, and whether one may be offered (not after a disclosure).
    if (conversation.quiet or reply.view in TENDER_VIEWS) and not state.quiet:
        changes["quiet"] = True
    if conversation.can_remind and not state.can_remind:
        changes["can_remind"] = True
    if reply.end_session:
        state = Conversation()
    elif changes:
        state = state._replace(**changes)
    return Turn(state, turn.progress, reply, turn.forget)


class _Dialog(Answers, SafetyHold):
    """One turn: the dispatch of a command to the part of the dialog that answers it."""

    def dispatch(self, cmd: Command) -> Turn:
        a, c, p = cmd.action, self.c, self.p
        if a in (Action.SAFETY, Action.SELF_HARM):
            return self.safety(a, cmd.partner)
        if c.question in CHECK_IN_QUESTIONS and not c.hold:
            answered = self.checked(cmd)
            if answered is not None:
                return answered
        forgetting = c.question is Question.FORGET and a in (Action.YES, Action.NO)
        if c.hold and a not in _WHILE_HELD and not forgetting:
            return self.held(a)
        if a in (Action.CHECK_IN, Action.CHECK_IN_SELF_HARM):
            return self.check_in(a)
        if a is Action.FEELINGS:
            return self.aside("feelings", checked=False)
        if a is Action.MISUNDERSTOOD:
            # Nothing was taken as a disclosure: an apology, and what can be said here.
            return self.aside("apology")
        if a is Action.SESSION_ENDED:
            return self.session_ended()
        if a is Action.LAUNCH:
            return self.launch()
        if a is Action.STOP:
            return self.goodbye()
        if a is Action.HELP:
            return self.aside("help", piece=self.in_piece)
        if a is Action.FALLBACK:
            return self.fallback()
        if a in (Action.SLOWER, Action.FASTER, Action.MORE_TIME):
            return self.pacing(a)
        if a in (Action.SOUND, Action.NO_SOUND):
            return self.sound(cmd)
        if a is Action.LEAVE:
            return self.leave()
        if a is Action.SWITCH:
            return self.switch()
        if a is Action.FINISH:
            return self.finish()
        if a is Action.NAMES:
            return self.named(cmd)
        if a is Action.HOW_LONG:
            return self.how_long()
        if a is Action.REMIND:
            return self.remind(cmd)
        if a is Action.REMIND_CONSENT:
            return self.reminder_consent(cmd)
        if a is Action.REMINDERS:
            return self.reminder("list")
        if a is Action.REMINDER_CHANGE:
            return self.reminder_change(cmd)
        if a is Action.REMINDER_CANCEL:
            return self.reminder("cancel")
        if a is Action.HOW_AM_I_DOING:
            return self.how_am_i_doing()
        if a in (Action.YES, Action.NO) and c.question in (Question.REMIND, Question.REMIND_TIME):
            return self.remind_answer(a)
        if a is Action.ABOUT:
            return self.aside("about")
        if a is Action.DONT_KNOW:
            return self.dont_know()
        if a is Action.REPEAT:
            if c.last is None:
                return self.menu()
            if c.last.data.get("brief"):  # a step said shortly: "repeat" says all of it
                return Turn(c, p, c.last._replace(data={**c.last.data, "brief": False}))
            return Turn(c, p, c.last)
        if a is Action.PAUSE:
            turn = self.aside("paused", remember=self.remember())
            return turn._replace(conversation=c._replace(paused=True))
        if a is Action.HOME:
            return self.menu()
        if a is Action.FORGET:
            return self.ask("forget_confirm", {}, Question.FORGET)
        if a is Action.EYES_OPEN:
            return self.eyes_open()
        if a is Action.START_PROGRAM:
            return self.topic(cmd) if self.in_piece else self.start_program(cmd)
        if a is Action.START_OVER:
            program = self.program or self.catalog.main
            return self.step(program, 1, intro=True)
        if a is Action.GO_TO_STEP:
            return self.go_to_step(cmd)
        if a is Action.LIST_STEPS:
            return self.aside("list_steps", program=self.numbered.id)
        if a is Action.WHERE_AM_I:
            return self.where_am_i()
        if a is Action.RESUME:
            return self.resume()
        if a is Action.NEXT:
            return self.next()
        if a is Action.PREVIOUS:
            return self.previous(cmd.number or 1)
        if a in (Action.YES, Action.NO, Action.READY):
            return self.answer(a)
        raise ValueError(f"unhandled action {a}")  # pragma: no cover - every Action is above

    def session_ended(self) -> Turn:
        """The session closed (silence, an error, the person walked away). In a practice
        that is remembered, and the next visit offers the practice again."""
        c, p, program = self.c, self.p, self.program
        if self.in_piece and program is not None:
            first = c.part if program.step(c.step).kind == "guided" else c.step
            p = p.with_program(program.id, p.of(program.id)._replace(unfinished=first))
        return Turn(c, p, Reply(None, end_session=True))


__all__ = [
    "FIXED_VIEWS",
    "MAX_MISSES",
    "MISSES_TO_END",
    "NO_DATA",
    "VARIANTS",
    "Action",
    "Command",
    "Conversation",
    "Question",
    "Reply",
    "Turn",
    "handle",
]
