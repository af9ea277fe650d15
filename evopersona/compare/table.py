"""The comparison as a table: metrics down, conditions across (five conditions fit a terminal;
nineteen metric columns would not). Rendered with rich for the terminal and as Markdown for files.
"""

from __future__ import annotations

from rich.table import Table

from evopersona.compare.models import CompareDocument, MetricValue
from evopersona.fitness.stats import MeanCI

LABELS: dict[str, str] = {
    "score": "score",
    "p_human.forest": "P(human) forest",
    "p_human.text": "P(human) text",
    "p_human.combined": "P(human) combined",
    "coverage.zscore": "coverage z",
    "coverage.raw": "coverage raw",
    "dice.D1": "Dice D1",
    "dice.D2": "Dice D2",
    "dice.D3": "Dice D3",
    "dice.D4": "Dice D4",
    "dice.mean": "Dice mean",
    "lexical_z.mattr": "lex z MATTR",
    "lexical_z.yules_k": "lex z Yule's K",
    "lexical_z.hdd": "lex z HD-D",
    "task_preservation": "preservation",
    "judge_unparseable": "judge unparseable",
    "turns_per_episode": "user turns",
    "agent_success": "agent success",
    "episodes": "episodes",
    "episode_errors": "episode errors",
    "llm.calls": "LLM calls",
    "llm.cached_calls": "LLM cached",
    "llm.errors": "LLM errors",
    "llm.cost_usd": "LLM cost $",
}
LEGEND = (
    "score = 0.5·P(human) + 0.5·coverage (the configured discriminator and space; the paper's Score); "
    "coverage z / raw = Chamfer coverage of the train-human cloud per task population, z-scored or raw space; "
    "Dice D1–D4 = style, disclosure, clarification, error reaction (Dice mean = the paper's USI column); "
    "lex z = human-anchored lexical z-scores (0 is human-like); judge unparseable = policies whose preservation "
    "judge reply had no readable verdict (the rules alone decided; n/a with the judge off); user turns = user turns per episode; "
    "agent success = τ² reward 1 (τ² runner only)."
)


def metric_keys(document: CompareDocument) -> list[str]:
    """Known metrics in display order, then any others the rows carry."""
    present: list[str] = []
    for row in document.conditions:
        present += [k for k in row.metrics if k not in present]
    return [k for k in LABELS if k in present] + [k for k in present if k not in LABELS and not k.startswith("llm.tokens")]


def format_value(value: MetricValue, key: str = "", *, compact: bool = False) -> str:
    """A cell: `mean [low, high]`, or `mean ±half-width` in the terminal (compact)."""
    if value is None:
        return "n/a"
    if isinstance(value, MeanCI):
        if compact:
            return f"{value.mean:.3f} ±{(value.high - value.low) / 2:.3f}"
        return f"{value.mean:.3f} [{value.low:.3f}, {value.high:.3f}]"
    if isinstance(value, (bool, int)):
        return str(int(value))
    return f"{value:.4f}" if key == "llm.cost_usd" else f"{value:.3f}"


def rows(document: CompareDocument, *, compact: bool = False) -> list[list[str]]:
    return [[LABELS.get(key, key)] + [format_value(c.metrics.get(key), key, compact=compact) for c in document.conditions]
            for key in metric_keys(document)]


def title(document: CompareDocument) -> str:
    return (f"{document.domain} {document.split}: {len(document.tasks)} tasks × {document.n} personas, "
            f"seed {document.seed}, runner {document.runner}")


def rich_table(document: CompareDocument) -> Table:
    table = Table(title=title(document), caption="mean ±half-width of the 95% CI; n/a: does not apply")
    table.add_column("metric", no_wrap=True)
    for condition in document.conditions:
        table.add_column(condition.name, justify="right", overflow="fold")
    for row in rows(document, compact=True):
        table.add_row(*row)
    return table


def negatives_lines(document: CompareDocument) -> list[str]:
    """One line per kind of negatives the reference was fitted on."""
    return [f"{n.kind}: {n.n} dialogues, weight {n.weight_share:.0%} ({n.source})" for n in document.negatives]


def _md_row(cells: list[str]) -> str:
    return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"


def markdown(document: CompareDocument) -> str:
    """The whole comparison as a Markdown page: settings, the table, discriminators, split checks."""
    names = [c.name for c in document.conditions]
    lines = [f"# Comparison: {title(document)}", ""]
    lines += [f"- models: {', '.join(f'{role} `{model}`' for role, model in document.models.items())}"]
    if any(model.startswith("offline/") for model in document.models.values()):
        lines += ["- **offline provider**: a deterministic stand-in, not a language model; these figures are not comparable to the paper's"]
    lines += [f"- tasks: {', '.join(document.tasks)}", f"- reference: `{document.reference}`",
              f"- LLM calls and cost count {document.llm_scope}", ""]
    lines += ["## Conditions", ""]
    lines += [f"- **{c.name}** ({c.kind}): {c.source}" for c in document.conditions] + [""]
    lines += [_md_row(["metric (mean [95% CI])", *names]), _md_row(["---"] * (len(names) + 1))]
    lines += [_md_row(row) for row in rows(document)] + ["", LEGEND, ""]
    lines += ["## Discriminators", "", _md_row(["kind", "cv ROC-AUC (train)", "ECE (train, cross-fitted)",
                                                "held-out ROC-AUC (test humans vs no-persona)"]),
              _md_row(["---"] * 4)]
    lines += [_md_row([kind, format_value(info.cv_roc_auc), format_value(info.ece), format_value(info.heldout_roc_auc)])
              for kind, info in document.discriminators.items()] + [""]
    lines += ["Negatives (each kind an equal share of the negative weight):", ""]
    lines += [f"- {line}" for line in negatives_lines(document)] + [""]
    s = document.splits
    lines += ["## Held-out bookkeeping", "",
              (f"- discriminators trained on {s.human_train} train-split humans and baseline episodes of "
               f"{len(s.baseline_tasks)} train-split tasks; the humans row uses the {s.human_test} test-split humans")]
    lines += [f"- {'passed' if ok else 'FAILED'}: {name}" for name, ok in s.checks.items()]
    return "\n".join(lines) + "\n"
