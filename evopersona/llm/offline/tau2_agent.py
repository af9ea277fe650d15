"""The offline agent when the request carries τ² retail tools: a fixed script that calls them.

authenticate (email, or name + zip, or a stated user id) → get_user_details → get_order_details for
the orders the user names, then the user's other orders until the request is resolved → for a
simple cancellation of a pending order or return of named delivered items, describe it and ask
"(yes/no)" → on yes, call cancel_pending_order / return_delivered_order_items → report and ask
"anything else". Everything else gets an honest text answer. State is re-read from the messages
each turn (user text, the agent's own tool calls, the `tool` results), so it stays a pure function.
Without the retail tools it falls back to the plain-text script of agent.py.
"""

from __future__ import annotations

import json
import re
from typing import Any

from pydantic import BaseModel, Field

from evopersona.llm.offline.agent import respond_agent
from evopersona.llm.offline.text import content_of

RETAIL_TOOLS = frozenset({"find_user_id_by_email", "find_user_id_by_name_zip", "get_user_details",
                          "get_order_details", "cancel_pending_order", "return_delivered_order_items",
                          "list_all_product_types", "get_product_details"})
ANYTHING_ELSE = "Is there anything else I can help you with?"
CONFIRM_MARK = "(yes/no)"
_MAX_ASKS = 3
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.\w+")
_USER_ID = re.compile(r"\b[a-z]+_[a-z]+_\d{3,6}\b")
_ZIP = re.compile(r"\b\d{5}\b")
_NAME = re.compile(r"\b(?:name is|i am|i'm|this is)\s+([A-Za-z]+)\s+([A-Za-z]+)", re.IGNORECASE)
_ORDER = re.compile(r"#?\bW(\d{7})\b|#(\d{7})\b")
_AFFIRM = re.compile(r"\b(yes|yep|yeah|yup|sure|ok|okay|go ahead|confirm|correct|do that|please do|proceed)\b", re.IGNORECASE)
_DECLINE = re.compile(r"\b(no|nope|don'?t|do not|wait|stop|cancel that|changed my mind)\b", re.IGNORECASE)
_INTENT = re.compile(r"\b(cancel|return|refund)", re.IGNORECASE)
_OTHER_REQUEST = re.compile(r"\b(exchange|modify|change|swap|upgrade|replace)", re.IGNORECASE)
_OTHER_VERB = re.compile(r"\b(exchange|modify|change|swap|upgrade|replace|cancel|return|know|ask|check|update)", re.IGNORECASE)
_HOW_MANY = re.compile(r"how many ([\w -]+?) (?:options|variants|kinds|types)", re.IGNORECASE)
_NOT_A_NAME = {"reaching", "calling", "writing", "looking", "trying", "not", "a", "the", "here", "sorry"}


class ToolCallOut(BaseModel):
    """One tool call the offline agent makes."""

    id: str
    name: str
    arguments: dict[str, Any] = Field(default_factory=dict)


class AgentTurn(BaseModel):
    """The agent's next message: text, or exactly one tool call."""

    text: str | None = None
    tool_call: ToolCallOut | None = None


class _Call(BaseModel):
    name: str
    arguments: dict[str, Any]
    result: str | None = None

    @property
    def ok(self) -> bool:
        return self.result is not None and not self.result.startswith("Error")

    def data(self) -> Any:
        """The parsed JSON result (a bare string result such as a user id stays a string)."""
        if not self.ok:
            return None
        try:
            return json.loads(self.result or "")
        except json.JSONDecodeError:
            return self.result


def tool_names(tools: list[Any]) -> set[str]:
    """Names of OpenAI-style tool definitions."""
    names = set()
    for tool in tools:
        function = tool.get("function", tool) if isinstance(tool, dict) else getattr(tool, "function", tool)
        name = function.get("name") if isinstance(function, dict) else getattr(function, "name", None)
        if name:
            names.add(str(name))
    return names


def _field(obj: Any, key: str) -> Any:
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def _calls(messages: list[dict[str, Any]]) -> list[_Call]:
    results = {m.get("tool_call_id"): content_of(m) for m in messages if m.get("role") == "tool"}
    calls = []
    for message in messages:
        for call in (message.get("tool_calls") or []) if message.get("role") == "assistant" else []:
            function = _field(call, "function")
            raw = _field(function, "arguments") or "{}"
            arguments = json.loads(raw) if isinstance(raw, str) else dict(raw)
            calls.append(_Call(name=_field(function, "name"), arguments=arguments, result=results.get(_field(call, "id"))))
    return calls


def _stem(word: str) -> str:
    return word[:-1] if word.endswith("s") and len(word) > 3 else word


def _segment(text: str, verb: str) -> str:
    """What follows the request verb up to the next verb ('return the bottle, and exchange…' → 'the bottle, and')."""
    start = re.search(rf"\b{verb}", text, re.IGNORECASE)
    if start is None:
        return ""
    rest = text[start.end():]
    rest = re.sub(r"^\w*", "", rest)
    stop = _OTHER_VERB.search(rest)
    end = re.search(r"[.!?]", rest)
    cut = min(m.start() for m in (stop, end) if m is not None) if (stop or end) else len(rest)
    return rest[:cut]


def _matching_items(order: dict[str, Any], segment: str) -> list[dict[str, Any]]:
    """Items whose product name the user named (its head noun, singular or plural)."""
    said = {_stem(w) for w in re.findall(r"[a-z]+", segment.lower().replace("-", ""))}
    return [item for item in order.get("items", [])
            if _stem(re.findall(r"[a-z]+", item["name"].lower().replace("-", ""))[-1]) in said]


class _Script:
    """One agent turn, computed from the whole conversation."""

    def __init__(self, messages: list[dict[str, Any]]) -> None:
        self.calls = _calls(messages)
        self.users = [content_of(m) for m in messages if m.get("role") == "user" and content_of(m).strip()]
        self.own = [content_of(m) for m in messages if m.get("role") == "assistant" and content_of(m).strip()]
        self.said = " ".join(self.users)

    def _called(self, name: str, **arguments: Any) -> bool:
        return any(c.name == name and all(c.arguments.get(k) == v for k, v in arguments.items()) for c in self.calls)

    def _call(self, name: str, **arguments: Any) -> AgentTurn:
        return AgentTurn(tool_call=ToolCallOut(id=f"call_{len(self.calls) + 1}", name=name, arguments=arguments))

    def _asked(self, marker: str) -> int:
        return sum(marker in o for o in self.own)

    def user_id(self) -> str | None:
        for call in self.calls:
            if call.name.startswith("find_user_id") and call.ok:
                return str(call.data())
            if call.name == "get_user_details" and call.ok:
                return str(call.arguments.get("user_id"))
        return None

    def auth_call(self) -> AgentTurn | None:
        for email in _EMAIL.findall(self.said):
            if not self._called("find_user_id_by_email", email=email):
                return self._call("find_user_id_by_email", email=email)
        names = [(f, l) for f, l in _NAME.findall(self.said) if f.lower() not in _NOT_A_NAME]
        for first, last in names:
            for zip_code in _ZIP.findall(self.said):
                arguments = {"first_name": first.capitalize(), "last_name": last.capitalize(), "zip": zip_code}
                if not self._called("find_user_id_by_name_zip", **arguments):
                    return self._call("find_user_id_by_name_zip", **arguments)
        for user_id in _USER_ID.findall(self.said):
            if not self._called("get_user_details", user_id=user_id):
                return self._call("get_user_details", user_id=user_id)
        return None

    def orders(self) -> dict[str, dict[str, Any]]:
        return {c.arguments["order_id"]: c.data() for c in self.calls if c.name == "get_order_details" and c.ok}

    def order_queue(self, user: dict[str, Any]) -> list[str]:
        named = ["#W" + (a or b) for a, b in _ORDER.findall(self.said)]
        return list(dict.fromkeys([*named, *user.get("orders", [])]))

    def resolve(self, intent: str, queue: list[str]) -> AgentTurn | None:
        """The action call for the request, once the fetched orders identify it."""
        orders = self.orders()
        named = ["#W" + (a or b) for a, b in _ORDER.findall(self.said)]
        # With one request in the conversation every named product counts; with several, only those after the verb.
        segment = _segment(self.said, intent) if _OTHER_REQUEST.search(self.said) else self.said
        for order_id in queue:
            order = orders.get(order_id)
            if order is None:
                continue
            if intent == "cancel" and order.get("status") == "pending" and (
                    order_id in named or _matching_items(order, segment)):
                reason = "ordered by mistake" if "mistake" in self.said.lower() else "no longer needed"
                return self._call("cancel_pending_order", order_id=order_id, reason=reason)
            items = _matching_items(order, segment)
            if intent == "return" and order.get("status") == "delivered" and items:
                payment = order["payment_history"][0]["payment_method_id"]
                return self._call("return_delivered_order_items", order_id=order_id,
                                  item_ids=[i["item_id"] for i in items], payment_method_id=payment)
        return None

    def describe(self, action: ToolCallOut) -> str:
        order = self.orders()[action.arguments["order_id"]]
        if action.name == "cancel_pending_order":
            names = ", ".join(i["name"] for i in order.get("items", []))
            return (f"Your order {action.arguments['order_id']} ({names}) is pending, so I can cancel it with the reason "
                    f"'{action.arguments['reason']}'; the refund goes to the original payment method. "
                    f"Shall I proceed {CONFIRM_MARK}?")
        chosen = [i for i in order["items"] if i["item_id"] in action.arguments["item_ids"]]
        listed = ", ".join(f"{i['name']} (item {i['item_id']}, ${i['price']})" for i in chosen)
        return (f"In your delivered order {action.arguments['order_id']} I found: {listed}. I can return "
                f"{'it' if len(chosen) == 1 else 'them'} with a refund to {action.arguments['payment_method_id']}, "
                f"the original payment method. Shall I proceed {CONFIRM_MARK}?")

    def act(self, action: AgentTurn) -> AgentTurn:
        assert action.tool_call is not None
        done = next((c for c in self.calls if c.name == action.tool_call.name), None)
        if done is not None:
            if done.ok:
                return AgentTurn(text=f"Done: your request on order {done.arguments['order_id']} has been processed. "
                                      f"{ANYTHING_ELSE}")
            return AgentTurn(text=f"I'm sorry, the system could not process it ({done.result}). {ANYTHING_ELSE}")
        last_own = self.own[-1] if self.own else ""
        last_user = self.users[-1]
        if CONFIRM_MARK in last_own and _AFFIRM.search(last_user) and not _DECLINE.search(last_user):
            return action
        if CONFIRM_MARK in last_own and _DECLINE.search(last_user):
            return AgentTurn(text=f"Understood, I will not make any change. {ANYTHING_ELSE}")
        if self._asked(CONFIRM_MARK) < _MAX_ASKS:
            return AgentTurn(text=self.describe(action.tool_call))
        return AgentTurn(text=f"I have not made any change since I did not get a clear yes. {ANYTHING_ELSE}")

    def product_question(self) -> AgentTurn | str | None:
        """Answer "how many <product> options are available": a lookup call, then the count as text."""
        asked = _HOW_MANY.search(self.said)
        if asked is None:
            return None
        listing = next((c for c in self.calls if c.name == "list_all_product_types" and c.ok), None)
        if listing is None:
            return self._call("list_all_product_types")
        key = _stem(re.sub(r"[^a-z]", "", asked.group(1).lower()))
        products = {name: pid for name, pid in listing.data().items() if _stem(re.sub(r"[^a-z]", "", name.lower())) == key}
        if not products:
            return f"I could not find a product type called '{asked.group(1)}'."
        name, product_id = next(iter(products.items()))
        details = next((c for c in self.calls if c.name == "get_product_details" and c.arguments.get("product_id") == product_id), None)
        if details is None:
            return self._call("get_product_details", product_id=product_id)
        if not details.ok:
            return f"I could not look up the {name} options ({details.result})."
        available = sum(1 for variant in details.data().get("variants", {}).values() if variant.get("available"))
        return f"There are {available} {name} options available right now."

    def turn(self) -> AgentTurn:
        """The next turn, with the answer to a product question put before the first text that follows it."""
        core = self.core_turn()
        if core.text is None:
            return core
        answer = self.product_question()
        if isinstance(answer, AgentTurn):
            return answer
        if answer and not any(answer in o for o in self.own):
            return AgentTurn(text=f"{answer} {core.text}")
        return core

    def core_turn(self) -> AgentTurn:
        if not self.users:
            return AgentTurn(text="Hi! How can I help you today?")
        user_id = self.user_id()
        if user_id is None:
            call = self.auth_call()
            if call is not None:
                return call
            if self._asked("verify your identity") < _MAX_ASKS:
                failed = " I could not find an account with those details." if self.calls else ""
                return AgentTurn(text=f"I can help with that.{failed} Could you please provide your email address, "
                                      "or your name and zip code, so I can verify your identity?")
            return AgentTurn(text=f"I'm sorry, I cannot help without verifying your identity. {ANYTHING_ELSE}")
        user_call = next((c for c in self.calls if c.name == "get_user_details" and c.ok), None)
        if user_call is None:
            return self._call("get_user_details", user_id=user_id)
        intent_match = _INTENT.search(self.said)
        if intent_match is None:
            return AgentTurn(text="Thank you, your account is verified. I can cancel pending orders or return "
                                  f"delivered items; I cannot help with other requests here. {ANYTHING_ELSE}")
        intent = "cancel" if intent_match.group(1).lower() == "cancel" else "return"
        queue = self.order_queue(user_call.data())
        action = self.resolve(intent, queue)
        if action is not None:
            return self.act(action)
        fetched = {c.arguments.get("order_id") for c in self.calls if c.name == "get_order_details"}
        pending = [o for o in queue if o not in fetched]
        if pending:
            return self._call("get_order_details", order_id=pending[0])
        return AgentTurn(text=f"I checked your orders but could not identify an order or items I can {intent} for "
                              f"this request, so I have made no change. {ANYTHING_ELSE}")


def respond_agent_with_tools(messages: list[dict[str, Any]], tools: list[Any], temperature: float | None,
                             seed: int | None) -> AgentTurn:
    """The agent's next turn given τ²-style tool definitions; plain text when they are not retail's."""
    if not RETAIL_TOOLS <= tool_names(tools):
        return AgentTurn(text=respond_agent(messages, temperature, seed))
    return _Script(messages).turn()
