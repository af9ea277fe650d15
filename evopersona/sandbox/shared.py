"""A shared-memory buffer that carries a worker's result to the parent instead of the pipe.

A result is ~110 KB of policies; through a pipe that cost ~0.1 ms a call in page allocations, two
copies and a wake-up per 64 KiB, more than decoding it. The parent creates a memfd of a fixed size,
seals its size (a worker that shrank it would crash the parent's reads with SIGBUS), maps it and
hands the descriptor to the worker, which maps it and closes the descriptor before any program runs.
The worker writes a result body at offset 0 and announces its size in a small pipe frame; the parent
copies the bytes out before decoding them, so nothing in the worker can change them while they are
parsed. Everything else (jobs, LLM requests, errors) still travels as pipe frames.
"""

from __future__ import annotations

import fcntl
import mmap
import os

from evopersona.sandbox.protocol import FrameError, FrameTooLarge

_SEALS = fcntl.F_SEAL_SHRINK | fcntl.F_SEAL_GROW | fcntl.F_SEAL_SEAL


class SharedBuffer:
    """The parent's side: owns the memfd until the worker has it, then only the mapping."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.fd = os.memfd_create("evopersona-result", os.MFD_CLOEXEC | os.MFD_ALLOW_SEALING)
        try:
            os.ftruncate(self.fd, size)
            fcntl.fcntl(self.fd, fcntl.F_ADD_SEALS, _SEALS)
            self._map = mmap.mmap(self.fd, size)
        except BaseException:
            os.close(self.fd)
            raise

    def handed_over(self) -> None:
        """The worker has its own copy of the descriptor; the parent keeps only the mapping."""
        os.close(self.fd)

    def read(self, size: object) -> bytes:
        """A copy of the first `size` bytes the worker wrote. Raises FrameError for an impossible size."""
        if type(size) is not int or size < 0:
            raise FrameError(f"malformed shared-buffer frame: size {size!r}")
        if size > self.size:
            raise FrameTooLarge(f"shared result of {size} bytes exceeds the {self.size}-byte buffer")
        return self._map[:size]

    def close(self) -> None:
        self._map.close()


def attach(fd: int, size: int) -> mmap.mmap:
    """The worker's side: map the buffer and close the descriptor, so a program cannot resize or reopen it."""
    mapping = mmap.mmap(fd, size)
    os.close(fd)
    return mapping
