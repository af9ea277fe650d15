"""The one configuration model of a run, read from TOML, overridable from the command line.

Every LLM role defaults to the offline provider (`offline/<role>`), so every command works with no
key and no network; `--model` (or `llm.model`) switches all roles to a real litellm model at once.
"""

from __future__ import annotations

import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from evopersona.errors import InputError

ROLES = ("mutator", "generator", "user", "agent", "judge", "reflection")
Role = Literal["mutator", "generator", "user", "agent", "judge", "reflection"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


_ROLE_DEFAULTS: dict[str, dict[str, Any]] = {
    "mutator": {"temperature": 1.0, "max_tokens": 8192},
    "generator": {"temperature": 0.8, "max_tokens": 4000},
    "user": {"temperature": 0.0, "max_tokens": 400},
    "agent": {"temperature": 0.0, "max_tokens": 600},
    "judge": {"temperature": 0.0, "max_tokens": 600},
    "reflection": {"temperature": 0.25, "max_tokens": 2000},
}


# A `local/` model is a small model on the CPU (evopersona/llm/local.py): unless `llm.local_caps` is false,
# its roles answer in at most these many tokens, one call at a time, and the run is sized to finish in
# minutes (RunConfig._size_for_local_models).
LOCAL_ROLE_MAX_TOKENS = {"mutator": 640, "generator": 500, "user": 80, "agent": 120, "judge": 160, "reflection": 200}


class RoleConfig(_Strict):
    """How one role calls its model. `model` is any litellm model string."""

    model: str = ""
    models: list[str] = Field(
        default_factory=list, description="mutator only: several models, chosen per call by a UCB bandit"
    )
    temperature: float = Field(default=0.0, ge=0.0, le=2.0)
    max_tokens: int = Field(default=1024, ge=1, le=200_000)
    concurrency: int = Field(default=16, ge=1, le=4096)
    cache: bool = True
    timeout_s: float = Field(default=120.0, gt=0)
    api_base: str | None = None


class BudgetConfig(_Strict):
    max_usd: float | None = Field(default=None, ge=0)
    max_calls: int | None = Field(default=None, ge=0)


class RateLimitConfig(_Strict):
    """Per-model limits shared by every worker of a run; None means unlimited."""

    requests_per_minute: int | None = Field(default=None, ge=1)
    tokens_per_minute: int | None = Field(default=None, ge=1)


class LLMConfig(_Strict):
    model: str | None = Field(default=None, description="override the model of every role")
    api_base: str | None = None
    max_retries: int = Field(default=4, ge=0, le=20)
    cache_dir: str | None = Field(default=None, description="default: <run dir>/llm-cache")
    roles: dict[str, RoleConfig] = Field(default_factory=dict)
    budget: BudgetConfig = Field(default_factory=BudgetConfig)
    rate_limit: RateLimitConfig = Field(default_factory=RateLimitConfig)
    local_caps: bool = Field(default=True, description="size roles and the run for a small local/ model")

    @field_validator("roles", mode="before")
    @classmethod
    def _known_roles(cls, value: Any) -> Any:
        if isinstance(value, dict):
            unknown = sorted(set(value) - set(ROLES))
            if unknown:
                raise ValueError(f"unknown role(s) {unknown}; roles are {list(ROLES)}")
        return value

    @model_validator(mode="after")
    def _fill_roles(self) -> LLMConfig:
        filled: dict[str, RoleConfig] = {}
        for role in ROLES:
            given = self.roles.get(role)
            data = {**_ROLE_DEFAULTS[role], **(given.model_dump(exclude_unset=True) if given else {})}
            if self.model:
                data["model"] = self.model
                data["models"] = []
            if data.get("models") and not data.get("model"):
                data["model"] = data["models"][0]
            data.setdefault("model", "")
            if not data["model"]:
                data["model"] = f"offline/{role}"
            if self.api_base and not data.get("api_base"):
                data["api_base"] = self.api_base
            if self.local_caps and data["model"].startswith("local/"):
                data["max_tokens"] = min(data["max_tokens"], LOCAL_ROLE_MAX_TOKENS[role])
                # One call at a time per role: the model runs on one thread anyway, and a role's calls
                # in order keep its llama context's prefix (an episode's turns) instead of re-reading it.
                data["concurrency"] = 1
            filled[role] = RoleConfig(**data)
        object.__setattr__(self, "roles", filled)
        return self

    def role(self, name: str) -> RoleConfig:
        return self.roles[name]

    def mutator_models(self) -> list[str]:
        """The models the mutator's bandit chooses among (just `model` unless `models` is set)."""
        mutator = self.roles["mutator"]
        return list(mutator.models) or [mutator.model]


class TasksConfig(_Strict):
    source: str = Field(default="retail", description="a τ² domain or a tasks file (.json or .jsonl)")
    split: Literal["train", "test", "all"] = "train"
    ids: list[str] | None = None
    max_tasks: int | None = Field(default=None, ge=1)
    batch_size: int = Field(default=5, ge=1, description="tasks per evaluation (sliding window)")
    personas_per_task: int = Field(default=10, ge=1, le=200)


class FitnessConfig(_Strict):
    human_likeness_weight: float = Field(default=0.5, ge=0, le=1)
    coverage_weight: float = Field(default=0.5, ge=0, le=1)
    preservation_floor: float = Field(default=0.9, ge=0, le=1)
    coverage_space: Literal["zscore", "raw"] = "zscore"
    discriminator: Literal["forest", "text", "combined"] = "forest"
    human_sources: list[str] = Field(default_factory=lambda: ["star", "multiwoz21", "sgd_services", "abcd_sample"])
    human_test_fraction: float = Field(default=0.2, gt=0, lt=1)
    baseline_program: str = "baseline.py"
    baseline_personas_per_task: int = Field(default=4, ge=1)
    reference_tasks: int | None = Field(default=None, ge=1, description="cap on train tasks for baseline episodes")
    llm_preservation_judge: bool = False
    realism_judges: bool = False

    @model_validator(mode="after")
    def _weights_sum(self) -> FitnessConfig:
        if abs(self.human_likeness_weight + self.coverage_weight - 1.0) > 1e-6:
            raise ValueError("human_likeness_weight + coverage_weight must equal 1")
        return self


class NoveltyConfig(_Strict):
    """Reject a child before evaluation when it is this similar (cosine, 0-1) to a known program."""

    code_similarity: float | None = Field(default=None, gt=0, le=1, description="character n-gram embedding of the code")
    behaviour_similarity: float | None = Field(
        default=None, gt=0, le=1, description="embedding of the policies of a one-task dry run in the sandbox"
    )
    judge: bool = Field(default=False, description="ask the judge role about children just below a threshold")
    judge_band: float = Field(default=0.01, ge=0, le=1)


class SearchConfig(_Strict):
    seed_programs: list[str] = Field(default_factory=lambda: ["axes_seed.py", "compositional.py"])
    islands: int = Field(default=5, ge=1, le=64)
    migration_interval: int = Field(default=10, ge=1, description="evaluations between migrations")
    migration_rate: float = Field(default=0.2, gt=0, le=1)
    exploration_ratio: float = Field(default=0.2, ge=0, le=1)
    exploitation_ratio: float = Field(default=0.7, ge=0, le=1)
    inspirations: int = Field(default=2, ge=0, le=10)
    max_evaluations: int = Field(default=100, ge=1)
    max_wall_seconds: float | None = Field(default=None, gt=0)
    patience: int | None = Field(default=None, ge=1, description="stop after K evaluations without a new best")
    in_flight: int = Field(default=4, ge=1, le=1024)
    max_mutation_attempts: int = Field(default=5, ge=1)
    max_code_length: int = Field(default=65536, ge=1000)
    near_duplicate_ratio: float = Field(
        default=0.9995, gt=0.5, le=1.0, description="skip a child at least this similar to a known program"
    )
    novelty: NoveltyConfig = Field(default_factory=NoveltyConfig)
    strategy: Literal["evolution", "best_of_n", "random"] = Field(
        default="evolution",
        description="evolution: islands and selection; best_of_n: every child from a seed program; random: uniform parent",
    )


class EpisodeConfig(_Strict):
    runner: Literal["builtin", "tau2"] = "builtin"
    max_turns: int = Field(default=20, ge=2, le=200)


class SandboxConfig(_Strict):
    timeout_s: float = Field(default=60.0, gt=0)
    cpu_seconds: int = Field(default=30, ge=1)
    memory_mb: int = Field(default=1024, ge=64)
    max_output_bytes: int = Field(default=4_000_000, ge=1024)
    pool_size: int = Field(default=2, ge=1, le=64)
    allow_weaker: list[Literal["network_namespace", "filesystem", "user_namespace", "privilege_drop", "seccomp"]] = Field(
        default_factory=list,
        description="OS sandbox layers you accept to run without where this machine lacks them (never silent)")


class RayConfig(_Strict):
    executor: Literal["ray", "inline"] = "ray"
    address: str | None = Field(default=None, description="None starts a local Ray; 'auto' joins a cluster")
    num_cpus: int | None = Field(default=None, ge=1)
    max_retries: int = Field(default=2, ge=0)
    evaluations_per_cpu: int = Field(
        default=2, ge=1, le=8,
        description="evaluations a CPU runs at once (local Ray: threads of one worker process per CPU; cluster: "
        "a process each, asking for 1/this of a CPU): 2 lets one evaluation's episodes overlap the CPU stages of "
        "another, so a slow LLM stays busy (bench/evolve.py); search.in_flight should reach num_cpus × this; "
        "1 on a cluster short of memory (one worker process per CPU instead of two)",
    )
    workers_lost_after_s: float = Field(
        default=120.0, gt=0, description="stop the run (resumable) when the cluster has had no CPU for this long"
    )
    worker_llm_cache: Literal["node", "off"] = Field(
        default="node",
        description="on a cluster each worker node keeps its own LLM cache (llm.cache_dir on that node, "
        "else <node temp dir>/evopersona-llm-cache/<run name>), or none",
    )


class StorageConfig(_Strict):
    url: str | None = Field(default=None, description="default: sqlite in the run directory")


class RunConfig(_Strict):
    name: str = Field(default="run", pattern=r"^[A-Za-z0-9_.-]+$")
    seed: int = 0
    runs_dir: str = "runs"
    tasks: TasksConfig = Field(default_factory=TasksConfig)
    llm: LLMConfig = Field(default_factory=LLMConfig)
    fitness: FitnessConfig = Field(default_factory=FitnessConfig)
    search: SearchConfig = Field(default_factory=SearchConfig)
    episodes: EpisodeConfig = Field(default_factory=EpisodeConfig)
    sandbox: SandboxConfig = Field(default_factory=SandboxConfig)
    ray: RayConfig = Field(default_factory=RayConfig)
    storage: StorageConfig = Field(default_factory=StorageConfig)

    @model_validator(mode="after")
    def _size_for_local_models(self) -> RunConfig:
        """With a local/ model in any role (and llm.local_caps), cap the episodes and populations."""
        if self.llm.local_caps and any(r.model.startswith("local/") for r in self.llm.roles.values()):
            self.episodes.max_turns = min(self.episodes.max_turns, 4)
            self.fitness.reference_tasks = min(self.fitness.reference_tasks or 2, 2)
            self.fitness.baseline_personas_per_task = min(self.fitness.baseline_personas_per_task, 2)
            self.tasks.personas_per_task = min(self.tasks.personas_per_task, 2)
            self.tasks.batch_size = min(self.tasks.batch_size, 2)
        return self

    def run_dir(self) -> Path:
        return Path(self.runs_dir) / self.name

    def storage_url(self) -> str:
        return self.storage.url or f"sqlite:///{(self.run_dir() / 'evopersona.db').resolve()}"


def _parse_value(text: str) -> Any:
    """A CLI override value: TOML/JSON syntax when it parses (numbers, booleans, lists), else a string."""
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        pass
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def apply_overrides(data: dict[str, Any], overrides: list[str]) -> dict[str, Any]:
    """Apply `section.key=value` overrides to a raw config dict (before validation)."""
    for item in overrides:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise InputError(f"override '{item}': expected KEY=VALUE, e.g. search.max_evaluations=20")
        parts = key.strip().split(".")
        node = data
        for part in parts[:-1]:
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise InputError(f"override '{item}': '{part}' is not a section")
            node = child
        node[parts[-1]] = _parse_value(value.strip())
    return data


def _format_errors(error: ValidationError, origin: str) -> str:
    lines = [f"{origin}: invalid configuration"]
    for err in error.errors():
        where = ".".join(str(p) for p in err["loc"]) or "(top level)"
        msg = "unknown key" if err["type"] == "extra_forbidden" else err["msg"]
        lines.append(f"  {where}: {msg}")
    return "\n".join(lines)


def validate_config(data: dict[str, Any], origin: str = "config") -> RunConfig:
    try:
        return RunConfig.model_validate(data)
    except ValidationError as exc:
        raise InputError(_format_errors(exc, origin)) from None


def read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise InputError(f"{path}: config file not found")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not valid TOML ({exc})") from None


def load_config(path: Path | None = None, overrides: list[str] | None = None) -> RunConfig:
    """Read a run configuration from TOML (or defaults), apply overrides, validate."""
    data = read_toml(path) if path is not None else {}
    if path is not None and "name" not in data:
        data["name"] = path.stem
    apply_overrides(data, overrides or [])
    return validate_config(data, str(path) if path else "config")
