"""Reading the user side of dialogues from the transcript files people actually have.

Why: `score --dialogues` is pointed at the output of someone else's simulator, not only at files in
the human-corpus schema. Accepted, as JSONL (one dialogue a line; always for `.jsonl`) or one JSON document:

- the human-corpus schema: `{"turns": [{"role", "text"}]}`;
- chat messages: `{"messages": [{"role", "content"}]}` (τ²-bench simulations, OpenAI-style logs),
  `{"traj": [...]}` (τ-bench results), `{"conversation" | "conversations" | "dialogue": [...]}`;
- a bare list of turns `[{"role", "content"}, ...]` (also `from`/`speaker` for the role and
  `text`/`value`/`message`/`utterance` for the words, as in ShareGPT-style files);
- a JSON document holding many of these: a list, or an object with `simulations` (a τ²-bench
  results file), `dialogues`, `conversations`, `results` or `data`.

The user side is every turn whose role is a user's (`user`, `customer`, `human`, `client`,
`caller`); turns without text (tool calls) are skipped, content given as a list of parts keeps its
text parts, and simulator control tokens (`###STOP###`, `###TRANSFER###`...) are removed, as in the
bundled LLM-simulator corpus. Anything else is an `InputError` naming the file and where.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from evopersona.errors import InputError

USER_ROLES = frozenset({"user", "customer", "human", "client", "caller"})
ROLE_KEYS = ("role", "from", "speaker", "author")
TEXT_KEYS = ("content", "text", "value", "message", "utterance")
TURN_LIST_KEYS = ("turns", "messages", "traj", "trajectory", "conversation", "conversations", "dialogue")
COLLECTION_KEYS = ("simulations", "dialogues", "conversations", "results", "data")
_CONTROL = re.compile(r"###[A-Z][A-Z_-]*###")


def _text(turn: dict[str, Any]) -> str:
    for key in TEXT_KEYS:
        value = turn.get(key)
        if isinstance(value, str):
            return _CONTROL.sub("", value).strip()
        if isinstance(value, list):
            parts = [p.get("text", "") if isinstance(p, dict) else p for p in value]
            return _CONTROL.sub("", " ".join(p for p in parts if isinstance(p, str))).strip()
    return ""


def _role(turn: dict[str, Any]) -> str | None:
    role = next((turn[k] for k in ROLE_KEYS if isinstance(turn.get(k), str)), None)
    return role.strip().lower() if role is not None else None


def _turn_list(item: Any) -> list[Any] | None:
    if isinstance(item, list):
        return item
    if isinstance(item, dict):
        return next((item[k] for k in TURN_LIST_KEYS if isinstance(item.get(k), list)), None)
    return None


def user_side(item: Any, where: str) -> list[str]:
    """The user turns of one dialogue in any accepted shape (possibly none)."""
    turns = _turn_list(item)
    if turns is None:
        raise InputError(f"{where}: not a dialogue (expected a list of turns or an object with one of "
                         f"{', '.join(TURN_LIST_KEYS)})")
    roles = [_role(t) if isinstance(t, dict) else None for t in turns]
    if turns and all(r is None for r in roles):
        raise InputError(f"{where}: turns have no role (expected one of {', '.join(ROLE_KEYS)})")
    if turns and not any(r in USER_ROLES for r in roles):
        seen = sorted({r for r in roles if r is not None})
        raise InputError(f"{where}: no user turn (roles {seen}; a user's role is one of {sorted(USER_ROLES)})")
    texts = [_text(t) for t, r in zip(turns, roles, strict=True) if r in USER_ROLES]
    return [t for t in texts if t]


def _dialogues_of_document(document: Any) -> list[Any]:
    if isinstance(document, dict) and _turn_list(document) is None:
        found = next((document[k] for k in COLLECTION_KEYS if isinstance(document.get(k), list)), None)
        return found if found is not None else [document]
    if isinstance(document, list) and document and all(isinstance(x, dict) and _role(x) for x in document):
        return [document]
    return document if isinstance(document, list) else [document]


def _jsonl(path: Path, text: str) -> list[tuple[str, Any]]:
    out: list[tuple[str, Any]] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            out.append((f"{path}: line {lineno}", json.loads(line)))
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: line {lineno}: not JSON ({exc.msg})") from None
    return out


def _parse(path: Path, text: str) -> list[tuple[str, Any]]:
    """(where, dialogue) pairs: a `.jsonl` file is one dialogue a line; anything else is read as one
    JSON document, or as JSONL when it is not one."""
    if path.suffix.lower() == ".jsonl":
        return _jsonl(path, text)
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        return _jsonl(path, text)
    return [(f"{path}: dialogue {i + 1}", d) for i, d in enumerate(_dialogues_of_document(document))]


def load_user_sides(path: Path) -> list[list[str]]:
    """The user side of every dialogue in a transcript file; dialogues without a user turn are dropped."""
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a UTF-8 text file") from None
    sides = [user_side(d, where) for where, d in _parse(path, text)]
    kept = [s for s in sides if s]
    if not kept:
        raise InputError(f"{path}: no dialogue with a user turn to score")
    return kept
