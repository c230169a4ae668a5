"""The baseline: a plain ASK SDK hello-world skill, as in Amazon's Python sample.

It speaks fixed strings and nothing else, so it is the cheapest skill ask-sdk-core can
answer with; every benchmark compares Ally Coach against it in the same run.

With ``SKILL_TABLE_NAME`` set (the same variable Ally Coach reads) it stores a visit
counter through ask-sdk's own ``DynamoDbAdapter``, reading and saving on every turn as
the SDK's samples do. That is the "plain ASK SDK skill on DynamoDB" baseline.
``lambda_handler`` is built at import, like the samples, so a cold start pays for it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from ask_sdk_core.dispatch_components import (
    AbstractExceptionHandler,
    AbstractRequestHandler,
    AbstractRequestInterceptor,
    AbstractResponseInterceptor,
)
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.skill_builder import CustomSkillBuilder
from ask_sdk_core.utils import is_intent_name, is_request_type
from ask_sdk_model import Response

HELLO_INTENT = "HelloWorldIntent"
WELCOME = "Welcome, you can say Hello or Help. Which would you like to try?"
HELLO = "Hello World!"
HELP = "You can say hello to me! How can I help?"
GOODBYE = "Goodbye!"
TABLE_ENV = "SKILL_TABLE_NAME"

Handler = Callable[[dict[str, Any], Any], dict[str, Any]]


class LoadVisitsInterceptor(AbstractRequestInterceptor):  # type: ignore[misc]
    """Reads the persistent attributes on every request and counts the visit."""

    def process(self, handler_input: HandlerInput) -> None:
        attributes = handler_input.attributes_manager.persistent_attributes
        attributes["visits"] = int(attributes.get("visits", 0)) + 1


class SaveVisitsInterceptor(AbstractResponseInterceptor):  # type: ignore[misc]
    """Saves them after every response, as the SDK's persistence samples do."""

    def process(self, handler_input: HandlerInput, response: Response | None) -> None:
        if is_request_type("SessionEndedRequest")(handler_input):
            return
        handler_input.attributes_manager.save_persistent_attributes()


class LaunchRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("LaunchRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(WELCOME).ask(WELCOME).response


class HelloWorldIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name(HELLO_INTENT)(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(HELLO).ask(HELP).response


class HelpIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_intent_name("AMAZON.HelpIntent")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(HELP).ask(HELP).response


class CancelOrStopIntentHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(
            is_intent_name("AMAZON.CancelIntent")(handler_input)
            or is_intent_name("AMAZON.StopIntent")(handler_input)
        )

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.speak(GOODBYE).set_should_end_session(True).response


class SessionEndedRequestHandler(AbstractRequestHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput) -> bool:
        return bool(is_request_type("SessionEndedRequest")(handler_input))

    def handle(self, handler_input: HandlerInput) -> Response:
        return handler_input.response_builder.response


class CatchAllExceptionHandler(AbstractExceptionHandler):  # type: ignore[misc]
    def can_handle(self, handler_input: HandlerInput, exception: Exception) -> bool:
        return True

    def handle(self, handler_input: HandlerInput, exception: Exception) -> Response:
        return handler_input.response_builder.speak(HELP).ask(HELP).response


def hello_world_builder(persistence_adapter: Any = None) -> CustomSkillBuilder:
    builder = CustomSkillBuilder(persistence_adapter=persistence_adapter)
    for handler in (
        LaunchRequestHandler(),
        HelloWorldIntentHandler(),
        HelpIntentHandler(),
        CancelOrStopIntentHandler(),
        SessionEndedRequestHandler(),
    ):
        builder.add_request_handler(handler)
    builder.add_exception_handler(CatchAllExceptionHandler())
    if persistence_adapter is not None:
        builder.add_global_request_interceptor(LoadVisitsInterceptor())
        builder.add_global_response_interceptor(SaveVisitsInterceptor())
    return builder


def build_handler(persistence_adapter: Any = None) -> Handler:
    """The SDK's own Lambda entry point (``SkillBuilder.lambda_handler()``), as samples use."""
    handler: Handler = hello_world_builder(persistence_adapter).lambda_handler()
    return handler


def dynamodb_adapter(table_name: str, resource: Any = None) -> Any:
    """ask-sdk's adapter on ``table_name``, keyed by user ID like the SDK's default.

    Imported here: ``ask_sdk_dynamodb.adapter`` calls ``boto3.resource("dynamodb")`` as a
    default argument when it is imported, so it needs a region (and, to do anything, an
    endpoint and credentials) in the environment first.
    """
    from ask_sdk_dynamodb.adapter import DynamoDbAdapter

    if resource is None:
        return DynamoDbAdapter(table_name, create_table=False)
    return DynamoDbAdapter(table_name, create_table=False, dynamodb_resource=resource)


def _adapter_from_env() -> Any:
    table = os.environ.get(TABLE_ENV)
    return dynamodb_adapter(table) if table else None


# Built at import, as in the SDK samples: a cold start pays for it.
lambda_handler = build_handler(_adapter_from_env())
