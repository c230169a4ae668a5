"""The phone line on Lambda: function URL (and HTTP API) events through ``lambda_handler``.

The events are shaped as AWS delivers them (tests/fixtures/phone/: payload format 2.0, as a
Twilio webhook arrives at a function URL and at an HTTP API stage), signed as Twilio signs
them. The handler is the one infra/template.yaml names, over the skill's real handler.
"""

from __future__ import annotations

import base64
import copy
import json
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from moto import mock_aws
from twilio.request_validator import RequestValidator

from skill import config
from skill.channels.phone import aws_lambda, dynamodb_calls, parameters
from skill.config import get_settings

from phone_support import CALLS_TABLE, PIN, TOKEN, aws_client, check_twiml
from support import set_fake_aws

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "phone"
PARAMETER = "/ally-coach/twilio-auth-token"


def fixture(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    return event


@pytest.fixture(autouse=True)
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in (config.ENV_PUBLIC_BASE_URL, config.ENV_TWILIO_AUTH_TOKEN_PARAMETER):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv(config.ENV_PHONE_CALLS_TABLE_NAME, raising=False)
    monkeypatch.setenv(config.ENV_TWILIO_AUTH_TOKEN, TOKEN)
    get_settings.cache_clear()
    aws_lambda.get_app.cache_clear()
    parameters.forget()
    yield
    get_settings.cache_clear()
    aws_lambda.get_app.cache_clear()
    parameters.forget()


def form_of(event: dict[str, Any]) -> dict[str, str]:
    body = event["body"]
    if event["isBase64Encoded"]:
        body = base64.b64decode(body).decode()
    return dict(parse_qsl(body, keep_blank_values=True))


def url_of(event: dict[str, Any]) -> str:
    query = event["rawQueryString"]
    host = event["requestContext"]["domainName"]
    return f"https://{host}{event['rawPath']}" + (f"?{query}" if query else "")


def like(
    template: dict[str, Any],
    path: str,
    token: str = TOKEN,
    drop: tuple[str, ...] = (),
    **form: str,
) -> dict[str, Any]:
    """Another webhook of the template's call, to another path, signed as Twilio would."""
    event = copy.deepcopy(template)
    prefix = template["rawPath"].rsplit("/phone/", 1)[0]
    raw_path, _, query = (prefix + path).partition("?")
    event["rawPath"], event["rawQueryString"] = raw_path, query
    event["requestContext"]["http"]["path"] = raw_path
    params = {k: v for k, v in form_of(template).items() if k not in drop}
    params.update(form)
    body = urlencode(params)
    event["body"] = base64.b64encode(body.encode()).decode()
    event["isBase64Encoded"] = True
    event["headers"]["content-length"] = str(len(body))
    signature = RequestValidator(token).compute_signature(url_of(event), params)
    event["headers"]["x-twilio-signature"] = signature
    return event


def twiml(result: dict[str, Any]) -> tuple[ET.Element, str]:
    assert result["statusCode"] == 200, result
    assert result["headers"]["content-type"].startswith("text/xml")
    assert result["isBase64Encoded"] is False
    root = ET.fromstring(result["body"].encode())
    check_twiml(root)
    return root, " ".join("".join(say.itertext()) for say in root.iter("Say"))


def next_path(root: ET.Element) -> str:
    """Where the answer sends the next turn, as a path below the phone routes."""
    url = root[-1].text or ""
    return "/phone/" + url.split("/phone/", 1)[1]


# --- a call through the function URL ----------------------------------------------------------


def test_the_fixture_is_what_twilio_signed() -> None:
    event = fixture("function_url_voice.json")
    validator = RequestValidator(TOKEN)
    assert validator.validate(url_of(event), form_of(event), event["headers"]["x-twilio-signature"])


def test_a_whole_call_through_the_function_url() -> None:
    voice = fixture("function_url_voice.json")
    root, said = twiml(aws_lambda.lambda_handler(voice, None))
    assert said.startswith("Welcome to Ally Coach.")
    # The action is relative: Twilio resolves it against the URL it called.
    action = root.find("Gather").get("action")  # type: ignore[union-attr]
    assert action.split("?")[0] == "/phone/gather"
    root, said = twiml(
        aws_lambda.lambda_handler(like(voice, next_path(root), SpeechResult="yes"), None)
    )
    assert "Tip 1." in said
    for keys in ("*", PIN, PIN):  # a PIN, so the progress carries to the next call
        root, said = twiml(
            aws_lambda.lambda_handler(like(voice, next_path(root), Digits=keys), None)
        )
    assert "Your progress is now kept with this PIN." in said
    root, said = twiml(aws_lambda.lambda_handler(like(voice, next_path(root), Digits="0"), None))
    assert root.find("Hangup") is not None and "I'll remember where you are." in said

    other = "CA" + "9" * 32
    root, said = twiml(aws_lambda.lambda_handler(like(voice, "/phone/voice", CallSid=other), None))
    assert "Last time" not in said  # the number alone opens nothing
    for keys in ("*", PIN):
        root, said = twiml(
            aws_lambda.lambda_handler(
                like(voice, next_path(root), CallSid=other, Digits=keys), None
            )
        )
    assert "Last time, you finished tip 1," in said


def test_the_signature_is_checked_against_the_endpoints_own_url() -> None:
    event = fixture("function_url_voice.json")
    # The same signed request, arriving under another host name: not what Twilio signed.
    moved = copy.deepcopy(event)
    moved["requestContext"]["domainName"] = "someone-else.lambda-url.eu-west-1.on.aws"
    moved["headers"]["host"] = moved["requestContext"]["domainName"]
    assert aws_lambda.lambda_handler(moved, None)["statusCode"] == 403
    forged = like(event, "/phone/voice", token="not-the-token")
    assert aws_lambda.lambda_handler(forged, None)["statusCode"] == 403
    # A Host header that disagrees with the endpoint does not move the signed URL.
    hosted = copy.deepcopy(event)
    hosted["headers"]["host"] = "evil.example"
    assert aws_lambda.lambda_handler(hosted, None)["statusCode"] == 200


def test_a_custom_domain_in_front_is_set_as_the_public_base_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(config.ENV_PUBLIC_BASE_URL, "https://coach.example.org")
    get_settings.cache_clear()
    event = fixture("function_url_voice.json")
    assert aws_lambda.lambda_handler(event, None)["statusCode"] == 403  # signed for the URL
    params = form_of(event)
    signature = RequestValidator(TOKEN).compute_signature(
        "https://coach.example.org/phone/voice", params
    )
    event["headers"]["x-twilio-signature"] = signature
    root, _ = twiml(aws_lambda.lambda_handler(event, None))
    action = root.find("Gather").get("action")  # type: ignore[union-attr]
    assert action.split("?")[0] == "https://coach.example.org/phone/gather"


def test_an_http_api_stage_is_a_path_prefix() -> None:
    gather = fixture("http_api_gather.json")
    speech = ("SpeechResult", "Confidence", "Language")
    voice = like(gather, "/phone/voice", drop=speech, CallStatus="ringing")
    root, said = twiml(aws_lambda.lambda_handler(voice, None))
    assert said.startswith("Welcome to Ally Coach.")
    action = root.find("Gather").get("action")  # type: ignore[union-attr]
    assert action.split("?")[0] == "/live/phone/gather"
    # The fixture itself ("Yes."), to the turn the answer named.
    _, said = twiml(aws_lambda.lambda_handler(like(gather, next_path(root)), None))
    assert "Tip 1." in said


# --- what the function URL must not do ---------------------------------------------------------


def test_only_the_phone_routes_are_served() -> None:
    event = fixture("function_url_voice.json")
    for path, method, status in (
        ("/alexa", "POST", 404),
        ("/phone/voice", "GET", 405),
        ("/", "GET", 404),
    ):
        other = copy.deepcopy(event)
        other["rawPath"] = other["requestContext"]["http"]["path"] = path
        other["requestContext"]["http"]["method"] = method
        result = aws_lambda.lambda_handler(other, None)
        assert result["statusCode"] == status, path
        assert json.loads(result["body"])["error"]


@pytest.mark.parametrize(
    "event",
    [
        {},
        {"version": "1.0", "httpMethod": "POST", "path": "/phone/voice"},
        {"version": "2.0", "requestContext": {"http": "POST"}},
        {"version": "2.0", "requestContext": {"http": {"method": "POST"}}},
        {"Records": [{"eventSource": "aws:sqs"}]},
    ],
)
def test_an_event_that_is_not_an_http_request_is_a_bad_request(event: dict[str, Any]) -> None:
    result = aws_lambda.lambda_handler(event, None)
    assert result["statusCode"] == 400 and "error" in json.loads(result["body"])


def test_a_corrupt_base64_body_is_a_bad_request() -> None:
    event = fixture("function_url_voice.json")
    event["body"] = "%%%not base64%%%"
    assert aws_lambda.lambda_handler(event, None)["statusCode"] == 400


# --- the token from SSM, the calls table from the environment -----------------------------


@pytest.fixture
def aws(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    set_fake_aws(monkeypatch, tmp_path)
    with mock_aws():
        yield


def test_the_token_can_come_from_an_ssm_secure_string(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    aws_client("ssm").put_parameter(Name=PARAMETER, Value=TOKEN, Type="SecureString")
    monkeypatch.delenv(config.ENV_TWILIO_AUTH_TOKEN)
    monkeypatch.setenv(config.ENV_TWILIO_AUTH_TOKEN_PARAMETER, PARAMETER)
    get_settings.cache_clear()
    event = fixture("function_url_voice.json")
    _, said = twiml(aws_lambda.lambda_handler(event, None))
    assert said.startswith("Welcome to Ally Coach.")
    forged = like(event, "/phone/voice", token="not-the-token", CallSid="CA" + "1" * 32)
    assert aws_lambda.lambda_handler(forged, None)["statusCode"] == 403


def test_an_unreadable_token_is_an_apology_not_an_error(
    aws: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(config.ENV_TWILIO_AUTH_TOKEN)
    monkeypatch.setenv(config.ENV_TWILIO_AUTH_TOKEN_PARAMETER, PARAMETER)  # never created
    get_settings.cache_clear()
    root, said = twiml(aws_lambda.lambda_handler(fixture("function_url_voice.json"), None))
    assert root.find("Hangup") is not None and "something went wrong on my side" in said
    assert "ParameterNotFound" in caplog.text and TOKEN not in caplog.text
    # Not kept: once the parameter exists, the next webhook is served.
    aws_client("ssm").put_parameter(Name=PARAMETER, Value=TOKEN, Type="SecureString")
    _, said = twiml(aws_lambda.lambda_handler(fixture("function_url_voice.json"), None))
    assert said.startswith("Welcome to Ally Coach.")


def test_the_calls_table_from_the_environment_holds_the_call(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    dynamodb_calls.create_table(aws_client("dynamodb"), CALLS_TABLE)
    monkeypatch.setenv(config.ENV_PHONE_CALLS_TABLE_NAME, CALLS_TABLE)
    get_settings.cache_clear()
    event = fixture("function_url_voice.json")
    twiml(aws_lambda.lambda_handler(event, None))
    call_sid = form_of(event)["CallSid"]
    item = aws_client("dynamodb").get_item(TableName=CALLS_TABLE, Key={"call_sid": {"S": call_sid}})
    assert item["Item"]["ended"] == {"BOOL": False}


def test_a_rotated_token_is_picked_up_at_its_first_signature(
    aws: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    ssm = aws_client("ssm")
    ssm.put_parameter(Name=PARAMETER, Value="old-token", Type="SecureString")
    monkeypatch.delenv(config.ENV_TWILIO_AUTH_TOKEN)
    monkeypatch.setenv(config.ENV_TWILIO_AUTH_TOKEN_PARAMETER, PARAMETER)
    get_settings.cache_clear()
    voice = fixture("function_url_voice.json")
    first = like(voice, "/phone/voice", token="old-token", CallSid="CA" + "2" * 32)
    assert aws_lambda.lambda_handler(first, None)["statusCode"] == 200

    ssm.put_parameter(Name=PARAMETER, Value=TOKEN, Type="SecureString", Overwrite=True)
    # Read just now: a bad signature does not make it read again at once...
    assert aws_lambda.lambda_handler(voice, None)["statusCode"] == 403
    # ...but once the kept value is half a minute old, it does, and the new token works.
    for key, (read_at, value) in list(parameters._values.items()):
        parameters._values[key] = (read_at - parameters.RECHECK_AFTER_SECONDS - 1, value)
    assert aws_lambda.lambda_handler(voice, None)["statusCode"] == 200


def test_two_tokens_side_by_side_let_a_rotation_overlap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_TWILIO_AUTH_TOKEN, f"new-token-beside {TOKEN}")
    get_settings.cache_clear()
    voice = fixture("function_url_voice.json")  # signed with the old token
    assert aws_lambda.lambda_handler(voice, None)["statusCode"] == 200
    rotated = like(voice, "/phone/voice", token="new-token-beside", CallSid="CA" + "3" * 32)
    assert aws_lambda.lambda_handler(rotated, None)["statusCode"] == 200
    stranger = like(voice, "/phone/voice", token="neither", CallSid="CA" + "4" * 32)
    assert aws_lambda.lambda_handler(stranger, None)["statusCode"] == 403
