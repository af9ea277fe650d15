"""Python API: sample personas for a task from a generator program file, through the sandbox.

The gateway (and litellm with it) is built only when the program actually calls the LLM, so
LLM-free programs sample in milliseconds.
"""

from __future__ import annotations

from pathlib import Path

from evopersona.config import LLMConfig, SandboxConfig
from evopersona.errors import InputError, WorkFailed
from evopersona.generator import PersonaRecord
from evopersona.resources import read_program
from evopersona.sandbox.bridge import BridgeRequest, Handler, gateway_handler
from evopersona.sandbox.gate import GateRejected
from evopersona.sandbox.pool import SandboxPool
from evopersona.tasks import Task


def lazy_gateway_handler(llm_config: LLMConfig, cache_dir: Path | None = None) -> Handler:
    """A handler that builds the gateway on the first LLM request, then serves every request with it."""
    built: list[Handler] = []

    def handler(requests: list[BridgeRequest]) -> list[str]:
        if not built:
            try:
                from evopersona.llm.gateway import Gateway
            except ImportError as exc:
                raise WorkFailed(f"the program calls the LLM but the gateway is unavailable ({exc})") from None
            built.append(gateway_handler(Gateway(llm_config, cache_dir=cache_dir)))
        return built[0](requests)

    return handler


def sample_personas(program_path: str | Path, task: Task, n: int, seed: int,
                    llm_config: LLMConfig | None = None,
                    sandbox_config: SandboxConfig | None = None) -> list[PersonaRecord]:
    """Run `generate(task, n, llm, rng)` of a program in the sandbox and return its validated records.

    Raises InputError for a missing or statically rejected program, ProgramFailed when it runs badly.
    """
    if n < 1:
        raise InputError(f"n must be at least 1, got {n}")
    path, source = read_program(program_path)
    config = (sandbox_config or SandboxConfig()).model_copy(update={"pool_size": 1})
    with SandboxPool(config, lazy_gateway_handler(llm_config or LLMConfig())) as pool:
        try:
            output = pool.run(source, task.generator_view(), n, seed)
        except GateRejected as exc:
            raise InputError(f"{path}: program rejected: {exc.reason}") from None
    return output.records
