"""The offline agent with τ² retail tool definitions: tool calls through litellm, text without tools."""

from __future__ import annotations

import json

import litellm

from evopersona.llm.offline import register, respond
from evopersona.llm.offline.tau2_agent import RETAIL_TOOLS, respond_agent_with_tools

TOOLS = [{"type": "function", "function": {"name": name, "description": name, "parameters": {"type": "object"}}}
         for name in sorted(RETAIL_TOOLS)]
OPENING = [
    {"role": "system", "content": "You are a retail customer service agent."},
    {"role": "assistant", "content": "Hi! How can I help you today?"},
    {"role": "user", "content": "I want to return the bicycle I received. My name is Sofia Li, my zip code is 78260."},
]


def _tool_exchange(call_id: str, name: str, arguments: dict[str, object], result: str) -> list[dict[str, object]]:
    call = {"id": call_id, "type": "function", "function": {"name": name, "arguments": json.dumps(arguments)}}
    return [{"role": "assistant", "content": None, "tool_calls": [call]},
            {"role": "tool", "tool_call_id": call_id, "content": result}]


def test_first_step_authenticates_by_name_and_zip_through_litellm() -> None:
    register()
    reply = litellm.completion(model="offline/agent", messages=OPENING, tools=TOOLS, tool_choice="auto", seed=1)
    message = reply.choices[0].message
    assert reply.choices[0].finish_reason == "tool_calls" and not message.content
    call = message.tool_calls[0]
    assert call.function.name == "find_user_id_by_name_zip"
    assert json.loads(call.function.arguments) == {"first_name": "Sofia", "last_name": "Li", "zip": "78260"}


def test_script_reads_tool_results_and_asks_before_acting() -> None:
    order = {"order_id": "#W3916020", "status": "delivered",
             "items": [{"name": "Jigsaw Puzzle", "item_id": "4068787148", "price": 52.01},
                       {"name": "Bicycle", "item_id": "7758198585", "price": 1917.21}],
             "payment_history": [{"payment_method_id": "credit_card_8105988"}]}
    messages = [*OPENING,
                *_tool_exchange("call_1", "find_user_id_by_name_zip",
                                {"first_name": "Sofia", "last_name": "Li", "zip": "78260"}, "sofia_li_9219"),
                *_tool_exchange("call_2", "get_user_details", {"user_id": "sofia_li_9219"},
                                json.dumps({"user_id": "sofia_li_9219", "orders": ["#W3916020"]})),
                *_tool_exchange("call_3", "get_order_details", {"order_id": "#W3916020"}, json.dumps(order))]
    ask = respond_agent_with_tools(messages, TOOLS, None, 1)
    assert ask.tool_call is None and ask.text and "(yes/no)" in ask.text and "7758198585" in ask.text
    confirmed = [*messages, {"role": "assistant", "content": ask.text}, {"role": "user", "content": "yes go ahead"}]
    act = respond_agent_with_tools(confirmed, TOOLS, None, 1)
    assert act.tool_call is not None and act.tool_call.name == "return_delivered_order_items"
    assert act.tool_call.arguments == {"order_id": "#W3916020", "item_ids": ["7758198585"],
                                       "payment_method_id": "credit_card_8105988"}
    declined = [*messages, {"role": "assistant", "content": ask.text}, {"role": "user", "content": "no, don't"}]
    assert respond_agent_with_tools(declined, TOOLS, None, 1).tool_call is None


def test_without_retail_tools_the_plain_text_script_answers() -> None:
    other = [{"type": "function", "function": {"name": "get_reservation_details", "parameters": {"type": "object"}}}]
    turn = respond_agent_with_tools(OPENING, other, 0.0, 2)
    assert turn.tool_call is None and turn.text == respond("agent", OPENING, 0.0, 2)
    register()
    plain = litellm.completion(model="offline/agent", messages=OPENING, seed=2, temperature=0.0)
    assert plain.choices[0].message.content == respond("agent", OPENING, 0.0, 2)
    assert not plain.choices[0].message.tool_calls
