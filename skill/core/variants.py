"""Variant picking and pacing: the words a reply is said with, counted in the session."""

from __future__ import annotations

from typing import Any

from skill.core.progress import Progress
from skill.core.values import FIXED_VIEWS, VARIANTS, Conversation, Reply


def voiced(reply: Reply, state: Conversation, progress: Progress) -> tuple[Reply, Conversation]:
    """The reply with its variant (``v``) and the person's pacing, counted in the session.

    The variant of a view is the number of times this session said it, offset by the
    person's visits before this one: within a session no variant of a view follows
    itself, each visit's welcome differs from the last one's, and a first visit hears
    the first variant of everything."""
    assert reply.view is not None
    extra: dict[str, Any] = {}
    if progress.pace:
        extra["pace"] = progress.pace
    if progress.room:
        extra["room"] = progress.room
    if reply.view not in FIXED_VIEWS:
        uses = dict(state.uses)
        count = uses.get(reply.view, 0)
        extra["v"] = (count + max(progress.visits - 1, 0)) % VARIANTS
        uses[reply.view] = count + 1
        state = state._replace(uses=tuple(sorted(uses.items())))
    if not extra:
        return reply, state
    return reply._replace(data={**reply.data, **extra}), state
