"""The FastAPI application: runs, status, Pareto front, programs, and persona sampling in the sandbox.

Errors are JSON `{"error": {"status", "message", "details"}}` with the right status code: 404 for
an unknown run, program or task, 422 for a bad request, 401 for a missing or wrong bearer token,
500 (without a traceback) when the work itself fails.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from evopersona import __version__
from evopersona.api import (
    NotFound,
    ProgramInfo,
    find_task,
    program_info,
    run_cache_dir,
    sample_program,
)
from evopersona.errors import InputError, WorkFailed
from evopersona.report.data import collect
from evopersona.report.live import index_page, live_fragment, live_page, program_page
from evopersona.runs import OpenRun
from evopersona.service.models import (
    ErrorResponse,
    FrontResponse,
    Health,
    RunList,
    RunSummary,
    SampledPersona,
    SampleRequest,
    SampleResponse,
)
from evopersona.service.registry import RunRegistry
from evopersona.simulate.persona_block import wrap_policy
from evopersona.tasks import TAU2_DOMAINS, Task, load_tasks

log = logging.getLogger("evopersona.service")
ERRORS: dict[int | str, dict] = {code: {"model": ErrorResponse} for code in (401, 404, 422, 500)}


def _error(status: int, message: str, details: list[str] | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    body = {"error": {"status": status, "message": message, "details": details or []}}
    return JSONResponse(body, status_code=status, headers=headers)


def _validation_details(exc: RequestValidationError) -> list[str]:
    details = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err.get("loc", ()))
        details.append(f"{where}: {err.get('msg', 'invalid')}")
    return details


def _install_errors(app: FastAPI) -> None:
    @app.exception_handler(NotFound)
    async def not_found(_request: Request, exc: NotFound) -> JSONResponse:
        return _error(404, str(exc))

    @app.exception_handler(InputError)
    async def bad_input(_request: Request, exc: InputError) -> JSONResponse:
        return _error(422, str(exc))

    @app.exception_handler(WorkFailed)
    async def work_failed(_request: Request, exc: WorkFailed) -> JSONResponse:
        return _error(500, str(exc))

    @app.exception_handler(RequestValidationError)
    async def invalid(_request: Request, exc: RequestValidationError) -> JSONResponse:
        details = _validation_details(exc)
        return _error(422, "invalid request: " + "; ".join(details), details)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _error(exc.status_code, str(exc.detail), headers=exc.headers)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.error("unexpected error on %s %s: %s: %s", request.method, request.url.path, type(exc).__name__, exc)
        return _error(500, "internal server error")


def _install_auth(app: FastAPI, token: str) -> None:
    expected = f"Bearer {token}".encode()

    @app.middleware("http")
    async def check_token(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
        given = request.headers.get("authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            return _error(401, "missing or wrong bearer token (send 'Authorization: Bearer <token>')",
                          headers={"WWW-Authenticate": "Bearer"})
        return await call_next(request)


def _summary(opened: OpenRun) -> RunSummary:
    return RunSummary.model_validate(opened.summary())


def _resolve_task(opened: OpenRun, body: SampleRequest) -> Task:
    if body.task is not None:
        return Task(**body.task.model_dump())
    source = body.source or opened.config.tasks.source
    if source not in TAU2_DOMAINS and source != opened.config.tasks.source:
        raise InputError(f"source '{source}': choose a domain ({', '.join(TAU2_DOMAINS)}) or the run's "
                         f"task source '{opened.config.tasks.source}'")
    assert body.task_id is not None
    return find_task(load_tasks(source), body.task_id, source)


def create_app(runs_dir: Path, token: str | None = None) -> FastAPI:
    """The service for the runs under `runs_dir`; every request needs `Bearer <token>` when given."""
    registry = RunRegistry(runs_dir)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        yield
        registry.close()

    app = FastAPI(title="evopersona", version=__version__, lifespan=lifespan, responses=ERRORS,
                  description="Results of evopersona runs: status, Pareto fronts, programs, and persona sampling.")
    app.state.registry = registry
    _install_errors(app)
    if token:
        _install_auth(app, token)

    @app.get("/health", response_model=Health, tags=["service"])
    def health() -> Health:
        return Health(status="ok", version=__version__)

    @app.get("/runs", response_model=RunList, tags=["runs"])
    def list_runs() -> RunList:
        """Every run under the served folder with its status and best score."""
        return RunList(runs=[_summary(registry.open(name)) for name in registry.names()])

    @app.get("/runs/{run}", response_model=RunSummary, tags=["runs"])
    def run_status(run: str) -> RunSummary:
        """Evaluation counts, best score, front size, hypervolume and LLM usage of one run."""
        return _summary(registry.open(run))

    @app.get("/runs/{run}/front", response_model=FrontResponse, tags=["runs"])
    def front(run: str) -> FrontResponse:
        """The feasible non-dominated programs, best score first."""
        opened = registry.open(run)
        return FrontResponse(run=opened.config.name, front=opened.front())

    @app.get("/runs/{run}/programs/best", response_model=ProgramInfo, tags=["programs"])
    def best_program(run: str) -> ProgramInfo:
        """The front's best program: code, objectives, lineage and reflection."""
        opened = registry.open(run)
        best = opened.front()
        if not best:
            raise NotFound(f"run '{run}' has no feasible evaluated program yet")
        return program_info(opened, best[0].program_id)

    @app.get("/runs/{run}/programs/{program_id}", response_model=ProgramInfo, tags=["programs"])
    def program(run: str, program_id: int) -> ProgramInfo:
        """One program: code, objectives, lineage (newest first, ending at a seed) and reflection."""
        return program_info(registry.open(run), program_id)

    @app.post("/runs/{run}/sample", response_model=SampleResponse, tags=["sampling"])
    def sample(run: str, body: SampleRequest) -> SampleResponse:
        """Personas for a task (by id or inline) from a program (default: the front's best), run in the sandbox."""
        opened = registry.open(run)
        program_id = body.program_id if body.program_id is not None else best_program(run).id
        chosen = program_info(opened, program_id)
        task = _resolve_task(opened, body)
        records = sample_program(chosen.code, task, body.n, body.seed, llm_config=opened.config.llm,
                                 cache_dir=run_cache_dir(opened.config), pool=registry.pool(opened))
        personas = [SampledPersona(**r.model_dump(), prompt_block=wrap_policy(r.policy) if r.policy.strip() else "")
                    for r in records]
        return SampleResponse(run=opened.config.name, program_id=program_id, task=task.key, seed=body.seed,
                              personas=personas)

    def program_href(run: str) -> Callable[[int], str]:
        return lambda program_id: f"/runs/{run}/programs/{program_id}/page"

    @app.get("/", response_class=HTMLResponse, tags=["pages"])
    def index() -> str:
        """The served runs as HTML, each linked to its live page."""
        return index_page([(s.run, s.status, s.best_score) for s in list_runs().runs])

    @app.get("/runs/{run}/page", response_class=HTMLResponse, tags=["pages"])
    def run_page(run: str, every: float = Query(5.0, ge=1.0, le=3600.0, description="refresh period, seconds")) -> str:
        """A live HTML page of the run (front, progress, lineage, genealogy, spend, compare table) that
        refreshes itself while the run evolves."""
        data = collect(registry.open(run))
        return live_page(data, program_href(run), f"/runs/{run}/page/fragment", every)

    @app.get("/runs/{run}/page/fragment", response_class=HTMLResponse, tags=["pages"])
    def run_page_fragment(run: str) -> str:
        """The refreshable sections of the live page (what its script fetches)."""
        return live_fragment(collect(registry.open(run)), program_href(run))

    @app.get("/runs/{run}/programs/{program_id}/page", response_class=HTMLResponse, tags=["pages"])
    def program_html(run: str, program_id: int) -> str:
        """One program as HTML: outcome, diff against its first parent, code."""
        opened = registry.open(run)
        chosen = program_info(opened, program_id)
        parent = program_info(opened, chosen.parent_ids[0]) if chosen.parent_ids else None
        return program_page(chosen, parent, program_href(run), f"/runs/{run}/page")

    return app
