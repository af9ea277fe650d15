"""Length-prefixed JSON frames over pipes: how the parent and a worker talk (a result's body, ~110 KB
of policies, goes through the shared buffer of shared.py instead, announced by a small frame).

A 4-byte big-endian length then UTF-8 JSON, encoded and decoded with orjson (the stdlib codec cost
more than the program itself). The options keep the stdlib codec's strictness: dataclasses and
datetimes are not serialised implicitly, non-string keys become strings. Readers enforce a size cap
before allocating, so a hostile child cannot make the parent buffer an unbounded frame.
"""

from __future__ import annotations

import os
import select
import struct
import time
from collections.abc import Callable
from typing import Any

import orjson

HEADER = struct.Struct(">I")
MAX_CACHED_PROGRAMS = 8  # programs a worker keeps loaded; the parent sends a held program's hash without its source


class FrameError(Exception):
    """The peer closed the pipe, sent garbage, or exceeded the size cap."""


class FrameTimeout(Exception):
    """No complete frame arrived before the deadline."""


class FrameTooLarge(FrameError):
    """The peer announced a frame larger than the cap."""


_OPTIONS = orjson.OPT_PASSTHROUGH_DATACLASS | orjson.OPT_PASSTHROUGH_DATETIME
_ANY_KEYS = _OPTIONS | orjson.OPT_NON_STR_KEYS


def dumps(message: dict[str, Any], default: Callable[[Any], Any] | None = None) -> bytes:
    """A frame's body. Raises TypeError (orjson.JSONEncodeError) for data JSON cannot carry.

    Encoded first without OPT_NON_STR_KEYS, which costs half as much again on a result and changes
    nothing when every key is a string; only data that fails that way is encoded again with it."""
    try:
        return orjson.dumps(message, default=default, option=_OPTIONS)
    except TypeError:
        return orjson.dumps(message, default=default, option=_ANY_KEYS)


def encode(message: dict[str, Any]) -> bytes:
    """One frame: header and body."""
    body = dumps(message)
    return HEADER.pack(len(body)) + body


def write_frame(fd: int, message: dict[str, Any]) -> None:
    """Write one frame to a file descriptor (blocking; pipes absorb it or the reader drains it)."""
    write_all(fd, encode(message))


def write_all(fd: int, frame: bytes) -> None:
    data = memoryview(frame)
    while data:
        written = os.write(fd, data)
        data = data[written:]


def spin_until_readable(fd: int, seconds: float) -> bool:
    """Poll `fd` without sleeping for up to `seconds`; True once it is readable.

    A reader that sleeps in select() while its peer computes for a fraction of a millisecond pays for
    the wake-up of an idle core when the answer comes: on the 2-core machine of bench/sandbox.py,
    ~0.08 ms a call, as much as decoding the result. Polling for a bounded moment first costs at most
    `seconds` of CPU a frame and nothing when the peer takes longer, as a program's LLM calls do."""
    end = time.perf_counter() + seconds
    while True:
        if select.select([fd], [], [], 0)[0]:
            return True
        if time.perf_counter() >= end:
            return False


def _wait_readable(fd: int, deadline: float) -> None:
    wait = deadline - time.monotonic()
    if wait <= 0 or not select.select([fd], [], [], wait)[0]:
        raise FrameTimeout("deadline passed while waiting for the peer")


def _read_exact(fd: int, size: int, deadline: float | None) -> bytes:
    """Read `size` bytes. With a deadline `fd` must be non-blocking: data already in the pipe is read
    without a select() call, and select() waits (bounded by the deadline) only when the pipe is empty."""
    chunks: list[bytes] = []
    remaining = size
    while remaining:
        try:
            chunk = os.read(fd, min(remaining, 1 << 20))
        except BlockingIOError:
            _wait_readable(fd, deadline)
            continue
        if not chunk:
            raise FrameError("peer closed the pipe")
        chunks.append(chunk)
        remaining -= len(chunk)
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


def read_frame(fd: int, max_bytes: int, deadline: float | None = None) -> dict[str, Any]:
    """Read one frame; raise FrameTooLarge before reading a body over `max_bytes`.

    Without a deadline `fd` is read blocking; with one it must be non-blocking, so a peer that goes
    quiet mid-frame cannot hold the reader past the deadline."""
    if deadline is not None and os.get_blocking(fd):
        raise ValueError("read_frame with a deadline needs a non-blocking descriptor")
    (size,) = HEADER.unpack(_read_exact(fd, HEADER.size, deadline))
    if size > max_bytes:
        raise FrameTooLarge(f"frame of {size} bytes exceeds the {max_bytes}-byte limit")
    return decode(_read_exact(fd, size, deadline))


def decode(body: bytes) -> dict[str, Any]:
    """A frame's body (without its header) as a message. Raises FrameError."""
    try:
        message = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise FrameError(f"malformed frame: {exc}") from None
    if not isinstance(message, dict) or "type" not in message:
        raise FrameError("malformed frame: expected an object with a 'type'")
    return message
