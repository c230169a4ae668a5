"""Issue 25 through ``lambda_handler``: practice reminders by voice, against a local fake
of Alexa's Reminders API (``skill.channels.fake_reminders``) on 127.0.0.1, named by each
envelope's ``context.System.apiEndpoint``. The fake checks every body against Amazon's
documented shape; a test fails if any body did not fit (``fake.invalid``)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest

from skill.channels.fake_reminders import FakeRemindersApi, problems
from skill.lambda_function import lambda_handler
from skill.service.reminding import SCOPE

from support import FIXTURES, Said, Talk

T0 = datetime(2026, 12, 8, 9, tzinfo=UTC)  # a Tuesday, 9:00 in London


@pytest.fixture
def fake() -> Iterator[FakeRemindersApi]:
    with FakeRemindersApi() as api:
        yield api
    assert api.invalid == [], "a body did not fit Amazon's documented shape"


def person(fake: FakeRemindersApi, *, granted: bool = True, locale: str = "en-GB") -> Talk:
    talk = Talk(lambda_handler, locale=locale)
    talk.driver.api_endpoint = fake.endpoint
    talk.driver.api_token = fake.token
    talk.driver.granted = (SCOPE,) if granted else ()
    return talk


def consent(talk: Talk, said: Said, status: str, code: str = "200") -> Said:
    """Alexa asked for the permission by voice; the person answered ``status``."""
    directive = send_request(said)
    if status == "ACCEPTED":
        talk.driver.granted = (SCOPE,)
    envelope = talk.driver.connections_response("AskFor", status, directive["token"], code)
    return talk._send(envelope)


def send_request(said: Said) -> dict[str, Any]:
    found = [
        d for d in said.response.get("directives") or [] if d["type"] == "Connections.SendRequest"
    ]
    assert len(found) == 1, said.response
    return dict(found[0])


def only_reminder(fake: FakeRemindersApi) -> dict[str, Any]:
    assert len(fake.reminders) == 1, fake.reminders
    return next(iter(fake.reminders.values()))


def stored(talk: Talk) -> list[list[str]]:
    return list(talk.driver.attributes["progress"].get("reminders") or [])


# --- permission by voice ------------------------------------------------------------------


def test_without_permission_alexa_asks_by_voice_and_accepting_sets_it(
    fake: FakeRemindersApi,
) -> None:
    talk = person(fake, granted=False)
    talk.launch(T0)
    asked = talk.say("RemindIntent", T0, repeat="evening")
    directive = send_request(asked)
    assert directive["name"] == "AskFor"
    assert directive["payload"] == {
        "@type": "AskForPermissionsConsentRequest",
        "@version": "1",
        "permissionScope": SCOPE,
    }
    assert "outputSpeech" not in asked.response and "shouldEndSession" not in asked.response
    assert fake.reminders == {}  # nothing is set before the person says yes

    said = consent(talk, asked, "ACCEPTED")
    assert said.view == "reminder" and said.data["outcome"] == "set"
    assert not said.ended and "7 PM" in said.text
    trigger = only_reminder(fake)["trigger"]
    assert trigger["type"] == "SCHEDULED_ABSOLUTE" and trigger["timeZoneId"] == "Europe/London"
    assert trigger["scheduledTime"] == "2026-12-08T19:00:00.000"  # this evening, local
    assert trigger["recurrence"]["recurrenceRules"][0].startswith("FREQ=DAILY;BYHOUR=19")
    assert [r[0] for r in stored(talk)] == list(fake.reminders)


@pytest.mark.parametrize("status", ["DENIED", "NOT_ANSWERED"])
def test_denied_or_unanswered_says_so_and_keeps_the_dialog(
    fake: FakeRemindersApi, status: str
) -> None:
    talk = person(fake, granted=False)
    talk.launch(T0)
    said = consent(talk, talk.say("RemindIntent", T0, time="20:00"), status)
    assert said.data["outcome"] == status.lower() and not said.ended
    assert "Alexa app" in said.text and said.reprompt
    assert fake.reminders == {} and ("POST", "/v1/alerts/reminders") not in fake.calls
    assert talk.say("HowAmIDoingIntent", T0).view == "how_am_i_doing"  # the dialog goes on


def test_where_voice_cannot_ask_a_permission_card_is_sent(fake: FakeRemindersApi) -> None:
    talk = person(fake, granted=False)
    talk.launch(T0)
    said = consent(talk, talk.say("RemindIntent", T0, time="20:00"), "NOT_ANSWERED", code="400")
    assert said.data["outcome"] == "card"
    assert said.card == {"type": "AskForPermissionsConsent", "permissions": [SCOPE]}
    assert fake.reminders == {}


# --- set, list, change, cancel ------------------------------------------------------------


def test_a_one_off_reminder_tomorrow_at_eight(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    said = talk.say("RemindIntent", T0, date="2026-12-09", time="20:00")
    assert said.data["outcome"] == "set" and "8 PM" in said.text
    reminder = only_reminder(fake)
    assert reminder["trigger"] == {
        "type": "SCHEDULED_ABSOLUTE",
        "scheduledTime": "2026-12-09T20:00:00.000",
        "timeZoneId": "Europe/London",
    }
    spoken = reminder["alertInfo"]["spokenInfo"]["content"]
    assert spoken == [{"locale": "en-GB", "text": "Time for your Ally practice."}]
    assert reminder["pushNotification"] == {"status": "ENABLED"}


def test_a_reminder_without_a_time_asks_for_one(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    asked = talk.say("RemindIntent", T0, repeat="saturday")
    assert asked.view == "remind_when" and asked.data["question"] == "remind_time"
    assert fake.reminders == {} and asked.text.endswith("in the evening.")
    said = talk.say("RemindIntent", T0, time="MO")  # "in the morning"
    assert said.data["outcome"] == "set"
    trigger = only_reminder(fake)["trigger"]
    assert trigger["scheduledTime"] == "2026-12-12T08:00:00.000"  # Saturday
    assert trigger["recurrence"]["recurrenceRules"][0].startswith("FREQ=WEEKLY;BYDAY=SA;")


def test_a_relative_reminder(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    assert talk.say("RemindIntent", T0, duration="PT2H").data["outcome"] == "set"
    assert only_reminder(fake)["trigger"] == {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": 7200}


def test_list_change_and_cancel(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0, repeat="evening")
    listed = talk.say("ListRemindersIntent", T0)
    assert listed.data["outcome"] == "listed" and listed.data["count"] == 1
    assert "every evening" in listed.text

    changed = talk.say("ChangeReminderIntent", T0, time="21:00")
    assert changed.data["outcome"] == "changed" and "9 PM" in changed.text
    assert only_reminder(fake)["trigger"]["scheduledTime"].endswith("T21:00:00.000")
    assert ("PUT", f"/v1/alerts/reminders/{stored(talk)[0][0]}") in fake.calls

    cancelled = talk.say("CancelReminderIntent", T0)
    assert cancelled.data["outcome"] == "cancelled" and fake.reminders == {}
    assert stored(talk) == []
    assert talk.say("ListRemindersIntent", T0).data["outcome"] == "none"
    assert talk.say("CancelReminderIntent", T0).data["outcome"] == "none"


def test_a_reminder_deleted_in_the_alexa_app_is_forgotten_when_listed(
    fake: FakeRemindersApi,
) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0, time="20:00")
    fake.reminders.clear()  # the person deleted it in the app
    assert talk.say("ListRemindersIntent", T0).data["outcome"] == "none"
    assert stored(talk) == []


def test_the_reminder_is_kept_with_the_progress_across_sessions(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0, time="20:00")
    talk.say("AMAZON.StopIntent", T0)
    talk.launch(T0)
    said = talk.say("CancelReminderIntent", T0)
    assert said.data["outcome"] == "cancelled" and fake.reminders == {}


# --- faults ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [500, 503, 429])
def test_a_failing_api_never_claims_a_reminder(fake: FakeRemindersApi, status: int) -> None:
    talk = person(fake)
    talk.launch(T0)
    fake.fail_with = status
    said = talk.say("RemindIntent", T0, time="20:00")
    assert said.data["outcome"] == "failed" and not said.ended and said.reprompt
    assert "remind you" not in said.text.lower() and stored(talk) == []
    fake.fail_with = None
    assert talk.say("RemindIntent", T0, time="20:00").data["outcome"] == "set"


def test_a_refused_token_says_so(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.driver.api_token = "expired"
    talk.launch(T0)
    said = talk.say("RemindIntent", T0, time="20:00")
    assert said.data["outcome"] == "refused" and fake.reminders == {} and not said.ended


@pytest.mark.slow  # waits out the client's timeouts: about 4 s
def test_a_slow_api_is_given_up_within_alexas_deadline(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    fake.delay = 5.0
    started = time.monotonic()
    said = talk.say("RemindIntent", T0, time="20:00")
    assert time.monotonic() - started < 6.0  # well within Alexa's 8 seconds
    assert said.data["outcome"] == "failed" and not said.ended
    assert stored(talk) == []


# --- forget and disable ----------------------------------------------------------------------


def test_forget_my_progress_deletes_the_reminders(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0, repeat="evening")
    talk.say("ForgetProgressIntent", T0)
    said = talk.say("AMAZON.YesIntent", T0)
    assert said.view == "forgotten" and fake.reminders == {}


def test_disabling_the_skill_deletes_its_reminders(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0, repeat="evening")
    assert fake.reminders
    event = json.loads((FIXTURES / "skill_disabled_event.json").read_text())
    event["context"]["System"]["apiEndpoint"] = fake.endpoint
    event["context"]["System"]["apiAccessToken"] = fake.token
    lambda_handler(event, None)
    assert fake.reminders == {}


# --- how am I doing, the offer, other channels -------------------------------------------------


def test_how_am_i_doing_tells_what_was_done(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("MotivatePartnerIntent", T0)
    talk.say("AMAZON.YesIntent", T0)  # the practice
    talk.say("AMAZON.YesIntent", T0)  # its question
    said = talk.say("HowAmIDoingIntent", T0)
    assert said.view == "how_am_i_doing"
    assert said.data["heard"] == 1 and said.data["practiced"] == 1 and said.data["days"] == 0
    assert "today" in said.text and "streak" not in said.text.lower()


def test_the_phone_line_and_a_request_without_api_access_say_it_needs_an_alexa_device() -> None:
    talk = Talk(lambda_handler)  # no apiAccessToken: no API can be reached
    talk.launch(T0)
    said = talk.say("RemindIntent", T0, time="20:00")
    assert said.data["outcome"] == "no_device" and not said.ended


def test_the_fake_rejects_what_amazon_would() -> None:
    good = {
        "requestTime": "2026-12-08T09:00:00.000",
        "trigger": {"type": "SCHEDULED_RELATIVE", "offsetInSeconds": 60},
        "alertInfo": {"spokenInfo": {"content": [{"locale": "en-US", "text": "Hi"}]}},
        "pushNotification": {"status": "ENABLED"},
    }
    assert problems(good) == []
    zoned = {
        **good,
        "trigger": {"type": "SCHEDULED_ABSOLUTE", "scheduledTime": "2026-12-08T09:00:00Z"},
    }
    assert problems(zoned)
    assert problems({**good, "alertInfo": {"spokenInfo": {"content": []}}})
    assert problems({**good, "pushNotification": {}})
    weekly = {
        **good,
        "trigger": {
            "type": "SCHEDULED_ABSOLUTE",
            "scheduledTime": "2026-12-08T09:00:00.000",
            "timeZoneId": "Europe/London",
            "recurrence": {"freq": "WEEKLY"},
        },
    }
    assert problems(weekly)  # a weekly recurrence names its day


def test_after_a_program_a_reminder_is_offered_once_and_set_by_voice(
    fake: FakeRemindersApi,
) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("SetDirectionIntent", T0)
    assert talk.say("AMAZON.YesIntent", T0).view == "program_done"
    offered = talk.say("AMAZON.NoIntent", T0)  # not the tips now
    assert offered.view == "remind_offer" and not offered.ended and offered.reprompt
    asked = talk.say("AMAZON.YesIntent", T0)
    assert asked.view == "remind_when"
    said = talk.say("RemindIntent", T0, time="19:00")
    assert said.data["outcome"] == "set" and len(fake.reminders) == 1


def test_no_reminder_is_offered_after_a_disclosure(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("SafetyIntent", T0)
    talk.say("MisunderstoodIntent", T0)
    talk.say("SetDirectionIntent", T0)
    talk.say("AMAZON.YesIntent", T0)
    assert talk.say("AMAZON.NoIntent", T0).view != "remind_offer"
    assert fake.reminders == {}


def test_repeat_says_it_again_without_setting_another(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    said = talk.say("RemindIntent", T0, time="20:00")
    again = talk.say("AMAZON.RepeatIntent", T0)
    assert again.text == said.text and len(fake.reminders) == 1


def test_no_to_when_sets_nothing_and_goes_on(fake: FakeRemindersApi) -> None:
    talk = person(fake)
    talk.launch(T0)
    talk.say("RemindIntent", T0)
    said = talk.say("AMAZON.NoIntent", T0)
    assert said.data["outcome"] == "declined" and not said.ended and fake.calls == []


def test_alexas_answer_without_a_session_still_sets_the_reminder(fake: FakeRemindersApi) -> None:
    talk = person(fake, granted=False)
    talk.launch(T0)
    asked = talk.say("RemindIntent", T0, time="20:00")
    talk.driver.granted = (SCOPE,)
    envelope = talk.driver.connections_response("AskFor", "ACCEPTED", send_request(asked)["token"])
    del envelope["session"]  # a Connections.Response may come outside the session
    said = Said(lambda_handler(envelope, None))
    assert "remind you" in said.text and len(fake.reminders) == 1


@pytest.mark.parametrize("locale", ["en-US", "en-GB", "en-CA", "en-AU", "en-IN"])
def test_every_locale_sets_hears_changes_and_cancels_by_voice(
    fake: FakeRemindersApi, locale: str
) -> None:
    fake.time_zone = None  # the device does not say: the locale's own zone
    talk = person(fake, locale=locale)
    talk.launch(T0)
    assert talk.say("RemindIntent", T0, repeat="evening").data["outcome"] == "set"
    reminder = only_reminder(fake)
    zones = {"en-US": "America/New_York", "en-GB": "Europe/London", "en-CA": "America/Toronto"}
    zones |= {"en-AU": "Australia/Sydney", "en-IN": "Asia/Kolkata"}
    assert reminder["trigger"]["timeZoneId"] == zones[locale]
    assert reminder["alertInfo"]["spokenInfo"]["content"][0]["locale"] == locale
    assert "every evening" in talk.say("ListRemindersIntent", T0).text
    assert talk.say("ChangeReminderIntent", T0, time="21:00").data["outcome"] == "changed"
    assert talk.say("CancelReminderIntent", T0).data["outcome"] == "cancelled"
    assert fake.reminders == {}
