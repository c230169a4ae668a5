"""Who is calling: the caller's user ID (a hash, never the number) and the call's binding."""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

USER_PREFIX = "phone:"
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# What Twilio puts in From when the caller ID is withheld: keypad spellings of ANONYMOUS,
# RESTRICTED, BLOCKED, UNKNOWN and UNAVAILABLE. Such callers must not share one progress.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})


def caller_user_id(number: str | None, call_sid: str, pepper: str | None = None) -> str:
    """The skill user ID of a caller: ``phone:`` + a SHA-256 of their number.

    The number itself is never stored or logged. With a pepper (a secret), the hash is an
    HMAC, so a leaked store cannot be reversed by hashing every possible number. A caller
    without caller ID gets an ID for this call only: they cannot resume, but nor can a
    stranger who also withholds their number pick up their progress.
    """
    cleaned = re.sub(r"[\s().-]", "", number or "")
    if not _E164.match(cleaned) or cleaned in WITHHELD_NUMBERS:
        call = hashlib.sha256(call_sid.encode("utf-8")).hexdigest()
        return f"{USER_PREFIX}call:{call}"
    if pepper:
        digest = hmac.new(pepper.encode("utf-8"), cleaned.encode("utf-8"), hashlib.sha256)
        return USER_PREFIX + digest.hexdigest()
    return USER_PREFIX + hashlib.sha256(cleaned.encode("utf-8")).hexdigest()


def caller_binding(form: Mapping[str, str], pepper: str | None = None) -> str:
    """A hash of who called whom (``From`` and ``To``), which every webhook of a call must
    repeat: a signed webhook that names this call with another caller drives nothing."""
    who = f"{(form.get('From') or '').strip()}|{(form.get('To') or '').strip()}"
    key = (pepper or "ally-coach-phone-caller").encode("utf-8")
    return hmac.new(key, who.encode("utf-8"), hashlib.sha256).hexdigest()
