"""infra/template.yaml is valid CloudFormation and agrees with the code it deploys.

Nothing here calls AWS: the template is parsed and linted locally.
"""

from __future__ import annotations

import importlib
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cfnlint.api import ManualArgs, lint_file
from cfnlint.decode import decode

from skill import config
from skill.store import base
from skill.tools import packaging

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


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    parsed, problems = decode(str(TEMPLATE))
    assert not problems, [str(problem) for problem in problems]
    assert parsed is not None
    return dict(parsed)


@pytest.fixture(scope="module")
def resources(template: dict[str, Any]) -> dict[str, Any]:
    return dict(template["Resources"])


def _of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    found = {name: res for name, res in resources.items() if res["Type"] == kind}
    assert len(found) == 1, f"expected one {kind}, found {sorted(found)}"
    return next(iter(found.items()))


@pytest.fixture(scope="module")
def function(resources: dict[str, Any]) -> dict[str, Any]:
    return dict(_of_type(resources, "AWS::Serverless::Function")[1]["Properties"])


@pytest.fixture(scope="module")
def table(resources: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    name, resource = _of_type(resources, "AWS::DynamoDB::Table")
    return name, dict(resource["Properties"])


def test_cfn_lint_finds_no_error() -> None:
    matches = lint_file(TEMPLATE, ManualArgs(regions=ALEXA_REGIONS))
    errors = [str(match) for match in matches if match.rule.id.startswith("E")]
    assert not errors, "\n".join(errors)


def test_every_reference_names_something_that_exists(template: dict[str, Any]) -> None:
    # cfn-lint does not translate SAM, so a mistyped !GetAtt on a SAM resource or a
    # mistyped name inside !Sub gets past it; CloudFormation would refuse the stack.
    known = set(template.get("Parameters", {})) | set(template["Resources"])

    def exists(name: str) -> bool:
        if name.startswith("AWS::"):
            return True
        if name.endswith(SAM_GENERATED_SUFFIXES):
            return name.rsplit(".", 1)[0] in known
        return name in known

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


def test_runtime_fits_alexa_and_the_package(function: dict[str, Any]) -> None:
    runtime = re.fullmatch(r"python(\d+)\.(\d+)", function["Runtime"])
    assert runtime, function["Runtime"]
    version = (int(runtime[1]), int(runtime[2]))
    assert version >= (3, 12)
    # The zip's wheels are built for exactly this runtime and architecture.
    assert f"{version[0]}.{version[1]}" == packaging.DEFAULT_PYTHON
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
    name, log_group = _of_type(resources, "AWS::Logs::LogGroup")
    properties = log_group["Properties"]
    # Lambda writes to /aws/lambda/<function name>; any other group would stay empty.
    function_name = function["FunctionName"]["Fn::Sub"]
    assert properties["LogGroupName"] == {"Fn::Sub": f"/aws/lambda/{function_name}"}
    assert "RetentionInDays" in properties
    assert name in _as_list(resources[_function_name(resources)].get("DependsOn", []))


def _function_name(resources: dict[str, Any]) -> str:
    return _of_type(resources, "AWS::Serverless::Function")[0]


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

    cloudformation = transform(sam, {"SkillId": skill_id}, NoManagedPolicies())
    translated = cloudformation["Resources"]
    (permission,) = [r for r in translated.values() if r["Type"] == "AWS::Lambda::Permission"]
    (alias_name,) = [n for n, r in translated.items() if r["Type"] == "AWS::Lambda::Alias"]
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
