"""Hearing danger in what people type or say: the first check on every utterance.

Transparent on purpose. Each category is a list of cues (regular expressions over the
canonical words, see ``text.canonical``) that a person can read and a test can pin down.
A cue that matches counts unless one of two checks takes it back:

- **negation**: a "not", "never", "nobody" shortly before it, in the same clause and
  about the same thing ("he's not abusive, just distant", "he never hits me"). "Anymore"
  or "again" keep it a disclosure ("he doesn't hit me anymore" says he did). A cue that
  is itself negative ("I don't feel safe", "no reason to live") is never taken back.
- **figure of speech or the wrong object**: "she'd kill me if she knew", "this is killing
  me", "he feels threatened by therapy", "it hit me that...", "it's not safe, I'm
  driving". Each cue names its own exceptions.

When any cue holds, the utterance is a disclosure; when cues matched but all were taken
back, it is a near miss, and the resolver keeps the safety intents out of its guesses.
Over-hearing is the safe mistake: the safety answer lets the user say it misread them.

What this does not do: it hears words, not people. It misses what is not said, what is
said in words it has no cue for, and sarcasm; it cannot tell who is speaking. It is a
way to give the crisis numbers quickly, not a crisis service. The category is for
tests and the evaluation only: never log it, store it or send it anywhere.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass

PHYSICAL = "physical"
THREATS = "threats"
FEAR = "fear"
SEXUAL = "sexual"
COERCIVE_CONTROL = "coercive_control"
STALKING = "stalking"
SELF_HARM = "self_harm"

CATEGORIES = (PHYSICAL, THREATS, FEAR, SEXUAL, COERCIVE_CONTROL, STALKING, SELF_HARM)
PARTNER_DANGER = frozenset(CATEGORIES) - {SELF_HARM}


@dataclass(frozen=True)
class Cue:
    """One way a disclosure can be worded."""

    category: str
    pattern: re.Pattern[str]
    # Whether a "not"/"never" before it takes it back (False for cues that are negative).
    negatable: bool = True
    # Taken back when the words just before it end like this ("it | hit me").
    not_after: re.Pattern[str] | None = None
    # Taken back when the utterance has these words anywhere ("not safe" while driving).
    unless: re.Pattern[str] | None = None


def cue(
    category: str,
    pattern: str,
    *,
    negatable: bool = True,
    not_after: str | None = None,
    unless: str | None = None,
) -> Cue:
    # A word skipped inside a cue is never a "not": "he would never hurt me" must reach
    # the negation check, not be read past.
    pattern = pattern.replace(r"(?:\w+ )", r"(?:(?!(?:not|never|no)\b)\w+ )")
    return Cue(
        category,
        re.compile(pattern),
        negatable,
        re.compile(not_after + r"\s*$") if not_after else None,
        re.compile(unless) if unless else None,
    )


# Words that take back a cue shortly after them, and the words that end a clause.
_NEGATORS = frozenset({"not", "never", "no", "nobody", "nothing", "neither", "nor", "hardly"})
_BOUNDARIES = frozenset(
    {
        "but",
        "and",
        "just",
        "though",
        "although",
        "however",
        "so",
        "because",
        "yet",
        "or",
        "then",
        "except",
        "only",
        "also",
        "plus",
        "while",
        "when",
        "if",
        "after",
        "before",
        "until",
        "since",
        "that",
        "who",
        "which",
        "where",
        "whenever",
        "instead",
        "rather",
        "actually",
    }
)
# "not only does he hit me": not a denial of what follows.
_NOT_NEGATING_NEXT = frozenset({"only", "just", "even"})
# "I'm not sure he wouldn't hurt me", "I don't know if he'd hurt me": doubt, which
# denies nothing in the rest of the clause.
_DOUBT = frozenset({"sure", "know", "certain", "tell"})
# Someone doing something between the "not" and the cue: the "not" is about that.
_SUBJECTS = frozenset(
    {"he", "she", "they", "i", "we", "you", "someone", "somebody", "anyone", "anybody", "my"}
)
_ANY = frozenset({"anyone", "anybody"})
# "I don't think he'd hurt me" still denies the hurt.
_OPINION = re.compile(r"^(?:think|believe|say|mean|feel like|feel|would say|suppose)(?: that)?\b")
# "He doesn't hit me anymore": it happened.
_STILL_HAPPENED = re.compile(r"\b(?:anymore|any more|again|used to|no longer|stopped)\b")
_WINDOW = 6


def _negated(words: str, start: int) -> bool:
    """Whether a "not" or "never" before ``start`` denies what comes at ``start``."""
    before = words[:start].split()
    if not before:
        return False
    clause: list[str] = []
    for word in reversed(before[-_WINDOW:]):
        if word in _BOUNDARIES:
            break
        clause.insert(0, word)
    if any(w in _NEGATORS and nxt in _DOUBT for w, nxt in itertools.pairwise(clause)):
        return False
    for i, word in enumerate(clause):
        if word not in _NEGATORS:
            continue
        following = clause[i + 1 :]
        if following[:1] and following[0] in _NOT_NEGATING_NEXT:
            continue
        between = " ".join(following)
        subjects = [w for w in following if w in _SUBJECTS or w in _ANY]
        # "I'm not saying anyone hurt me": "anyone" is the subject, and it is denied.
        if subjects and subjects[-1] in _ANY and following[-1] in _ANY:
            return True
        if any(w in _SUBJECTS for w in following) and not _OPINION.match(between):
            continue
        return True
    return False


def _clause_after(words: str, start: int) -> str:
    """The rest of the clause from ``start`` on."""
    rest = words[start:].split()
    taken: list[str] = []
    for word in rest:
        if word in {"but", "though", "although", "however"}:
            break
        taken.append(word)
    return " ".join(taken)


@dataclass(frozen=True)
class Finding:
    """What the safety check heard in one utterance."""

    category: str | None = None  # the first category that held, or None
    near_miss: bool = False  # cues matched, and every one was taken back

    @property
    def flagged(self) -> bool:
        return self.category is not None


def _holds(cue: Cue, words: str, match: re.Match[str]) -> bool:
    if cue.unless is not None and cue.unless.search(words):
        return False
    if cue.not_after is not None and cue.not_after.search(words[: match.start()]):
        return False
    if cue.negatable and _negated(words, match.start()):
        return bool(_STILL_HAPPENED.search(_clause_after(words, match.start())))
    return True


def check(words: str, cues: tuple[Cue, ...], figures: re.Pattern[str]) -> Finding:
    """The finding for ``words`` in canonical form (``text.canonical``)."""
    matched = False
    for cue in cues:
        for match in cue.pattern.finditer(words):
            matched = True
            if _holds(cue, words, match):
                return Finding(cue.category)
    return Finding(near_miss=matched or bool(figures.search(words)))
