"""A caller's PIN: how progress carries from one call to the next on the phone.

Caller ID can be spoofed, so the number alone opens nothing (``identity``): each call
starts on a key of its own. Pressing star and entering a PIN moves the call onto the
*vault* of that number and PIN:

* a vault that holds progress opens at once: "Thank you", then the skill's welcome back;
* an empty one is a new PIN: entered again to confirm, then this call's progress is kept
  there, and the next call that gives the PIN picks it up.

A wrong PIN is just another, empty vault, so no caller learns whether a number has a PIN,
let alone any progress. Guessing is bounded: a few PINs per call, and a few more per
number per day (counted in the call store). Nothing here is logged but that a PIN stage
was reached; never the digits.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from skill.channels.phone.calls import CallStoreUnavailable
from skill.channels.phone.identity import pin_digest, vault_user_id
from skill.channels.phone.twiml import Answer

if TYPE_CHECKING:
    from skill.channels.phone.call import PhoneCall
    from skill.channels.phone.calls import CallState

logger = logging.getLogger(__name__)

PIN_KEY = "*"
PIN_DIGITS = 4
MAX_TRIES_PER_CALL = 3
MAX_TRIES_PER_DAY = 10  # per number, over every call (the call store counts them)
ENTER, CONFIRM = "enter", "confirm"


class Vaults:
    """What a call needs to open vaults: the line's pepper, whether progress carries at all,
    and the count of PIN tries per number."""

    def __init__(self, pepper: str, carries: bool, count_try: Callable[[str], int]) -> None:
        self.pepper = pepper
        self.carries = carries
        self.count_try = count_try


class PinDesk:
    """The PIN steps of one call, on its state."""

    def __init__(self, call: PhoneCall, vaults: Vaults) -> None:
        self.call = call
        self.vaults = vaults

    @property
    def state(self) -> CallState:
        return self.call.state

    @property
    def entering(self) -> bool:
        return bool(self.state.pin_stage)

    def start(self) -> Answer:
        """Star was pressed: ask for a PIN, or say why there is none to give."""
        if not self.vaults.carries:
            return self._said("off")
        if not self.state.line:
            return self._said("withheld")
        if self.state.verified:
            return self._said("given")
        if self.state.pin_tries >= MAX_TRIES_PER_CALL:
            return self._said("no_more")
        self.state.pin_stage = ENTER
        return Answer([self.call.render("phone_pin", stage=ENTER)], keys=PIN_DIGITS)

    def cancel(self) -> Answer:
        """Nothing was entered where a PIN was asked for."""
        self._clear()
        return self._said("none")

    def entry(self, digits: str) -> Answer:
        """The keys entered where a PIN was asked for."""
        stage, first = self.state.pin_stage, self.state.pin_first
        self._clear()
        if len(digits) != PIN_DIGITS or not digits.isdigit():
            return self._said("invalid")
        if stage == CONFIRM:
            return self._confirm(digits, first)
        self.state.pin_tries += 1
        try:
            tries = self.vaults.count_try(self.state.line)
        except CallStoreUnavailable:
            return self._said("not_now")
        if tries > MAX_TRIES_PER_DAY:
            logger.warning("phone pin: too many tries today call=%s", self.call.tag)
            return self._said("no_more_today")
        vault = vault_user_id(self.state.line, digits, self.vaults.pepper)
        service = self.call.service
        kept = service.keeper.load(vault, service.deadline())
        if kept is None:
            return self._said("not_now")
        if not kept.is_new or kept.visits or kept.last_visit is not None:
            logger.info("phone pin: vault opened call=%s", self.call.tag)
            return self.call.open_vault(vault)
        self.state.pin_stage = CONFIRM
        self.state.pin_first = pin_digest(self.state.line, digits, self.vaults.pepper)
        return Answer([self.call.render("phone_pin", stage=CONFIRM)], keys=PIN_DIGITS)

    def _confirm(self, digits: str, first: str) -> Answer:
        if pin_digest(self.state.line, digits, self.vaults.pepper) != first:
            return self._said("mismatch")
        vault = vault_user_id(self.state.line, digits, self.vaults.pepper)
        if not self.call.keep_in_vault(vault):
            return self._said("not_now")
        logger.info("phone pin: set call=%s", self.call.tag)
        return self._said("set")

    def _clear(self) -> None:
        self.state.pin_stage = ""
        self.state.pin_first = ""

    def _said(self, stage: str) -> Answer:
        """A line about the PIN, then what the skill last asked (if a session is open)."""
        return Answer([self.call.render("phone_pin", stage=stage), self.call.question()])
