"""The HTML report: content, self-containment, the compare section, the CLI, and a real browser render."""

from __future__ import annotations

import json
import re
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

from evopersona.report import build_report, write_report
from evopersona.report.svg import Series, nice_ticks, xy_chart

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _copy_run(run_dir: Path, root: Path) -> Path:
    target = root / "runs" / run_dir.name
    target.mkdir(parents=True)
    for path in run_dir.iterdir():
        if path.name == "config.json" or path.name.startswith("evopersona.db"):
            shutil.copy(path, target / path.name)
    return target


def test_report_sections_and_self_contained(results_run: Path) -> None:
    html, sections = build_report(results_run)
    assert sections == 6
    for title in ("Pareto front", "Progress", "Lineage of the best program", "Behaviour coverage against humans",
                  "Cost over time", "Front"):
        assert f"<h2>{title}</h2>" in html
    assert html.count("<svg") >= 6
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
    assert written.sections == 7 and "<h2>Comparison</h2>" in html
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


def _png_colours(path: Path) -> int:
    """Distinct colours in an 8-bit RGB/RGBA PNG (a tiny decoder: enough to tell a blank page)."""
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        chunk = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", chunk)
        elif kind == b"IDAT":
            idat += chunk
        pos += 12 + length
    assert header is not None
    width, height, depth, colour_type = header[0], header[1], header[2], header[3]
    assert depth == 8 and colour_type in (2, 6)
    channels = 3 if colour_type == 2 else 4
    raw = zlib.decompress(idat)
    stride = width * channels
    colours: set[bytes] = set()
    previous = bytearray(stride)
    for row in range(height):
        start = row * (stride + 1)
        kind, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for i in range(stride):
            left = line[i - channels] if i >= channels else 0
            up, corner = previous[i], previous[i - channels] if i >= channels else 0
            if kind == 1:
                line[i] = (line[i] + left) & 0xFF
            elif kind == 2:
                line[i] = (line[i] + up) & 0xFF
            elif kind == 3:
                line[i] = (line[i] + (left + up) // 2) & 0xFF
            elif kind == 4:
                p = left + up - corner
                pa, pb, pc = abs(p - left), abs(p - up), abs(p - corner)
                line[i] = (line[i] + (left if pa <= pb and pa <= pc else up if pb <= pc else corner)) & 0xFF
        if row % 8 == 0:
            colours.update(bytes(line[i:i + 3]) for i in range(0, stride, channels * 4))
        previous = line
    return len(colours)


def test_report_renders_in_a_headless_browser(results_run: Path, tmp_path: Path) -> None:
    browser = next((b for b in BROWSERS if shutil.which(b)), None)
    assert browser is not None, "no chromium binary found: .ci/run installs Debian's chromium (apt-get install chromium)"
    page = tmp_path / "report.html"
    write_report(results_run, page)
    shot = tmp_path / "shot.png"
    subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                    "--disable-background-networking", "--disable-component-update", "--disable-sync",
                    f"--user-data-dir={tmp_path / 'profile'}", f"--screenshot={shot}", "--window-size=1280,2000",
                    page.as_uri()], capture_output=True, timeout=120, check=False)
    assert shot.is_file() and shot.stat().st_size > 20_000
    assert _png_colours(shot) >= 8, "the screenshot looks blank"
