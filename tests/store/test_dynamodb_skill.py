"""The skill on DynamoDB (moto), driven as Alexa drives it: real request envelopes through
``skill.lambda_function.invoke``.

What is checked: one read per session and writes only when progress changed; two devices
of one account that lose nothing; store failures that are retried within the turn and
never cost the user an answer; resuming where one left off; and logs that never hold an
ID or what was said.
"""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError
from moto import mock_aws
from outages import FakeTime, attempts_per_turn
from test_store_contract import (
    REGION,
    dynamodb_client,
    key_of,
    set_fake_aws,
    skill_disabled_event,
)

from skill import config, lambda_function
from skill.alexa.invoke import EventNotAcknowledged
from skill.alexa.skill_builder import build_skill
from skill.core.progress import SCHEMA_VERSION, Progress
from skill.digest import short_hash
from skill.lambda_function import invoke
from skill.service import factory
from skill.service.budget import RetryPolicy
from skill.store import dynamodb
from skill.store.dynamodb import DynamoDbProgressStore, create_plain_table, create_table

from support import Said, Talk, reach_tip

TABLE = "ally-coach-skill"
USER = "amzn1.ask.account.AFTESTUSERXYZ1234567890"
T0 = datetime(2027, 3, 1, 19, 0, tzinfo=UTC)
ERROR_WORDS = "something went wrong"
ENDPOINT = f"https://dynamodb.{REGION}.amazonaws.com"
# Fast failures one turn tries before it answers without the store (skill.service.budget).
A_TURN = attempts_per_turn(DynamoDbProgressStore.slowest_call_seconds)

Handler = Callable[..., dict[str, Any]]


class Calls:
    """Every DynamoDB API call the adapter's client makes (retries are not extra calls)."""

    def __init__(self, client: Any) -> None:
        self.names: list[str] = []
        # First in line, so calls that Faults answers are counted too.
        client.meta.events.register_first("before-call.dynamodb", self._record)

    def _record(self, model: Any, **_: Any) -> None:
        self.names.append(model.name)

    def take(self) -> list[str]:
        names, self.names = self.names, []
        return names


@dataclass
class Faults:
    """Makes the next calls of an operation fail, as botocore would report them after its
    retries. (Retries themselves are tested in test_dynamodb.py.) Answering at
    "before-call" means the request never reaches moto, so a failed write writes nothing.
    """

    client: Any
    pending: dict[str, list[Callable[[], Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.client.meta.events.register_first("before-call.dynamodb", self._before_call)

    def fail(self, operation: str, answer: Callable[[], Any], calls: int = 1) -> None:
        self.pending.setdefault(operation, []).extend([answer] * calls)

    def clear(self) -> None:
        self.pending.clear()

    def _before_call(self, model: Any, **_: Any) -> Any:
        queue = self.pending.get(model.name)
        if queue:
            return queue.pop(0)()
        return None


def error_response(code: str) -> Callable[[], tuple[AWSResponse, dict[str, Any]]]:
    """DynamoDB's error ``code``: an HTTP 400 and its parsed body, which botocore raises
    as a ClientError."""

    def answer() -> tuple[AWSResponse, dict[str, Any]]:
        parsed = {
            "Error": {"Code": code, "Message": "injected"},
            "ResponseMetadata": {"HTTPStatusCode": 400},
        }
        return AWSResponse(ENDPOINT, 400, {}, None), parsed

    return answer


def raising(error: type[Exception]) -> Callable[[], Any]:
    def answer() -> Any:
        raise error(endpoint_url=ENDPOINT)

    return answer


THROTTLED = error_response("ProvisionedThroughputExceededException")
FAILURES = {
    "provisioned-throughput": THROTTLED,
    "throttling": error_response("ThrottlingException"),
    "read-timeout": raising(ReadTimeoutError),
    "unreachable": raising(EndpointConnectionError),
}


@dataclass
class Aws:
    client: Any  # the test's own client, to look at the table
    adapter: DynamoDbProgressStore
    handler: Handler
    calls: Calls
    faults: Faults
    time: FakeTime  # the turns' retry clock: pauses move it, nothing waits

    def talk(self, person_id: str | None = None, user_id: str = USER) -> Talk:
        return Talk(self.handler, user_id=user_id, person_id=person_id)

    def stored(self, person_id: str | None = None, user_id: str = USER) -> Progress | None:
        """What is in the table, read around the adapter under test."""
        reader = DynamoDbProgressStore(TABLE, client=self.client)
        attributes = reader.read(key_of(user_id, person_id))
        return Progress.from_dict(attributes) if attributes else None

    def items(self) -> list[dict[str, Any]]:
        return list(self.client.scan(TableName=TABLE)["Items"])


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Aws]:
    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)
        adapter = DynamoDbProgressStore(TABLE, client=dynamodb_client())
        time = FakeTime()
        skill = build_skill(adapter, retry=time.policy())

        def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
            return invoke(skill, event, context)

        yield Aws(client, adapter, handler, Calls(adapter.client), Faults(adapter.client), time)


def practice(talk: Talk) -> Said:
    """From a tip's practice question to the practice's end: one piece, then its question."""
    talk.say("AMAZON.YesIntent")
    said = talk.say("AMAZON.YesIntent")
    assert said.attributes["conversation"]["question"] == "next_step", said.text
    return said


# --- one read per session -------------------------------------------------------------


def test_a_session_reads_once_and_writes_only_when_progress_changes(aws: Aws) -> None:
    talk = aws.talk()

    def calls(send: Callable[[], Said]) -> list[str]:
        said = send()
        assert ERROR_WORDS not in said.text
        return aws.calls.take()

    # The first turn only reads: the visit is saved with the first real change.
    assert calls(lambda: talk.launch(T0)) == ["GetItem"]
    for intent in (
        "AMAZON.HelpIntent",
        "AMAZON.RepeatIntent",
        "AMAZON.FallbackIntent",
        "ListTipsIntent",
        "WhereAmIIntent",
    ):
        assert calls(lambda intent=intent: talk.say(intent)) == [], intent
    assert calls(lambda: talk.say("MotivatePartnerIntent")) == ["PutItem"]  # tip 1 heard
    assert calls(lambda: talk.say("AMAZON.RepeatIntent")) == []
    assert calls(lambda: talk.say("AMAZON.YesIntent")) == []  # the practice, as one piece
    assert calls(lambda: talk.say("AMAZON.YesIntent")) == ["PutItem"]  # practice done
    assert calls(lambda: talk.say("AMAZON.HelpIntent")) == []
    assert calls(lambda: talk.end()) == []  # nothing unsaved at the end

    # The next session reads once more, and only once; the visit (which restarts the
    # expiry clock) is saved as the session ends, even with nothing else changed.
    assert calls(lambda: talk.launch(T0 + timedelta(days=1))) == ["GetItem"]
    assert calls(lambda: talk.say("AMAZON.HelpIntent")) == []
    assert calls(lambda: talk.say("AMAZON.StopIntent")) == ["PutItem"]

    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").practiced == {1}
    assert stored.last_visit == int((T0 + timedelta(days=1)).timestamp())
    assert stored.revision == 3


# --- two devices, one account ---------------------------------------------------------


def test_two_devices_interleaved_lose_no_finished_tip_or_practice(aws: Aws) -> None:
    kitchen, bedroom = aws.talk(), aws.talk()
    kitchen.launch(T0)
    bedroom.launch(T0 + timedelta(minutes=1))
    # Each device now holds its own copy of the progress; every save below races the other.

    steps: list[tuple[Talk, Callable[[Talk], Said]]] = [
        (kitchen, lambda t: t.say("MotivatePartnerIntent")),  # tip 1
        (bedroom, lambda t: t.say("GoToTipIntent", number="3")),  # tip 3
        (kitchen, practice),  # practice 1
        (bedroom, practice),  # practice 3
        (kitchen, lambda t: t.say("AMAZON.NextIntent")),  # tip 2
        (bedroom, lambda t: t.say("AMAZON.NextIntent")),  # tip 4
        (kitchen, lambda t: t.say("AMAZON.StopIntent")),
        (bedroom, lambda t: t.say("AMAZON.StopIntent")),
    ]
    for device, step in steps:
        said = step(device)
        assert ERROR_WORDS not in said.text
        assert said.attributes.get("unsaved") in (False, None)

    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").heard == {1, 2, 3, 4}
    assert stored.of("motivate").practiced == {1, 3}
    assert stored.of("motivate").position == 4  # the furthest tip wins
    # The saves did collide: each conflict re-read the item before merging.
    assert aws.calls.take().count("GetItem") > 2

    back = aws.talk().launch(T0 + timedelta(days=1))
    assert back.data["last_step"] == 4
    assert back.data["next_step"] == 5


# --- faults ---------------------------------------------------------------------------


def test_a_short_outage_is_ridden_out_within_the_turn(aws: Aws) -> None:
    talk = aws.talk()
    talk.launch(T0)
    aws.calls.take()
    aws.faults.fail("PutItem", THROTTLED, calls=3)

    said = talk.say("MotivatePartnerIntent")

    assert said.step == 1
    assert said.attributes["unsaved"] is False
    assert aws.calls.take() == ["PutItem"] * 4  # three failures, then the write
    # Growing pauses between the tries, well inside the turn's time.
    assert aws.time.slept == [0.05, 0.1, 0.2]
    stored = aws.stored()
    assert stored is not None and stored.of("motivate").position == 1


def test_timeouts_get_only_the_tries_that_fit_in_the_turn(aws: Aws) -> None:
    """A call that times out takes the store's slowest time; the turn starts another one
    only while that still fits in its budget, so the answer is never late."""
    talk = aws.talk()
    talk.launch(T0)
    aws.calls.take()

    def timeout() -> Any:
        aws.time.now += aws.adapter.slowest_call_seconds
        raise ReadTimeoutError(endpoint_url=ENDPOINT)

    aws.faults.fail("PutItem", timeout, calls=100)
    started = aws.time.now

    said = talk.say("MotivatePartnerIntent")

    assert said.step == 1 and said.attributes["unsaved"] is True
    slowest = aws.adapter.slowest_call_seconds
    assert aws.calls.take() == ["PutItem"] * attempts_per_turn(slowest, slowest)
    assert aws.time.now - started <= RetryPolicy().budget_seconds


def test_a_throttled_write_keeps_progress_in_the_session_and_saves_it_next_turn(
    aws: Aws,
) -> None:
    talk = aws.talk()
    talk.launch(T0)
    aws.faults.fail("PutItem", THROTTLED, calls=A_TURN)  # more than the turn can wait out

    said = talk.say("MotivatePartnerIntent")

    assert said.step == 1  # the normal answer
    assert ERROR_WORDS not in said.text
    assert said.attributes["unsaved"] is True
    assert said.attributes["progress"]["programs"]["motivate"]["position"] == 1
    assert aws.stored() is None  # nothing written yet (the launch's visit rides along)

    aws.calls.take()
    said = talk.say("AMAZON.HelpIntent")  # changes nothing, but there is a save owed

    assert aws.calls.take() == ["PutItem"]
    assert said.attributes["unsaved"] is False
    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").position == 1


def test_what_is_unsaved_is_saved_when_the_session_ends(aws: Aws) -> None:
    talk = aws.talk()
    talk.launch(T0)
    aws.faults.fail("PutItem", raising(ReadTimeoutError), calls=A_TURN)
    said = talk.say("MotivatePartnerIntent")
    assert said.step == 1
    assert said.attributes["unsaved"] is True
    aws.calls.take()

    talk.end("EXCEEDED_MAX_REPROMPTS")  # the user walked away

    assert aws.calls.take() == ["PutItem"]
    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").position == 1


@pytest.mark.parametrize("failure", sorted(FAILURES))
def test_a_failed_first_read_starts_fresh_without_overwriting_what_is_stored(
    aws: Aws, failure: str
) -> None:
    reach_tip(aws.talk(), 3, T0)
    before = aws.stored()
    assert before is not None
    aws.calls.take()
    aws.faults.fail("GetItem", FAILURES[failure], calls=A_TURN)
    talk = aws.talk()

    said = talk.launch(T0 + timedelta(days=1))

    assert said.view == "welcome"  # fresh, for this session
    assert ERROR_WORDS not in said.text
    assert said.attributes["unsaved"] is True
    # No write in a turn whose read failed all its time: the store is struggling.
    assert aws.calls.take() == ["GetItem"] * A_TURN
    assert aws.stored() == before

    said = talk.say("AMAZON.YesIntent")

    assert said.step == 1
    # The insert conflicts with what is stored; the merge keeps it.
    assert aws.calls.take() == ["PutItem", "GetItem", "PutItem"]
    assert said.attributes["unsaved"] is False
    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").heard == {1, 2, 3}
    assert stored.of("motivate").position == 3
    assert said.attributes["progress"]["programs"]["motivate"]["position"] == 3
    talk.say("AMAZON.StopIntent")

    back = aws.talk().launch(T0 + timedelta(days=2))
    assert back.data["last_step"] == 3


def test_a_conflict_whose_re_read_fails_is_resolved_next_turn(aws: Aws) -> None:
    kitchen, bedroom = aws.talk(), aws.talk()
    kitchen.launch(T0)
    bedroom.launch(T0)
    reach = bedroom.say("GoToTipIntent", number="2")
    assert reach.step == 2
    aws.faults.fail("GetItem", THROTTLED, calls=A_TURN)
    aws.calls.take()

    said = kitchen.say("MotivatePartnerIntent")

    assert said.step == 1
    # The conflict, then the re-read failed for the rest of the turn's time.
    calls = aws.calls.take()
    assert calls[0] == "PutItem" and set(calls[1:]) == {"GetItem"}
    assert said.attributes["unsaved"] is True

    said = kitchen.say("AMAZON.HelpIntent")

    assert said.attributes["unsaved"] is False
    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").heard == {1, 2}


def test_a_store_down_all_session_costs_no_answer(aws: Aws) -> None:
    for operation in ("GetItem", "PutItem"):
        aws.faults.fail(operation, raising(EndpointConnectionError), calls=1000)
    talk = aws.talk()

    texts = [
        talk.launch(T0).text,
        talk.say("MotivatePartnerIntent").text,
        practice(talk).text,
        talk.say("AMAZON.NextIntent").text,
        talk.say("AMAZON.HelpIntent").text,
    ]

    assert all(text and ERROR_WORDS not in text for text in texts), texts
    assert "Tip 2." in texts[3]
    assert talk.log[-1].attributes["unsaved"] is True
    assert aws.items() == []


def test_a_forget_that_fails_says_so_and_a_second_yes_deletes(aws: Aws) -> None:
    talk = aws.talk()
    reach_tip(talk, 2, T0)
    talk.launch(T0 + timedelta(days=1))
    talk.say("ForgetProgressIntent")
    aws.faults.fail("UpdateItem", THROTTLED, calls=A_TURN)  # a forget writes the marker

    said = talk.say("AMAZON.YesIntent")

    # Never "I've deleted your progress" when it was not deleted.
    assert ERROR_WORDS in said.text
    assert not said.ended
    stored = aws.stored()
    assert stored is not None and stored.of("motivate").position == 2

    said = talk.say("AMAZON.YesIntent")

    assert said.view == "forgotten"
    assert [item.get("attributes") for item in aws.items()] == [None]  # the marker alone


@pytest.mark.slow
@pytest.mark.slow  # real read timeouts on a real socket
def test_a_store_that_never_answers_still_leaves_time_to_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A real socket that accepts connections and never replies: real read timeouts."""
    set_fake_aws(monkeypatch, tmp_path)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(32)
        monkeypatch.setenv(
            "AWS_ENDPOINT_URL_DYNAMODB", f"http://127.0.0.1:{silent.getsockname()[1]}"
        )
        adapter = DynamoDbProgressStore(TABLE, region=REGION)
        # Real time (the timeouts are real), but pauses without jitter, so the count of
        # tries a turn makes is the same on every run.
        skill = build_skill(adapter, retry=RetryPolicy(jitter=lambda: 1.0))
        talk = Talk(lambda event, context=None: invoke(skill, event, context), user_id=USER)
        attempts: list[str] = []
        adapter.client.meta.events.register(
            "before-send.dynamodb", lambda **kwargs: attempts.append("send")
        )

        for send, expected in (
            (lambda: talk.launch(T0), "Welcome to Ally Coach"),  # the read times out
            (lambda: talk.say("MotivatePartnerIntent"), "Tip 1."),  # the write times out
        ):
            attempts.clear()
            said = send()

            assert expected in said.text
            assert said.attributes["unsaved"] is True
            # A call that never answers ends at the read timeout; the turn tries again
            # only while one more such call fits in its budget. Counting tries, not
            # seconds, keeps this steady: the budget itself is checked in test_dynamodb.py.
            assert len(attempts) == attempts_per_turn(
                adapter.slowest_call_seconds, dynamodb.READ_TIMEOUT_SECONDS
            )


# --- resuming -------------------------------------------------------------------------


@pytest.mark.parametrize("answer", ["AMAZON.YesIntent", "AMAZON.ResumeIntent"])
def test_a_returning_user_hears_where_they_left_off_and_goes_on(aws: Aws, answer: str) -> None:
    reach_tip(aws.talk(), 2, T0)
    talk = aws.talk()

    said = talk.launch(T0 + timedelta(days=3))

    assert said.view == "welcome_back"
    assert said.data["last_step"] == 2
    assert said.data["next_step"] == 3
    assert not said.data["recap"]
    assert talk.say(answer).step == 3


def test_a_returning_user_can_start_over(aws: Aws) -> None:
    reach_tip(aws.talk(), 3, T0)
    talk = aws.talk()
    talk.launch(T0 + timedelta(days=1))

    said = talk.say("AMAZON.StartOverIntent")

    assert said.step == 1
    assert said.data["intro"]  # from the start, with the introduction
    stored = aws.stored()
    assert stored is not None
    assert stored.of("motivate").heard == {1, 2, 3}  # starting over forgets nothing finished


@pytest.mark.parametrize(("days", "recap"), [(13, False), (15, True), (120, True)])
def test_after_two_weeks_away_a_short_recap(aws: Aws, days: int, recap: bool) -> None:
    reach_tip(aws.talk(), 2, T0)

    said = aws.talk().launch(T0 + timedelta(days=days))

    assert said.data["last_step"] == 2
    assert said.data["recap"] is recap


def test_stored_progress_of_an_older_schema_resumes(aws: Aws) -> None:
    # What version 1 of the skill stored: flat keys, no schema_version.
    aws.client.put_item(
        TableName=TABLE,
        Item={
            "id": {"S": USER},
            "user_id": {"S": USER},
            "version": {"N": "7"},
            "expires_at": {"N": str(int(T0.timestamp()) + 86400 * 400)},
            "attributes": {
                "M": {
                    "tip": {"N": "2"},
                    "done": {"L": [{"N": "1"}, {"N": "2"}]},
                    "practiced": {"L": [{"N": "1"}]},
                }
            },
        },
    )
    talk = aws.talk()

    said = talk.launch(T0)

    assert said.data["last_step"] == 2
    assert talk.say("AMAZON.YesIntent").step == 3
    stored = aws.stored()
    assert stored is not None
    assert (
        stored.revision == 8
    )  # read as v1, written back in the current schema with tip 3 and the visit
    assert stored.of("motivate").position == 3
    assert stored.of("motivate").practiced == {1}
    item = aws.items()[0]
    assert item["attributes"]["M"]["schema_version"] == {"N": str(SCHEMA_VERSION)}


# --- privacy --------------------------------------------------------------------------


def test_logs_never_hold_an_id_or_what_was_said(aws: Aws, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    event = skill_disabled_event("NOT_PERSISTED")
    user = event["context"]["System"]["user"]["userId"]
    person = "amzn1.ask.person.ANNA-7F3C2E"
    talk = aws.talk(person_id=person, user_id=user)

    talk.launch(T0)
    talk.say("MotivatePartnerIntent", partner="husband")
    talk.say("GoToTipIntent", number="banana")  # words heard, not a number
    talk.say("SomeIntentFromANewerModel")
    aws.faults.fail("PutItem", THROTTLED)
    talk.say("AMAZON.NextIntent")  # a failed save logs a warning
    talk.say("ForgetProgressIntent")
    talk.say("AMAZON.YesIntent")
    aws.talk(user_id=user).launch(T0)
    aws.handler(event, None)

    assert aws.items() == []
    records = caplog.records
    assert any(short_hash(user) in record.getMessage() for record in records)
    assert any(record.levelno == logging.WARNING for record in records)
    formatter = logging.Formatter()
    for record in records:
        text = formatter.format(record)
        for secret in (user, user.rsplit(".", 1)[-1], person, "banana", "husband"):
            assert secret not in text, f"{record.name}: {text}"


# --- the Lambda entry point -----------------------------------------------------------


def test_lambda_handler_uses_the_table_named_in_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    set_fake_aws(monkeypatch, tmp_path)
    monkeypatch.setenv(config.ENV_TABLE_NAME, TABLE)
    monkeypatch.setenv(config.ENV_AWS_REGION, REGION)
    config.get_settings.cache_clear()
    lambda_function.reset()
    with mock_aws():
        client = dynamodb_client()
        create_table(client, TABLE)

        reach_tip(Talk(lambda_function.lambda_handler, user_id=USER), 2, T0)
        stored = DynamoDbProgressStore(TABLE, client=client).read(key_of(USER))
        back = Talk(lambda_function.lambda_handler, user_id=USER).launch(T0 + timedelta(days=1))

    assert isinstance(factory.get_store(), DynamoDbProgressStore)
    assert stored["programs"]["motivate"]["position"] == 2
    assert back.data["last_step"] == 2
    assert not (tmp_path / "default.sqlite3").exists()  # nothing went to the local store


# --- a table with only its key --------------------------------------------------------


def test_on_a_table_with_only_its_key_a_failed_then_redelivered_skill_disabled_leaves_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """ask-sdk's own adapter makes tables like this one: no by_user index."""
    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        client = dynamodb_client()
        create_plain_table(client, TABLE)
        adapter = DynamoDbProgressStore(TABLE, client=dynamodb_client())
        skill = build_skill(adapter, retry=FakeTime().policy())
        faults = Faults(adapter.client)

        def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
            return invoke(skill, event, context)

        event = skill_disabled_event("NOT_PERSISTED")
        user = event["context"]["System"]["user"]["userId"]
        for person in (None, "amzn1.ask.person.ANNA", "amzn1.ask.person.BEN"):
            reach_tip(Talk(handler, user_id=user, person_id=person), 2, T0)
        reach_tip(Talk(handler, user_id=USER), 1, T0)  # someone else
        faults.fail("DeleteItem", THROTTLED, calls=2 * A_TURN)  # fails twice over

        for _ in range(2):
            with pytest.raises(EventNotAcknowledged):
                handler(event)  # not acknowledged: Alexa delivers it again
        handler(event)  # the third delivery

        left = {item["id"]["S"] for item in client.scan(TableName=TABLE)["Items"]}
    assert left == {USER}
