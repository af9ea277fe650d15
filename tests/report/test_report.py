"""The HTML report: content, self-containment, the compare section, the CLI, and a real browser render."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from evopersona.report import build_report, write_report
from evopersona.report.svg import GraphNode, Series, graph_chart, nice_ticks, xy_chart
from evopersona.testing.browser import png_colours, screenshot


def _copy_run(run_dir: Path, root: Path) -> Path:
    target = root / "runs" / run_dir.name
    target.mkdir(parents=True)
    for path in run_dir.iterdir():
        if path.name == "config.json" or path.name.startswith("evopersona.db"):
            shutil.copy(path, target / path.name)
    return target


def test_report_sections_and_self_contained(results_run: Path) -> None:
    html, sections = build_report(results_run)
    assert sections == 7
    for title in ("Pareto front", "Progress", "Lineage of the best program", "Genealogy of programs",
                  "Behaviour coverage against humans", "LLM spend", "Front"):
        assert f"<h2>{title}</h2>" in html
    assert html.count("<svg") >= 8 and "<a href" not in html
    assert "Comparison" not in html
    assert not re.search(r"(?i)(https?:|//[a-z0-9.-]+\.[a-z]{2,}/|<script|<link|<img|@import|url\(http)", html)
    assert "seed" in html and "axes_seed.py" in html
    assert re.search(r"<td>#\d+</td>", html), "the front table lists programs"
    assert "D1" in html and "best (#" in html


def test_compare_section_renders_rows_generically(results_run: Path, tmp_path: Path) -> None:
    run_copy = _copy_run(results_run, tmp_path)
    (run_copy / "compare").mkdir()
    document = {"conditions": [
        {"name": "baseline", "metrics": {"human_likeness": {"mean": 0.31, "ci": [0.2, 0.4]}, "coverage": 0.12}},
        {"name": "evolved <best>", "metrics": {"human_likeness": {"mean": 0.71}, "dice": {"D1": 0.5}, "n": 40}},
    ], "tasks": 20}
    (run_copy / "compare" / "compare.json").write_text(json.dumps(document), encoding="utf-8")
    written = write_report(run_copy, tmp_path / "out" / "report.html")
    html = Path(written.out).read_text(encoding="utf-8")
    assert written.sections == 8 and "<h2>Comparison</h2>" in html
    for cell in ("baseline", "evolved &lt;best&gt;", "0.310", "0.710", "dice.D1", "0.500", "tasks: 20"):
        assert cell in html

    (run_copy / "compare" / "compare.json").write_text("{not json", encoding="utf-8")
    html, _ = build_report(run_copy)
    assert "could not be read" in html


def test_report_cli(results_run: Path, tmp_path: Path, cli) -> None:
    out = tmp_path / "r.html"
    done = cli("report", str(results_run), "--out", str(out), "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["out"] == str(out) and out.stat().st_size > 10_000
    missing = cli("report", str(tmp_path / "nope"))
    assert missing.returncode == 2 and "run folder not found" in missing.stderr


def test_svg_helpers() -> None:
    ticks = nice_ticks(0.0, 0.01107)
    assert ticks[0] <= 0.0 and ticks[-1] >= 0.01107
    assert nice_ticks(0.5, 0.5)[0] < 0.5 < nice_ticks(0.5, 0.5)[-1]
    assert "no data yet" in xy_chart("empty", [Series("s", [])], "x", "y")
    chart = xy_chart("t", [Series("a & b", [(0, 1), (1, 2)], line=True, labels=["p1", "p2"])], "x", "y")
    assert "<polyline" in chart and "a &amp; b" in chart
    graph = graph_chart("g", [GraphNode(1, 0, "#1", "seed", "#f00"), GraphNode(2, 1, "#2", "child", "#00f", [1], "/p/2")],
                        "gen")
    assert graph.count("<line") == 1 and "<a href='/p/2'>" in graph and graph.count("<circle") == 2


def test_report_renders_in_a_headless_browser(results_run: Path, tmp_path: Path) -> None:
    page = tmp_path / "report.html"
    write_report(results_run, page)
    shot = screenshot(page.as_uri(), tmp_path / "shot.png", tmp_path / "profile", wait_ms=500)
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert png_colours(shot) >= 8, "the screenshot looks blank"
