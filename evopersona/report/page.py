"""The report page: one self-contained HTML document (inline CSS and SVG, no external URL)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from html import escape
from typing import Any

from evopersona.report.data import DICE_KEYS, Compare, ReportData
from evopersona.report.svg import (
    PALETTE,
    GraphNode,
    Series,
    bar_chart,
    chain_chart,
    graph_chart,
    xy_chart,
)

ProgramHref = Callable[[int], str]

CSS = """
body{font-family:system-ui,sans-serif;margin:0;background:#f8fafc;color:#111827}
main{max-width:1180px;margin:0 auto;padding:24px}
h1{margin:0 0 4px}h2{margin:32px 0 8px;border-bottom:2px solid #e5e7eb;padding-bottom:4px}
p.note{color:#4b5563;max-width:900px;margin:4px 0 12px}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin-top:16px}
.card{background:white;border:1px solid #e5e7eb;border-radius:8px;padding:10px 16px;min-width:130px}
.card b{display:block;font-size:20px}.card span{color:#6b7280;font-size:12px}
.charts{display:flex;flex-wrap:wrap;gap:16px}.charts svg,.chain svg{border:1px solid #e5e7eb;border-radius:8px;background:white}
.chain{overflow-x:auto}.graph{overflow:auto;max-height:720px}
table{border-collapse:collapse;background:white;font-size:13px;margin-top:8px}
th,td{border:1px solid #e5e7eb;padding:4px 10px;text-align:right}th{background:#f1f5f9}
td.l,th.l{text-align:left}
"""


def _num(value: Any, digits: int = 3) -> str:
    if isinstance(value, bool) or value is None:
        return "-" if value is None else str(value)
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(str(value))


def cards(data: ReportData) -> str:
    s = data.summary
    llm = s["llm"]
    evaluations = sum(s["evaluations"].values())
    best = "-" if s["best_score"] is None else f"{s['best_score']:.3f}"
    items = [
        ("status", s["status"]), ("programs", s["programs"]), ("evaluations", evaluations),
        ("best score", f"{best} (#{s['best_program_id']})" if s["best_program_id"] else best),
        ("front size", s["front_size"]), ("hypervolume", f"{s['hypervolume']:.4f}"),
        ("LLM calls", f"{llm['calls']} ({llm['cached_calls']} cached)"), ("cost", f"${llm['cost_usd']:.4f}"),
    ]
    return "<div class='cards'>" + "".join(
        f"<div class='card'><span>{escape(k)}</span><b>{escape(str(v))}</b></div>" for k, v in items) + "</div>"


def _front_chart(data: ReportData) -> str:
    def pt(p: Any) -> tuple[float, float]:
        return (p.objectives.coverage, p.objectives.human_likeness)

    others = [p for p in data.points if not p.on_front and p.objectives.feasible]
    infeasible = [p for p in data.points if not p.objectives.feasible]
    front = sorted((p for p in data.points if p.on_front), key=lambda p: p.objectives.coverage)
    seeds = [p for p in data.points if p.seed_name]
    series = [
        Series("evaluated", [pt(p) for p in others], "#9ca3af", labels=[f"#{p.program_id}" for p in others]),
        Series("infeasible", [pt(p) for p in infeasible], "#fca5a5", "square", labels=[f"#{p.program_id}" for p in infeasible]),
        Series("Pareto front", [pt(p) for p in front], PALETTE[0], line=True, labels=[f"#{p.program_id}" for p in front]),
        Series("seed", [pt(p) for p in seeds], PALETTE[1], "diamond", labels=[p.seed_name or "" for p in seeds], caption=True),
    ]
    return xy_chart("Pareto front", [s for s in series if s.points], "coverage", "human_likeness")


def _progress_charts(data: ReportData) -> str:
    scored = [h for h in data.history if h.best_score is not None]
    best = xy_chart("Best score over evaluations", [Series("best score", [(h.evaluations, h.best_score or 0.0) for h in scored],
                    PALETTE[2], line=True)], "finished evaluations", "score")
    hv = xy_chart("Hypervolume over evaluations", [Series("hypervolume", [(h.evaluations, h.hypervolume) for h in data.history],
                  PALETTE[4], line=True)], "finished evaluations", "hypervolume")
    return f"<div class='charts'>{best}{hv}</div>"


def _lineage(data: ReportData, href: ProgramHref | None) -> str:
    if not data.lineage:
        return "<p class='note'>No feasible program yet.</p>"
    boxes = []
    for step in reversed(data.lineage):
        kind = step.mutation_kind or "?"
        if kind == "seed" and data.lineage_seed and step is data.lineage[-1]:
            kind = f"seed {data.lineage_seed}"
        score = "not scored" if step.score is None else f"score {step.score:.3f}"
        color = PALETTE[1] if step.mutation_kind == "seed" else PALETTE[0]
        boxes.append((f"#{step.program_id} {kind}", f"gen {step.generation} · {score}", color))
    hrefs = [href(step.program_id) if href else None for step in reversed(data.lineage)]
    return f"<div class='chain'>{chain_chart('Lineage of the best program (seed → best)', boxes, hrefs)}</div>"


GENEALOGY_COLORS = (("Pareto front", PALETTE[0]), ("seed", PALETTE[1]), ("feasible", "#9ca3af"),
                    ("infeasible", "#fca5a5"), ("not scored yet", "#ffffff"))


def _genealogy(data: ReportData, href: ProgramHref | None) -> str:
    colors = dict(GENEALOGY_COLORS)
    nodes = []
    for n in sorted(data.genealogy, key=lambda n: (n.generation, n.island, n.program_id)):
        color = (colors["Pareto front"] if n.on_front else colors["seed"] if n.mutation_kind == "seed"
                 else colors["not scored yet"] if n.feasible is None else colors["feasible"] if n.feasible
                 else colors["infeasible"])
        score = "not scored" if n.score is None else f"score {n.score:.3f}"
        tip = f"#{n.program_id} {n.mutation_kind or '?'} · island {n.island} · {score}"
        nodes.append(GraphNode(key=n.program_id, column=n.generation, label=f"#{n.program_id}", tip=tip, color=color,
                               parents=n.parent_ids, href=href(n.program_id) if href else None))
    chart = graph_chart("Genealogy of every program (parent → child)", nodes, "gen", GENEALOGY_COLORS)
    return f"<div class='graph'>{chart}</div>"


def _dice(data: ReportData) -> str:
    labels = list(data.dice)
    series = [Series(label, [(i, values[k]) for i, k in enumerate(DICE_KEYS) if k in values], PALETTE[j % len(PALETTE)])
              for j, (label, values) in enumerate(data.dice.items())]
    chart = bar_chart("Behavioural alignment with humans (Dice, higher is closer)", DICE_KEYS, series, "Dice",
                      y_range=(0.0, 1.0))
    note = "" if labels else "<p class='note'>No evaluation has Dice metrics yet.</p>"
    return f"{note}<div class='charts'>{chart}</div>"


def _calls(data: ReportData) -> str:
    roles = sorted({c.role for c in data.calls})
    series = [Series(role, [(c.minutes, c.cumulative) for c in data.calls if c.role == role], PALETTE[i % len(PALETTE)],
                     "none", line=True) for i, role in enumerate(roles)]
    total = [(c.minutes, i + 1) for i, c in enumerate(data.calls)]
    if total:
        series.append(Series("all", total, "#111827", "none", line=True))
    for s in series:
        s.points = _thin(s.points)
    calls = xy_chart("Cumulative LLM calls over time", series, "minutes since the first call", "calls")
    spent = _thin([(c.minutes, c.spent_usd) for c in data.calls])
    spend = xy_chart("LLM spend over time", [Series("USD", spent, PALETTE[3], "none", line=True)] if spent else [],
                     "minutes since the first call", "USD", y_range=(0.0, max((y for _, y in spent), default=0.0) or 1.0))
    return f"<div class='charts'>{calls}{spend}</div>"


def _thin(points: list[tuple[float, float]], limit: int = 200) -> list[tuple[float, float]]:
    """At most `limit` points, keeping the last (a cumulative curve looks the same)."""
    if len(points) <= limit:
        return points
    step = len(points) / limit
    return [points[int(i * step)] for i in range(limit)] + [points[-1]]


def _front_table(data: ReportData, href: ProgramHref | None) -> str:
    head = "".join(f"<th>{h}</th>" for h in ("program", "island", "gen", "kind", "human_likeness", "coverage",
                                             "preservation", "score"))
    rows = "".join(
        f"<tr><td>{_program_cell(e.program_id, href)}</td><td>{e.island}</td><td>{e.generation}</td><td class='l'>{escape(e.mutation_kind or '-')}</td>"
        f"<td>{e.objectives.human_likeness:.3f}</td><td>{e.objectives.coverage:.3f}</td>"
        f"<td>{e.objectives.task_preservation:.2f}</td><td>{e.objectives.score:.3f}</td></tr>"
        for e in data.front)
    return f"<table><tr>{head}</tr>{rows}</table>" if data.front else "<p class='note'>The front is empty.</p>"


def _program_cell(program_id: int, href: ProgramHref | None) -> str:
    return f"<a href='{escape(href(program_id))}'>#{program_id}</a>" if href else f"#{program_id}"


def _flatten(metrics: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in metrics.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and "mean" in value:
            flat[name] = value["mean"]
        elif isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
        elif not isinstance(value, list):
            flat[name] = value
    return flat


def _compare(compare: Compare) -> str:
    if compare.problem:
        return f"<p class='note'>{escape(compare.problem)}</p>"
    rows = [(str(c.get("name", "?")), _flatten(c.get("metrics") or {})) for c in compare.conditions]
    columns = list(dict.fromkeys(k for _, m in rows for k in m))
    head = "<th class='l'>condition</th>" + "".join(f"<th>{escape(c)}</th>" for c in columns)
    body = "".join(f"<tr><td class='l'>{escape(name)}</td>" + "".join(f"<td>{_num(m.get(c))}</td>" for c in columns) + "</tr>"
                   for name, m in rows)
    extra = _flatten({k: v for k, v in compare.extra.items()})
    notes = "".join(f"<li>{escape(k)}: {_num(v)}</li>" for k, v in extra.items())
    return f"<table><tr>{head}</tr>{body}</table>" + (f"<ul>{notes}</ul>" if notes else "")


def sections(data: ReportData, href: ProgramHref | None = None,
             compare_hint: bool = False) -> list[tuple[str, str, str]]:
    """(title, note, HTML) of every section; programs link to `href(id)` when given (the live page)."""
    found = [
        ("Pareto front", "Every evaluated program by coverage and human-likeness; the feasible non-dominated "
         "ones are joined, seed programs are orange diamonds.", f"<div class='charts'>{_front_chart(data)}</div>"),
        ("Progress", "Best scalar score (0.5·human_likeness + 0.5·coverage) and front hypervolume after each "
         "finished evaluation.", _progress_charts(data)),
        ("Lineage of the best program", "First-parent ancestry from its seed.", _lineage(data, href)),
        ("Genealogy of programs", "Every program by generation, joined to its parents.", _genealogy(data, href)),
        ("Behaviour coverage against humans", "Dice alignment of the behavioural fingerprint groups D1–D4 "
         "with the human reference, for the best program and the seeds.", _dice(data)),
        ("LLM spend", "LLM calls of every role and their cost as the run went on.", _calls(data)),
        ("Front", "The feasible non-dominated programs, best score first.", _front_table(data, href)),
    ]
    if data.compare is not None:
        found.append(("Comparison", "From compare/compare.json (evopersona compare).", _compare(data.compare)))
    elif compare_hint:
        found.append(("Comparison", "No compare/compare.json yet: run `evopersona compare` on this run.", ""))
    return found


def section_html(found: list[tuple[str, str, str]]) -> str:
    return "".join(f"<section><h2>{escape(title)}</h2><p class='note'>{escape(note)}</p>{content}</section>"
                   for title, note, content in found)


def render(data: ReportData) -> tuple[str, int]:
    """The HTML document and its number of sections."""
    found = sections(data)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    html = (f"<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'><title>evopersona report: {escape(data.run)}</title>"
            f"<style>{CSS}</style></head><body><main><h1>evopersona run {escape(data.run)}</h1>"
            f"<p class='note'>Generated {generated}.</p>{cards(data)}{section_html(found)}</main></body></html>\n")
    return html, len(found)
