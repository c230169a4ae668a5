"""Variant picking and pacing: the words a reply is said with, counted in the session."""

from __future__ import annotations

from typing import Any

from skill.core.progress import Progress
from skill.core.values import FIXED_VIEWS, VARIANTS, Reply

Uses = tuple[tuple[str, int], ...]  # how often each view was said (Conversation.uses)


def voiced(reply: Reply, uses: Uses, progress: Progress) -> tuple[Reply, Uses]:
    """The reply with its variant (``v``) and the person's pacing, and the session's count
    of views (``uses``) with this one counted.

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
        counts = dict(uses)
        count = counts.get(reply.view, 0)
        extra["v"] = (count + max(progress.visits - 1, 0)) % VARIANTS
        counts[reply.view] = count + 1
        uses = tuple(sorted(counts.items()))
    if not extra:
        return reply, uses
    return Reply(reply.view, {**reply.data, **extra}, reply.end_session, reply.card), uses
