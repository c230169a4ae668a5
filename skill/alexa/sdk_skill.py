"""The skill object: what ask-sdk's ``CustomSkill`` does for a request, minus its imports.

``ask_sdk_core.skill`` (and ``skill_builder``, which imports it) loads
``ask_sdk_model.services`` at import: every Alexa service client the SDK has, ~45 ms of
a cold start on this machine, for the one branch of ``CustomSkill.invoke`` that builds a
service client factory when an API client is configured. This skill configures none
(it calls no Alexa service), so ``Skill`` does what ``CustomSkill`` does without that
branch, on the same SDK parts: its request dispatcher, attributes manager, handler input,
template factory, response envelope and user agent. tests/alexa/test_sdk_skill.py holds
it to ``CustomSkill``, response by response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from ask_sdk_core.__version__ import __version__ as SDK_VERSION
from ask_sdk_core.attributes_manager import AttributesManager
from ask_sdk_core.handler_input import HandlerInput
from ask_sdk_core.utils import RESPONSE_FORMAT_VERSION, user_agent_info
from ask_sdk_core.view_resolvers import TemplateFactory
from ask_sdk_model import ResponseEnvelope
from ask_sdk_runtime.dispatch import GenericRequestDispatcher
from ask_sdk_runtime.exceptions import AskSdkException
from ask_sdk_runtime.skill import AbstractSkill, RuntimeConfiguration
from ask_sdk_runtime.skill_builder import AbstractSkillBuilder
from ask_sdk_runtime.utils import UserAgentManager

from skill.alexa.replays import RecentRequests

if TYPE_CHECKING:
    from ask_sdk_core.attributes_manager import AbstractPersistenceAdapter
    from ask_sdk_model import RequestEnvelope

# The message ask-sdk raises for a request meant for another skill (skill.alexa.invoke
# reads it).
SKILL_ID_MISMATCH = "Skill ID Verification failed!!"


class Skill(AbstractSkill):
    """An Alexa custom skill with a persistence adapter and no Alexa API client."""

    def __init__(
        self,
        configuration: RuntimeConfiguration,
        persistence_adapter: AbstractPersistenceAdapter | None = None,
        skill_id: str | None = None,
    ) -> None:
        self.persistence_adapter = persistence_adapter
        self.api_client = None
        self.custom_user_agent = None
        self.skill_id = skill_id
        self.recent = RecentRequests()  # answers by requestId: a repeat runs no second turn
        self.loaders = configuration.loaders
        self.renderer = configuration.renderer
        self.request_dispatcher = GenericRequestDispatcher(options=configuration)
        UserAgentManager.register_component(user_agent_info(sdk_version=SDK_VERSION))

    def supports(self, request_envelope: dict[str, Any], context: Any) -> bool:
        return "request" in request_envelope

    def invoke(self, request_envelope: RequestEnvelope, context: Any) -> ResponseEnvelope:
        # As the SDK, an envelope without context.System.application fails here (an
        # AttributeError); skill.alexa.invoke refuses those before.
        envelope: Any = request_envelope
        if self.skill_id is not None and (
            envelope.context.system.application.application_id != self.skill_id
        ):
            raise AskSdkException(SKILL_ID_MISMATCH)
        handler_input = HandlerInput(
            request_envelope=request_envelope,
            attributes_manager=AttributesManager(
                request_envelope=request_envelope,
                persistence_adapter=cast(Any, self.persistence_adapter),
            ),
            context=context,
            service_client_factory=cast(Any, None),  # no API client: no service clients
            template_factory=TemplateFactory(
                template_loaders=self.loaders, template_renderer=self.renderer
            ),
        )
        response = self.request_dispatcher.dispatch(handler_input=handler_input)
        session_attributes = None
        if request_envelope.session is not None:
            session_attributes = handler_input.attributes_manager.session_attributes
        return ResponseEnvelope(
            response=response,
            version=RESPONSE_FORMAT_VERSION,
            session_attributes=session_attributes,
            user_agent=UserAgentManager.get_user_agent(),
        )


class SkillBuilder(AbstractSkillBuilder):
    """Handlers and exception handlers in, a ``Skill`` out."""

    def __init__(
        self,
        persistence_adapter: AbstractPersistenceAdapter | None = None,
        skill_id: str | None = None,
    ) -> None:
        super().__init__()
        self.persistence_adapter = persistence_adapter
        self.skill_id = skill_id

    def create(self) -> Skill:
        configuration = self.runtime_configuration_builder.get_runtime_configuration()
        return Skill(configuration, self.persistence_adapter, self.skill_id)
