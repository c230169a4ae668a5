"""infra/template.yaml is valid CloudFormation and agrees with the code it deploys.

Nothing here calls AWS: the template is parsed and linted locally.
"""

from __future__ import annotations

import importlib
import json
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from skill import config
from skill.channels.phone import dynamodb_calls, settings
from skill.store import base
from skill.tools import packaging, phone_packaging

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "infra" / "template.yaml"

# The index the DynamoDB store queries to find every item of one account (the account's
# own item and one per recognised person). Every item must carry USER_ATTRIBUTE.
USER_INDEX = "by_user"
USER_ATTRIBUTE = "user_id"

# What the function's role may do with the table: what the store calls, nothing more.
TABLE_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:Query",
}

# Alexa hosts skills' Lambda endpoints in these regions (North America, Europe, Far East).
ALEXA_REGIONS = ["us-east-1", "eu-west-1", "us-west-2"]

# Names that ${...} and Ref may use besides the template's parameters and resources:
# pseudo parameters, and the alias and version that SAM makes for AutoPublishAlias.
SAM_GENERATED_SUFFIXES = (".Alias", ".Version")

# The template's resources, by logical name: the Alexa skill's, and the phone line's.
SKILL_FUNCTION, PROGRESS_TABLE, SKILL_LOGS = "SkillFunction", "ProgressTable", "SkillLogGroup"
PHONE_FUNCTION, CALLS_TABLE, PHONE_LOGS = "PhoneFunction", "CallsTable", "PhoneLogGroup"
PHONE_CONDITION = "PhoneLineOn"
# What the phone function's role may do with the calls table: the call store's writes.
CALLS_TABLE_ACTIONS = {"dynamodb:PutItem", "dynamodb:UpdateItem"}
TWILIO_DEADLINE_SECONDS = 15  # Twilio waits this long for a webhook's TwiML


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed, problems = decode(str(TEMPLATE))
    assert not problems, [str(problem) for problem in problems]
    assert parsed is not None
    return dict(parsed)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


def _of_type(resources: dict[str, Any], kind: str, name: str) -> tuple[str, dict[str, Any]]:
    found = {n for n, res in resources.items() if res["Type"] == kind}
    assert name in found, f"no {kind} named {name}; there are {sorted(found)}"
    return name, resources[name]


def test_the_template_has_the_skill_and_the_phone_line_and_nothing_else(
    resources: dict[str, Any],
) -> None:
    def named(kind: str) -> set[str]:
        return {n for n, res in resources.items() if res["Type"] == kind}

    assert named("AWS::Serverless::Function") == {SKILL_FUNCTION, PHONE_FUNCTION}
    assert named("AWS::DynamoDB::Table") == {PROGRESS_TABLE, CALLS_TABLE}
    assert named("AWS::Logs::LogGroup") == {SKILL_LOGS, PHONE_LOGS}


@pytest.fixture(scope="module")
def function(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(_of_type(resources, "AWS::Serverless::Function", SKILL_FUNCTION)[1]["Properties"])


@pytest.fixture(scope="module")
def table(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name, resource = _of_type(resources, "AWS::DynamoDB::Table", PROGRESS_TABLE)
    return name, dict(resource["Properties"])


def test_cfn_lint_finds_no_error() -> None:
    matches = lint_file(TEMPLATE, ManualArgs(regions=ALEXA_REGIONS))
    errors = [str(match) for match in matches if match.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)


def test_every_reference_names_something_that_exists(template: dict[str, Any]) -> None:
    # cfn-lint does not translate SAM, so a mistyped !GetAtt on a SAM resource or a
    # mistyped name inside !Sub gets past it; CloudFormation would refuse the stack.
    known = set(template.get("Parameters", {})) | set(template["Resources"])

    # SAM names a function's URL "<function>Url".
    urls = {
        f"{name}Url"
        for name, res in template["Resources"].items()
        if "FunctionUrlConfig" in res.get("Properties", {})
    }

    def exists(name: str) -> bool:
        if name.startswith("AWS::"):
            return True
        if name.endswith(SAM_GENERATED_SUFFIXES):
            return name.rsplit(".", 1)[0] in known
        return name in known or name in urls

    missing = [name for name in _referenced_names(template) if not exists(name)]
    assert not missing


def _referenced_names(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "Ref" and isinstance(value, str):
                yield value
            elif key == "Fn::GetAtt":
                target = value[0] if isinstance(value, list) else value.split(".", 1)[0]
                yield target
            elif key == "Fn::Sub":
                text = value[0] if isinstance(value, list) else value
                local = set(value[1]) if isinstance(value, list) else set()
                for name in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    # ${Resource.Attribute} is a GetAtt: the resource must exist.
                    resource = name if name.startswith("AWS::") else name.split(".")[0]
                    if resource not in local:
                        yield resource
            yield from _referenced_names(value)
    elif isinstance(node, list):
        for item in node:
            yield from _referenced_names(item)


def test_table_key_and_ttl_are_the_stores(table: tuple[str, dict[str, Any]]) -> None:
    _, properties = table
    assert properties["KeySchema"] == [{"AttributeName": base.PARTITION_KEY, "KeyType": "HASH"}]
    types = {a["AttributeName"]: a["AttributeType"] for a in properties["AttributeDefinitions"]}
    assert types == {base.PARTITION_KEY: "S", USER_ATTRIBUTE: "S"}
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": base.TTL_ATTRIBUTE,
        "Enabled": True,
    }


def test_table_has_the_by_user_index(table: tuple[str, dict[str, Any]]) -> None:
    _, properties = table
    (index,) = properties["GlobalSecondaryIndexes"]
    assert index["IndexName"] == USER_INDEX
    assert index["KeySchema"] == [{"AttributeName": USER_ATTRIBUTE, "KeyType": "HASH"}]
    # Keys are all that deleting needs; projecting more would only cost storage.
    assert index["Projection"] == {"ProjectionType": "KEYS_ONLY"}


def test_the_stores_index_names_are_the_tables() -> None:
    # skill/persistence/base.py names them for the DynamoDB store (and create_table).
    assert base.USER_INDEX == USER_INDEX
    assert base.USER_ATTRIBUTE == USER_ATTRIBUTE


def test_table_is_protected_and_billed_per_request(
    resources: dict[str, Any], table: tuple[str, dict[str, Any]]
) -> None:
    name, properties = table
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    assert properties["SSESpecification"]["SSEEnabled"] is True
    # Deleting the stack must not delete users' progress with it.
    assert resources[name]["DeletionPolicy"] == "Retain"
    assert resources[name]["UpdateReplacePolicy"] == "Retain"


def test_environment_uses_the_names_the_code_reads(
    function: dict[str, Any], table: tuple[str, dict[str, Any]]
) -> None:
    variables = function["Environment"]["Variables"]
    known = {value for key, value in vars(config).items() if key.startswith("ENV_")}
    assert set(variables) <= known, f"not read by skill/config.py: {set(variables) - known}"
    assert variables[config.ENV_TABLE_NAME] == {"Ref": table[0]}
    assert variables[config.ENV_SKILL_ID] == {"Ref": "SkillId"}
    assert variables[config.ENV_LOG_LEVEL] == {"Ref": "LogLevel"}


def test_runtime_fits_alexa_and_the_package(
    template: dict[str, Any], function: dict[str, Any]
) -> None:
    assert function["Runtime"] == {"Ref": "PythonRuntime"}
    parameter = template["Parameters"]["PythonRuntime"]
    for choice in parameter["AllowedValues"]:
        runtime = re.fullmatch(r"python(\d+)\.(\d+)", choice)
        assert runtime, choice
        assert (int(runtime[1]), int(runtime[2])) >= (3, 12)
    # The zip's wheels are built for exactly the default runtime and architecture.
    assert parameter["Default"] == f"python{packaging.DEFAULT_PYTHON}"
    assert function["Architectures"] == [packaging.DEFAULT_ARCH] == ["arm64"]
    # Alexa waits 8 seconds for a skill's answer.
    assert 1 <= function["Timeout"] < 8
    assert 128 <= function["MemorySize"] <= 10240


def test_code_uri_is_where_build_lambda_writes(function: dict[str, Any]) -> None:
    assert (TEMPLATE.parent / function["CodeUri"]).resolve() == packaging.DEFAULT_OUT


def test_handler_path_resolves(function: dict[str, Any]) -> None:
    module_name, _, attribute = function["Handler"].rpartition(".")
    module_file = ROOT / Path(*module_name.split(".")).with_suffix(".py")
    if not module_file.exists():
        pytest.skip(f"{module_file.relative_to(ROOT)} is not written yet")
    module = importlib.import_module(module_name)
    assert callable(getattr(module, attribute))


def test_only_this_skill_may_invoke(function: dict[str, Any], template: dict[str, Any]) -> None:
    events = function["Events"].values()
    alexa = [event for event in events if event["Type"] == "AlexaSkill"]
    assert alexa, "no Alexa Skills Kit trigger"
    # Without a SkillId any skill could call the function.
    assert all(event["Properties"]["SkillId"] == {"Ref": "SkillId"} for event in alexa)
    assert "AllowedPattern" in template["Parameters"]["SkillId"]


def test_role_grants_only_what_the_store_and_logs_need(
    resources: dict[str, Any], function: dict[str, Any], table: tuple[str, dict[str, Any]]
) -> None:
    role_name = function["Role"]["Fn::GetAtt"][0]
    role = resources[role_name]["Properties"]
    assert not role.get("ManagedPolicyArns"), "managed policies grant more than we need"
    statements = [
        statement
        for policy in role["Policies"]
        for statement in policy["PolicyDocument"]["Statement"]
    ]
    table_arn = {"Fn::GetAtt": [table[0], "Arn"]}
    index_arn = {"Fn::Sub": f"${{{table[0]}.Arn}}/index/{USER_INDEX}"}
    granted: set[str] = set()
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = _as_list(statement["Action"])
        assert all("*" not in action for action in actions), actions
        assert statement["Resource"] != "*"
        dynamodb = [action for action in actions if action.startswith("dynamodb:")]
        if dynamodb:
            assert all(res in (table_arn, index_arn) for res in _as_list(statement["Resource"]))
            granted.update(dynamodb)
        if index_arn in _as_list(statement["Resource"]):
            assert actions == ["dynamodb:Query"]
    assert granted == TABLE_ACTIONS


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, list) else [value]


def test_logs_are_kept_for_a_while_not_forever(
    resources: dict[str, Any], function: dict[str, Any]
) -> None:
    name, log_group = _of_type(resources, "AWS::Logs::LogGroup", SKILL_LOGS)
    properties = log_group["Properties"]
    # Lambda writes to /aws/lambda/<function name>; any other group would stay empty.
    function_name = function["FunctionName"]["Fn::Sub"]
    assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
    assert "RetentionInDays" in properties
    assert name in _as_list(resources[_function_name(resources)].get("DependsOn", []))


def _function_name(resources: dict[str, Any]) -> str:
    return _of_type(resources, "AWS::Serverless::Function", SKILL_FUNCTION)[0]


def test_outputs_name_the_function_and_the_table(
    template: dict[str, Any], resources: dict[str, Any], table: tuple[str, dict[str, Any]]
) -> None:
    values = [output["Value"] for output in template["Outputs"].values()]
    function_name = _function_name(resources)
    assert {"Fn::GetAtt": [function_name, "Arn"]} in values
    assert {"Ref": f"{function_name}.Alias"} in values
    assert {"Ref": table[0]} in values


def test_sam_translation_gives_an_alexa_permission_on_the_alias(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # Only where aws-sam-translator is installed: it shows what SAM turns the function
    # into, which cfn-lint no longer does itself.
    transform = pytest.importorskip("samtranslator.translator.transform").transform
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sam = _plain(template)
    function_name = _function_name(sam["Resources"])
    sam["Resources"][function_name]["Properties"]["CodeUri"] = "s3://bucket/lambda.zip"
    skill_id = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    sam["Resources"][PHONE_FUNCTION]["Properties"]["CodeUri"] = "s3://bucket/phone.zip"
    cloudformation = transform(sam, {"SkillId": skill_id}, NoManagedPolicies())
    translated = cloudformation["Resources"]
    (permission,) = [
        r
        for r in translated.values()
        if r["Type"] == "AWS::Lambda::Permission"
        and r["Properties"]["Principal"] == "alexa-appkit.amazon.com"
    ]
    (alias_name,) = [
        n
        for n, r in translated.items()
        if r["Type"] == "AWS::Lambda::Alias"
        and r["Properties"]["FunctionName"] == {"Ref": function_name}
    ]
    assert permission["Properties"] == {
        "Action": "lambda:InvokeFunction",
        "FunctionName": {"Ref": alias_name},
        "Principal": "alexa-appkit.amazon.com",
        "EventSourceToken": {"Ref": "SkillId"},
    }


def _plain(node: Any) -> Any:
    """cfn-lint's decoded nodes as plain dicts and lists, which SAM's translator expects."""
    if isinstance(node, dict):
        return {str(key): _plain(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_plain(item) for item in node]
    if isinstance(node, str):
        return str(node)
    return node


def test_samconfig_deploys_this_template() -> None:
    with (TEMPLATE.parent / "samconfig.toml").open("rb") as file:
        samconfig = tomllib.load(file)
    deploy = samconfig["default"]["deploy"]["parameters"]
    assert (TEMPLATE.parent / deploy["template_file"]).resolve() == TEMPLATE
    # The template creates an IAM role; without this capability the deploy is refused.
    assert "CAPABILITY_IAM" in deploy["capabilities"].split()
    # FunctionName is "<stack>-skill", and Lambda allows 64 characters.
    assert len(samconfig["default"]["global"]["parameters"]["stack_name"] + "-skill") <= 64


# --- the phone line ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def phone(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(_of_type(resources, "AWS::Serverless::Function", PHONE_FUNCTION)[1]["Properties"])


def test_the_phone_line_is_deployed_only_when_asked_for(
    template: dict[str, Any], resources: dict[str, Any]
) -> None:
    parameter = template["Parameters"]["PhoneLine"]
    assert parameter["Default"] == "off" and set(parameter["AllowedValues"]) == {"on", "off"}
    phone_resources = {PHONE_FUNCTION, CALLS_TABLE, PHONE_LOGS, "PhoneFunctionRole"}
    for name in phone_resources:
        assert resources[name].get("Condition") == PHONE_CONDITION, name
    for name, output in template["Outputs"].items():
        if any(
            ref in json.dumps(output["Value"]) for ref in phone_resources | {"PhoneFunctionUrl"}
        ):
            assert output.get("Condition") == PHONE_CONDITION, name
    # The Alexa side does not depend on it: none of its resources has a condition.
    for name in (SKILL_FUNCTION, PROGRESS_TABLE, SKILL_LOGS, "SkillFunctionRole"):
        assert "Condition" not in resources[name]


def test_the_alexa_function_knows_nothing_of_the_phone(
    function: dict[str, Any], resources: dict[str, Any]
) -> None:
    variables = set(function["Environment"]["Variables"])
    assert not variables & {
        config.ENV_PHONE_CALLS_TABLE_NAME,
        config.ENV_TWILIO_AUTH_TOKEN,
        config.ENV_TWILIO_AUTH_TOKEN_PARAMETER,
        config.ENV_PUBLIC_BASE_URL,
        config.ENV_PHONE_CALLER_PEPPER,
        config.ENV_PHONE_CALLER_PEPPER_PARAMETER,
    }
    assert function["Handler"] == "skill.lambda_function.lambda_handler"
    assert (TEMPLATE.parent / function["CodeUri"]).resolve() == packaging.DEFAULT_OUT
    role = json.dumps(resources[function["Role"]["Fn::GetAtt"][0]])
    assert CALLS_TABLE not in role and "ssm:" not in role


def test_the_calls_table_has_the_key_and_ttl_the_call_store_uses(
    resources: dict[str, Any],
) -> None:
    properties = resources[CALLS_TABLE]["Properties"]
    assert properties["KeySchema"] == [{"AttributeName": dynamodb_calls.KEY, "KeyType": "HASH"}]
    assert properties["AttributeDefinitions"] == [
        {"AttributeName": dynamodb_calls.KEY, "AttributeType": "S"}
    ]
    assert properties["TimeToLiveSpecification"] == {
        "AttributeName": dynamodb_calls.TTL_ATTRIBUTE,
        "Enabled": True,
    }
    assert properties["BillingMode"] == "PAY_PER_REQUEST"
    assert properties["SSESpecification"]["SSEEnabled"] is True


def test_the_stores_create_table_agrees_with_the_template(resources: dict[str, Any]) -> None:
    calls: list[dict[str, Any]] = []

    class Recorder:
        def create_table(self, **kwargs: Any) -> None:
            calls.append(kwargs)

        def get_waiter(self, name: str) -> Any:
            return type("Waiter", (), {"wait": lambda self, **kw: None})()

        def update_time_to_live(self, **kwargs: Any) -> None:
            calls.append(kwargs)

    dynamodb_calls.create_table(Recorder(), "t")
    properties = resources[CALLS_TABLE]["Properties"]
    assert calls[0]["KeySchema"] == properties["KeySchema"]
    assert calls[0]["AttributeDefinitions"] == properties["AttributeDefinitions"]
    assert calls[1]["TimeToLiveSpecification"] == properties["TimeToLiveSpecification"]


def test_the_phone_function_runs_the_phone_zip_within_twilios_deadline(
    phone: dict[str, Any],
) -> None:
    assert phone["Handler"] == phone_packaging.HANDLER
    module_name, _, attribute = phone["Handler"].rpartition(".")
    assert callable(getattr(importlib.import_module(module_name), attribute))
    assert (TEMPLATE.parent / phone["CodeUri"]).resolve() == phone_packaging.DEFAULT_OUT
    assert phone["Runtime"] == {"Ref": "PythonRuntime"}
    assert phone["Architectures"] == [packaging.DEFAULT_ARCH]
    # Past the line's own budgets (waiting for a busy call, three store operations, the
    # skill's turn), and before Twilio gives up and plays its error to the caller.
    store_budget = 3 * (dynamodb_calls.OPERATION_BUDGET_SECONDS + 1.5)
    assert settings.BUSY_WAIT_SECONDS + store_budget < phone["Timeout"] < TWILIO_DEADLINE_SECONDS
    assert phone["AutoPublishAlias"] == "live"


def test_the_phone_url_is_public_because_twilio_signs_every_request(
    phone: dict[str, Any],
) -> None:
    # Twilio cannot sign requests the AWS way (SigV4); the webhooks check its own signature.
    assert phone["FunctionUrlConfig"]["AuthType"] == "NONE"
    assert "Events" not in phone  # no Alexa trigger, no API Gateway of its own


def test_the_phone_environment_names_what_the_code_reads(
    phone: dict[str, Any], template: dict[str, Any]
) -> None:
    variables = phone["Environment"]["Variables"]
    known = {value for key, value in vars(config).items() if key.startswith("ENV_")}
    assert set(variables) <= known, set(variables) - known
    assert variables[config.ENV_TABLE_NAME] == {"Ref": PROGRESS_TABLE}
    assert variables[config.ENV_PHONE_CALLS_TABLE_NAME] == {"Ref": CALLS_TABLE}
    assert variables[config.ENV_SKILL_ID] == {"Ref": "SkillId"}
    # The token is never in the template or the environment: only the parameter's name.
    assert config.ENV_TWILIO_AUTH_TOKEN not in variables
    assert variables[config.ENV_TWILIO_AUTH_TOKEN_PARAMETER] == {"Ref": "TwilioAuthTokenParameter"}
    assert template["Parameters"]["TwilioAuthTokenParameter"]["Default"].startswith("/")
    # Nor the pepper: the line does not start without it, so the function names it.
    assert config.ENV_PHONE_CALLER_PEPPER not in variables
    pepper = {"Ref": "PhoneCallerPepperParameter"}
    assert variables[config.ENV_PHONE_CALLER_PEPPER_PARAMETER] == pepper
    assert template["Parameters"]["PhoneCallerPepperParameter"]["Default"].startswith("/")
    # The public base URL is the function URL itself unless a custom domain is given.
    base = variables[config.ENV_PUBLIC_BASE_URL]
    assert base == {
        "Fn::If": ["HasPhonePublicBaseUrl", {"Ref": "PhonePublicBaseUrl"}, {"Ref": "AWS::NoValue"}]
    }
    assert template["Parameters"]["PhonePublicBaseUrl"]["Default"] == ""


def test_the_phone_role_grants_only_what_the_line_needs(
    resources: dict[str, Any], phone: dict[str, Any], function: dict[str, Any]
) -> None:
    role = resources[phone["Role"]["Fn::GetAtt"][0]]["Properties"]
    assert not role.get("ManagedPolicyArns")
    statements = [s for policy in role["Policies"] for s in policy["PolicyDocument"]["Statement"]]
    by_resource: dict[str, set[str]] = {}
    for statement in statements:
        assert statement["Effect"] == "Allow"
        actions = _as_list(statement["Action"])
        assert all("*" not in action for action in actions), actions
        assert statement["Resource"] != "*"
        for resource in _as_list(statement["Resource"]):
            by_resource.setdefault(json.dumps(resource, sort_keys=True), set()).update(actions)

    def granted(resource: Any) -> set[str]:
        return by_resource.pop(json.dumps(resource, sort_keys=True), set())

    assert granted({"Fn::GetAtt": [CALLS_TABLE, "Arn"]}) == CALLS_TABLE_ACTIONS
    # The same rights on progress as the Alexa function: it runs the same skill.
    assert granted({"Fn::GetAtt": [PROGRESS_TABLE, "Arn"]}) == TABLE_ACTIONS
    assert granted({"Fn::Sub": f"${{{PROGRESS_TABLE}.Arn}}/index/{USER_INDEX}"}) == {
        "dynamodb:Query"
    }
    assert granted({"Fn::GetAtt": [PHONE_LOGS, "Arn"]}) == {
        "logs:CreateLogStream",
        "logs:PutLogEvents",
    }
    parameter_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
        ":parameter${TwilioAuthTokenParameter}"
    }
    assert granted(parameter_arn) == {"ssm:GetParameter"}
    pepper_arn = {
        "Fn::Sub": "arn:${AWS::Partition}:ssm:${AWS::Region}:${AWS::AccountId}"
        ":parameter${PhoneCallerPepperParameter}"
    }
    assert granted(pepper_arn) == {"ssm:GetParameter"}
    assert not by_resource, f"more than the line needs: {by_resource}"


def test_the_phone_logs_are_its_own(resources: dict[str, Any], phone: dict[str, Any]) -> None:
    properties = resources[PHONE_LOGS]["Properties"]
    assert properties["LogGroupName"] == {
        "Fn::Sub": f"/aws/lambda/{phone['FunctionName']['Fn::Sub']}"
    }
    assert PHONE_LOGS in _as_list(resources[PHONE_FUNCTION].get("DependsOn", []))


def test_the_outputs_give_the_urls_to_enter_at_twilio(template: dict[str, Any]) -> None:
    outputs = template["Outputs"]
    assert outputs["PhoneVoiceWebhookUrl"]["Value"] == {
        "Fn::Sub": "${PhoneFunctionUrl.FunctionUrl}phone/voice"
    }
    assert outputs["PhoneStatusCallbackUrl"]["Value"] == {
        "Fn::Sub": "${PhoneFunctionUrl.FunctionUrl}phone/status"
    }


def test_sam_gives_the_phone_alias_a_public_url_and_nothing_more(
    template: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    transform = pytest.importorskip("samtranslator.translator.transform").transform
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    sam = _plain(template)
    for name in (SKILL_FUNCTION, PHONE_FUNCTION):
        sam["Resources"][name]["Properties"]["CodeUri"] = "s3://bucket/code.zip"

    class NoManagedPolicies:
        def load(self) -> dict[str, str]:
            return {}

    skill_id = "amzn1.ask.skill.00000000-0000-0000-0000-000000000000"
    translated = transform(sam, {"SkillId": skill_id, "PhoneLine": "on"}, NoManagedPolicies())[
        "Resources"
    ]
    (url,) = [r for r in translated.values() if r["Type"] == "AWS::Lambda::Url"]
    alias = url["Properties"]["TargetFunctionArn"]["Ref"]
    assert translated[alias]["Properties"]["FunctionName"] == {"Ref": PHONE_FUNCTION}
    assert url["Properties"]["AuthType"] == "NONE"
    public = [
        r["Properties"]
        for r in translated.values()
        if r["Type"] == "AWS::Lambda::Permission" and r["Properties"]["Principal"] == "*"
    ]
    # Invoking through the URL only; nobody may invoke the function directly.
    assert public and all(p["FunctionName"] == {"Ref": alias} for p in public)
    for permission in public:
        via_url = permission.get("FunctionUrlAuthType") == "NONE" or permission.get(
            "InvokedViaFunctionUrl"
        )
        assert via_url, permission
