"""The HTTP service over a real uvicorn server on 127.0.0.1, exercised with httpx."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from evopersona.errors import InputError
from evopersona.service import check_bind, create_app

TOKEN = "s3cret-token"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class _Server:
    def __init__(self, runs_dir: Path, token: str | None = None) -> None:
        self.port = _free_port()
        config = uvicorn.Config(create_app(runs_dir, token), host="127.0.0.1", port=self.port, log_level="warning")
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the test server did not start")
            time.sleep(0.05)
        return f"http://127.0.0.1:{self.port}"

    def __exit__(self, *_exc: object) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)


def copy_run(run_dir: Path, runs_root: Path) -> Path:
    """A private copy of the run (config and database) that a test may write to."""
    target = runs_root / run_dir.name
    target.mkdir(parents=True)
    for path in run_dir.iterdir():
        if path.name == "config.json" or path.name.startswith("evopersona.db"):
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="module")
def base_url(results_run: Path) -> Iterator[str]:
    with _Server(results_run.parent) as url:
        yield url


@pytest.fixture(scope="module")
def client(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=120) as c:
        yield c


def _assert_error(response: httpx.Response, status: int, words: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"]["status"] == status
    assert words in body["error"]["message"]
    assert "Traceback" not in response.text


def test_runs_status_front_and_program(client: httpx.Client) -> None:
    runs = client.get("/runs").json()["runs"]
    assert [r["run"] for r in runs] == ["quickstart"]
    status = client.get("/runs/quickstart").json()
    assert status["programs"] >= 2 and sum(status["evaluations"].values()) >= 2
    front = client.get("/runs/quickstart/front").json()["front"]
    assert front and front[0]["program_id"] == status["best_program_id"]
    scores = [e["objectives"]["score"] for e in front]
    assert scores == sorted(scores, reverse=True)

    best = client.get("/runs/quickstart/programs/best").json()
    assert best["id"] == status["best_program_id"]
    assert "def generate" in best["code"] and best["objectives"]["feasible"] is True
    assert best["lineage"][0]["program_id"] == best["id"]
    assert best["lineage"][-1]["mutation_kind"] == "seed"
    seed = client.get(f"/runs/quickstart/programs/{best['lineage'][-1]['program_id']}").json()
    assert seed["seed_name"] and seed["parent_ids"] == []
    assert best["reflection"]


def test_openapi_docs(client: httpx.Client) -> None:
    spec = client.get("/openapi.json").json()
    assert {"/runs", "/runs/{run}/front", "/runs/{run}/programs/{program_id}", "/runs/{run}/sample"} <= set(spec["paths"])
    assert client.get("/docs").status_code == 200


def test_errors_are_json_with_status(client: httpx.Client) -> None:
    _assert_error(client.get("/runs/nope"), 404, "no run named 'nope'")
    _assert_error(client.get("/runs/..%2F..%2Fetc"), 404, "")
    _assert_error(client.get("/runs/quickstart/programs/9999"), 404, "no program 9999")
    _assert_error(client.get("/runs/quickstart/programs/abc"), 422, "program_id")
    _assert_error(client.post("/runs/quickstart/sample", json={"task_id": "no-such-task"}), 404, "no task with id")
    _assert_error(client.post("/runs/quickstart/sample", json={"task_id": "5", "n": 0}), 422, "body.n")
    _assert_error(client.post("/runs/quickstart/sample", json={"n": 2}), 422, "exactly one of task_id or task")
    _assert_error(client.post("/runs/quickstart/sample", json={"task_id": "5", "colour": "red"}), 422, "colour")
    _assert_error(client.post("/runs/quickstart/sample", json={"task_id": "5", "source": "/etc/passwd"}), 422, "source")
    _assert_error(client.post("/runs/quickstart/sample", content=b"{broken", headers={"content-type": "application/json"}),
                  422, "JSON")
    _assert_error(client.post("/runs/quickstart/sample", json={"task_id": "5", "program_id": 9999}), 404, "no program 9999")


def test_sample_by_task_id_and_inline(client: httpx.Client) -> None:
    body = {"task_id": "5", "source": "retail", "n": 3, "seed": 1}
    first = client.post("/runs/quickstart/sample", json=body)
    assert first.status_code == 200, first.text
    result = first.json()
    assert result["task"] == "retail/5" and len(result["personas"]) == 3
    for persona in result["personas"]:
        assert persona["policy"] and f"<persona>\n{persona['policy'].strip()}\n</persona>" in persona["prompt_block"]
    assert client.post("/runs/quickstart/sample", json=body).json() == result

    inline = {"id": "ticket-1", "domain": "helpdesk", "reason_for_call": "Your laptop will not connect to the VPN.",
              "known_info": "You are Ana Ruiz, employee id 4471."}
    seed_id = client.get("/runs/quickstart/programs/best").json()["lineage"][-1]["program_id"]
    other = client.post("/runs/quickstart/sample", json={"task": inline, "n": 2, "program_id": seed_id}).json()
    assert other["task"] == "helpdesk/ticket-1" and other["program_id"] == seed_id
    assert len(other["personas"]) == 2


def test_bearer_token_on_every_request(results_run: Path) -> None:
    with _Server(results_run.parent, token=TOKEN) as url, httpx.Client(base_url=url, timeout=60) as client:
        for path in ("/runs", "/openapi.json", "/health"):
            _assert_error(client.get(path), 401, "bearer token")
            _assert_error(client.get(path, headers={"Authorization": "Bearer wrong"}), 401, "bearer token")
        response = client.get("/runs/quickstart", headers={"Authorization": f"Bearer {TOKEN}"})
        assert response.status_code == 200
        assert client.get("/runs", headers={"Authorization": TOKEN}).status_code == 401


def test_non_loopback_needs_a_token(results_run: Path, cli) -> None:
    check_bind("127.0.0.1", None)
    check_bind("::1", None)
    check_bind("0.0.0.0", "t")
    with pytest.raises(InputError, match="without a token"):
        check_bind("0.0.0.0", None)
    done = cli("serve", "--runs", str(results_run.parent), "--host", "0.0.0.0", "--port", str(_free_port()),
               env={"EVOPERSONA_TOKEN": ""})
    assert done.returncode == 2
    assert "refusing to listen on 0.0.0.0 without a token" in done.stderr


WRITER = textwrap.dedent("""
    import sys, time
    from evopersona.store.store import Store
    store = Store(sys.argv[1])
    run = store.get_run("quickstart")
    print("ready", flush=True)
    for i in range(int(sys.argv[2])):
        store.add_program(run.id, f"x = {i}\\n" + "y = 1\\n" * 50, island=0, mutation_kind="diff", parent_ids=[1])
        store.record_history(run.id, evaluations=100 + i, best_score=0.5, hypervolume=0.01, front_size=1)
        time.sleep(0.01)
    print("done", flush=True)
""")


def test_reads_while_another_process_writes(results_run: Path, tmp_path: Path) -> None:
    run_copy = copy_run(results_run, tmp_path / "runs")
    url = f"sqlite:///{run_copy / 'evopersona.db'}"
    with _Server(run_copy.parent) as base, httpx.Client(base_url=base, timeout=60) as client:
        before = client.get("/runs/quickstart").json()["programs"]
        writer = subprocess.Popen([sys.executable, "-c", WRITER, url, "150"], stdout=subprocess.PIPE, text=True)
        assert writer.stdout is not None and writer.stdout.readline().strip() == "ready"
        seen = []
        while writer.poll() is None:
            response = client.get("/runs/quickstart")
            assert response.status_code == 200, response.text
            seen.append(response.json()["programs"])
            assert client.get("/runs/quickstart/front").status_code == 200
        assert writer.wait(timeout=60) == 0
        after = client.get("/runs/quickstart").json()["programs"]
    assert after == before + 150
    assert len(set(seen)) > 1, "the reads should observe the writer's commits as they happen"


def test_failing_program_is_a_500_without_traceback(results_run: Path, tmp_path: Path) -> None:
    run_copy = copy_run(results_run, tmp_path / "runs")
    from evopersona.store.store import Store

    with Store(f"sqlite:///{run_copy / 'evopersona.db'}") as store:
        run = store.get_run("quickstart")
        assert run is not None and run.id is not None
        code = "AXES = []\n\ndef generate(task, n, llm, rng):\n    raise ValueError('boom')\n"
        program, _ = store.add_program(run.id, code, mutation_kind="diff", parent_ids=[1])
    with _Server(run_copy.parent) as base, httpx.Client(base_url=base, timeout=60) as client:
        response = client.post("/runs/quickstart/sample", json={"task_id": "5", "program_id": program.id})
    _assert_error(response, 500, "boom")


def _add_child(run_dir: Path, parent_id: int, line: str) -> int:
    """A new program (the parent's code plus one line), as an evolution writing the database would add it."""
    from evopersona.runs import read_run_config
    from evopersona.store.store import Store

    config = read_run_config(run_dir)
    with Store(config.storage_url()) as store:
        run = store.get_run(config.name)
        assert run is not None and run.id is not None
        parent = store.get_program(parent_id)
        assert parent is not None
        child, created = store.add_program(run.id, parent.code + f"\n{line}\n", parent_ids=[parent_id],
                                           mutation_kind="diff", generation=parent.generation + 1)
        assert created and child.id is not None
        return child.id


def test_live_page_in_a_headless_browser_refreshes_and_links_programs(results_run: Path, tmp_path: Path) -> None:
    from evopersona.testing.browser import dump_dom, png_colours, screenshot

    run_copy = copy_run(results_run, tmp_path / "runs")
    with _Server(run_copy.parent) as base, httpx.Client(base_url=base, timeout=60) as client:
        page = f"{base}/runs/{run_copy.name}/page?every=1"
        dom = dump_dom(page, tmp_path / "profile-dom")
        assert "data-refreshed=" in dom, "the page's script did not refresh the sections"
        for plot in ("Pareto front", "Best score over evaluations", "Hypervolume over evaluations",
                     "Lineage of the best program (seed → best)", "Genealogy of every program (parent → child)",
                     "Cumulative LLM calls over time", "LLM spend over time"):
            assert f"aria-label=\"{plot}\"" in dom, plot
        assert "<h2>Comparison</h2>" in dom and "evopersona compare" in dom
        assert "https://" not in dom and "<link" not in dom

        shot = screenshot(page, tmp_path / "live.png", tmp_path / "profile-shot")
        assert shot.is_file() and png_colours(shot) >= 8, "the screenshot looks blank"

        # The run evolves: a new program and a compare table appear on the next refresh.
        child = _add_child(run_copy, 1, "LIVE_MARKER = 'a mutation the live page must show'")
        (run_copy / "compare").mkdir()
        (run_copy / "compare" / "compare.json").write_text(
            '{"conditions": [{"name": "evolved", "metrics": {"human_likeness": 0.75}}]}', encoding="utf-8")
        fragment = client.get(f"/runs/{run_copy.name}/page/fragment")
        assert fragment.status_code == 200
        assert f"/runs/{run_copy.name}/programs/{child}/page" in fragment.text and "0.750" in fragment.text

        program = client.get(f"/runs/{run_copy.name}/programs/{child}/page")
        assert program.status_code == 200 and "text/html" in program.headers["content-type"]
        assert "<span class='add'>+LIVE_MARKER = &#x27;a mutation the live page must show&#x27;</span>" in program.text
        assert f"<a href='/runs/{run_copy.name}/programs/1/page'>#1</a>" in program.text
        seed = client.get(f"/runs/{run_copy.name}/programs/1/page")
        assert "no parent to compare with" in seed.text
        assert client.get("/runs/nope/page").status_code == 404
        index = client.get("/")
        assert index.status_code == 200 and f"<a href='/runs/{run_copy.name}/page'>" in index.text
