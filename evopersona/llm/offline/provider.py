"""The litellm custom provider `offline`: model names `offline/<role>`, served by `roles.respond`.

Importing this module imports litellm (`evopersona.llm` has already pointed it at its local
model-cost map, so nothing is fetched).
"""

from __future__ import annotations

import json
import time
from typing import Any

import litellm
from litellm import CustomLLM
from litellm.types.utils import (
    ChatCompletionMessageToolCall,
    Function,
    Message,
    ModelResponse,
    Usage,
)

from evopersona.llm.offline.roles import respond
from evopersona.llm.offline.tau2_agent import AgentTurn, respond_agent_with_tools
from evopersona.llm.offline.text import content_of, count_tokens

PROVIDER = "offline"


class OfflineLLM(CustomLLM):
    """Answers every role deterministically, with word-based token counts and no network.

    An agent request carrying `tools` (litellm passes them in `optional_params["tools"]`) may be
    answered with one tool call, returned the OpenAI way: `message.tool_calls`, finish reason
    "tool_calls".
    """

    def completion(self, model: str, messages: list, api_base: str, custom_prompt_dict: dict,
                   model_response: ModelResponse, print_verbose: Any, encoding: Any, api_key: Any,
                   logging_obj: Any, optional_params: dict, *args: Any, **kwargs: Any) -> ModelResponse:
        role = model.split("/", 1)[-1]
        temperature, seed, tools = (optional_params.get(k) for k in ("temperature", "seed", "tools"))
        if role == "agent" and tools:
            turn = respond_agent_with_tools(messages, tools, temperature, seed)
        else:
            turn = AgentTurn(text=respond(role, messages, temperature, seed))
        choice = model_response.choices[0]
        if turn.tool_call is not None:
            call = turn.tool_call
            text = json.dumps(call.arguments)
            choice.message = Message(role="assistant", content=None, tool_calls=[ChatCompletionMessageToolCall(  # type: ignore[union-attr]
                id=call.id, type="function", function=Function(name=call.name, arguments=text))])
            choice.finish_reason = "tool_calls"
        else:
            text = turn.text or ""
            choice.message.content = text  # type: ignore[union-attr]
            choice.finish_reason = "stop"
        model_response.model = f"{PROVIDER}/{role}"
        model_response.created = int(time.time())
        tokens_in = sum(count_tokens(content_of(m)) for m in messages)
        tokens_out = count_tokens(text)
        model_response.usage = Usage(prompt_tokens=tokens_in, completion_tokens=tokens_out,  # type: ignore[attr-defined]
                                     total_tokens=tokens_in + tokens_out)
        return model_response

    async def acompletion(self, model: str, messages: list, api_base: str, custom_prompt_dict: dict,
                          model_response: ModelResponse, print_verbose: Any, encoding: Any, api_key: Any,
                          logging_obj: Any, optional_params: dict, *args: Any, **kwargs: Any) -> ModelResponse:
        return self.completion(model, messages, api_base, custom_prompt_dict, model_response, print_verbose,
                               encoding, api_key, logging_obj, optional_params, *args, **kwargs)


def register() -> None:
    """Make `offline/<role>` models available to litellm; calling it again changes nothing."""
    current = list(litellm.custom_provider_map or [])
    if any(entry.get("provider") == PROVIDER for entry in current):
        return
    litellm.custom_provider_map = [*current, {"provider": PROVIDER, "custom_handler": OfflineLLM()}]
