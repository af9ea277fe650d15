"""The live page of a run (served by `evopersona serve`) and the page of one program.

The live page is the report's sections (same data, same inline SVG) with every program linked to its
own page, plus a small inline script that re-fetches the sections while the run evolves: no external
resource, no build step. A program's page shows its code and the diff against its first parent.
"""

from __future__ import annotations

import difflib
from html import escape

from evopersona.api import ProgramInfo
from evopersona.report.data import ReportData
from evopersona.report.page import CSS, ProgramHref, cards, section_html, sections

LIVE_CSS = """
header{display:flex;gap:16px;align-items:baseline;flex-wrap:wrap}
#updated{color:#4b5563;font-size:13px}
pre{background:white;border:1px solid #e5e7eb;border-radius:8px;padding:12px;overflow:auto;font-size:12px;line-height:1.4}
.add{background:#dcfce7;display:block}.del{background:#fee2e2;display:block}.hunk{color:#6b7280;display:block}
a{color:#1d4ed8}
"""

# Re-fetch the sections; every `data-every` seconds while the run is running, six times slower otherwise.
SCRIPT = """
(function () {
  var main = document.getElementById('live');
  var stamp = document.getElementById('updated');
  var every = Number(main.dataset.every) * 1000;
  var count = 0;
  function schedule() {
    var status = main.querySelector('[data-status]');
    var running = status && status.dataset.status === 'running';
    setTimeout(refresh, running ? every : every * 6);
  }
  function refresh() {
    fetch(main.dataset.fragment, {cache: 'no-store'}).then(function (r) {
      if (!r.ok) { throw new Error('HTTP ' + r.status); }
      return r.text();
    }).then(function (html) {
      main.innerHTML = html;
      count += 1;
      document.documentElement.dataset.refreshed = String(count);
      stamp.textContent = 'updated ' + new Date().toLocaleTimeString();
    }).catch(function (e) {
      stamp.textContent = 'update failed (' + e.message + '); retrying';
    }).then(schedule);
  }
  refresh();
})();
"""


def live_fragment(data: ReportData, href: ProgramHref) -> str:
    """The refreshable part of the live page: status cards and every section."""
    status = escape(str(data.summary["status"]))
    return (f"<div data-status='{status}'></div>{cards(data)}"
            f"{section_html(sections(data, href, compare_hint=True))}")


def live_page(data: ReportData, href: ProgramHref, fragment_url: str, every_s: float) -> str:
    """The whole live page; its script swaps in `fragment_url` every `every_s` seconds."""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>evopersona live: {escape(data.run)}</title><style>{CSS}{LIVE_CSS}</style></head><body><main>"
            f"<header><h1>evopersona run {escape(data.run)}</h1><span id='updated'>live</span></header>"
            f"<div id='live' data-fragment='{escape(fragment_url)}' data-every='{every_s:g}'>{live_fragment(data, href)}</div>"
            f"</main><script>{SCRIPT}</script></body></html>\n")


def index_page(runs: list[tuple[str, str, float | None]]) -> str:
    """The served runs (name, status, best score), each linked to its live page."""
    rows = "".join(f"<tr><td class='l'><a href='/runs/{escape(name)}/page'>{escape(name)}</a></td>"
                   f"<td class='l'>{escape(status)}</td><td>{'-' if best is None else f'{best:.3f}'}</td></tr>"
                   for name, status, best in runs)
    table = (f"<table><tr><th class='l'>run</th><th class='l'>status</th><th>best score</th></tr>{rows}</table>"
             if runs else "<p class='note'>No runs in the served folder yet.</p>")
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>evopersona runs</title>"
            f"<style>{CSS}{LIVE_CSS}</style></head><body><main><h1>evopersona runs</h1>{table}"
            f"<p class='note'>The JSON API is documented at <a href='/docs'>/docs</a>.</p></main></body></html>\n")


def unified_diff(parent: str, child: str, parent_name: str, child_name: str) -> str:
    """HTML of the unified diff from `parent` to `child` (added, removed and hunk lines marked)."""
    lines = difflib.unified_diff(parent.splitlines(), child.splitlines(), parent_name, child_name, lineterm="")
    out = []
    for line in lines:
        kind = ("hunk" if line.startswith("@@") else "add" if line.startswith("+") and not line.startswith("+++")
                else "del" if line.startswith("-") and not line.startswith("---") else "")
        text = escape(line)
        out.append(f"<span class='{kind}'>{text}</span>" if kind else text + "\n")
    return "".join(out) or "(no change)"


def program_page(program: ProgramInfo, parent: ProgramInfo | None, href: ProgramHref, run_url: str) -> str:
    """One program: its outcome, the diff against its first parent, and its code."""
    objectives = program.objectives
    facts = [("kind", program.seed_name and f"seed {program.seed_name}" or program.mutation_kind or "?"),
             ("island", program.island), ("generation", program.generation), ("status", program.status or "-"),
             ("score", f"{objectives.score:.3f}" if objectives else "-"),
             ("human_likeness", f"{objectives.human_likeness:.3f}" if objectives else "-"),
             ("coverage", f"{objectives.coverage:.3f}" if objectives else "-")]
    rows = "".join(f"<tr><th class='l'>{escape(k)}</th><td class='l'>{escape(str(v))}</td></tr>" for k, v in facts)
    parents = ", ".join(f"<a href='{escape(href(p))}'>#{p}</a>" for p in program.parent_ids) or "none (a seed)"
    if parent is None:
        diff = "<p class='note'>A seed program: no parent to compare with.</p>"
    else:
        diff = (f"<p class='note'>From its first parent #{parent.id} to #{program.id}.</p>"
                f"<pre id='diff'>{unified_diff(parent.code, program.code, f'#{parent.id}', f'#{program.id}')}</pre>")
    reflection = (f"<section><h2>Reflection</h2><pre>{escape(program.reflection)}</pre></section>"
                  if program.reflection else "")
    error = f"<p class='note'>error: {escape(program.error)}</p>" if program.error else ""
    return (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>program #{program.id} of {escape(program.run)}</title><style>{CSS}{LIVE_CSS}</style></head><body><main>"
            f"<p><a href='{escape(run_url)}'>← run {escape(program.run)}</a></p><h1>Program #{program.id}</h1>"
            f"<table>{rows}<tr><th class='l'>parents</th><td class='l'>{parents}</td></tr></table>{error}"
            f"<section><h2>Diff against its parent</h2>{diff}</section>"
            f"<section><h2>Code</h2><pre id='code'>{escape(program.code)}</pre></section>{reflection}"
            f"</main></body></html>\n")
