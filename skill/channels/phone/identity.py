"""Who is calling, as far as a phone line can tell: keyed hashes, never the number.

Caller ID is not identity: it is cheap to spoof, and someone whose partner may check up on
them must not have their progress heard by whoever rings in with their number. So the
number alone opens nothing (docs/phone.md, "Caller ID is not identity"):

* every call starts on a key of its own (``call_user_id``): a fresh start, and nothing
  about earlier calls;
* progress carries from one call to the next in a *vault*: the number together with a
  keypad PIN the caller chose (``vault_user_id``). A wrong PIN opens another, empty vault,
  so no answer tells a caller whether a number has one;
* the number is only ever an HMAC under the line's secret pepper (``line_key``), so a
  store, a log or a call record that leaks cannot be turned back into numbers.

Every hash here is an HMAC-SHA-256 under the pepper (``skill.channels.phone.settings``).
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Mapping

USER_PREFIX = "phone:"
CALL_PREFIX = "phone:call:"
_E164 = re.compile(r"^\+[1-9]\d{7,14}$")
# What Twilio puts in From when the caller ID is withheld: keypad spellings of ANONYMOUS,
# RESTRICTED, BLOCKED, UNKNOWN and UNAVAILABLE. Such callers must not share one progress.
WITHHELD_NUMBERS = frozenset({"+266696687", "+7378742833", "+2562533", "+8656696", "+86282452253"})
LOG_TAG_CHARS = 10


def _mac(pepper: str, purpose: str, value: str) -> str:
    message = f"{purpose}|{value}".encode()
    return hmac.new(pepper.encode("utf-8"), message, hashlib.sha256).hexdigest()


def line_key(number: str | None, pepper: str) -> str:
    """The caller's number as an HMAC, or "" when there is no usable caller ID (withheld,
    a SIP or client address, nonsense): such a caller can keep nothing between calls."""
    cleaned = re.sub(r"[\s().-]", "", number or "")
    if not _E164.match(cleaned) or cleaned in WITHHELD_NUMBERS:
        return ""
    return _mac(pepper, "line", cleaned)


def call_user_id(call_sid: str, pepper: str) -> str:
    """The progress key of one call: nothing from earlier calls, nothing kept after."""
    return CALL_PREFIX + _mac(pepper, "call", call_sid)


def vault_user_id(line: str, pin: str, pepper: str) -> str:
    """The progress key of a number with a PIN: what carries from one call to the next."""
    return USER_PREFIX + _mac(pepper, "vault", f"{line}|{pin}")


def pin_digest(line: str, pin: str, pepper: str) -> str:
    """A PIN entered once, kept in the call's state until it is entered again to confirm."""
    return _mac(pepper, "pin", f"{line}|{pin}")


def caller_binding(form: Mapping[str, str], pepper: str) -> str:
    """A hash of who called whom (``From`` and ``To``), which every webhook of a call must
    repeat: a signed webhook that names this call with another caller drives nothing."""
    who = f"{(form.get('From') or '').strip()}|{(form.get('To') or '').strip()}"
    return _mac(pepper, "binding", who)


def log_tag(pepper: str, value: str) -> str:
    """A short tag for logs, keyed: a log line cannot be traced back to a number by hashing
    every possible number, as a plain hash could."""
    return _mac(pepper, "log", value)[:LOG_TAG_CHARS]
