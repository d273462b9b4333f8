"""Rendering shared by every command that plans or writes: stars, plan tables, run summaries.

Tables and JSON go to stdout (data); summaries and notes go to stderr (for people).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from plexrate.model import Change, ItemType, Phase, Plan, to_stars
from plexrate.workflow import RunOutcome

SCALE_NOTE = "ratings are on Plex's 0-10 scale (stars x 2)"


def stars(value: float | None) -> str:
    """A rating as people read it: ``3.5★``; ``—`` for unrated."""
    shown = to_stars(value)
    if shown is None:
        return "—"
    text = f"{shown:.2f}".rstrip("0").rstrip(".")
    return f"{text}★"


def _phase_label(phase: Phase) -> str:
    return phase.value.replace("-", " ").capitalize()


def change_dict(change: Change) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": change.key,
        "type": change.item_type.value,
        "title": change.title,
        "phase": change.phase.value,
        "reason": change.reason,
        "before": change.before,
        "after": change.after,
        "set_rating": change.set_rating,
        "add_tags": list(change.add_tags),
        "remove_tags": list(change.remove_tags),
        "own": change.own,
        "twin": change.twin,
    }
    if change.year is not None:
        data["year"] = change.year
    return data


def plan_counts(plan: Plan) -> dict[str, dict[str, int]]:
    """Changes per phase and item type, in plan order."""
    counts: dict[str, dict[str, int]] = {}
    for change in plan.changes:
        per_type = counts.setdefault(change.phase.value, {})
        per_type[change.item_type.value] = per_type.get(change.item_type.value, 0) + 1
    return counts


def plan_json(plan: Plan, *, extra: Mapping[str, Any] | None = None) -> str:
    document: dict[str, Any] = {
        "dry_run": True,
        "scale": SCALE_NOTE,
        **(extra or {}),
        "stats": plan.stats,
        "counts": plan_counts(plan),
        "notes": plan.notes,
        "changes": [change_dict(c) for c in plan.changes],
    }
    return json.dumps(document, ensure_ascii=False)


def counts_table(plan: Plan, *, verb: str = "would rate") -> Table:
    table = Table(title=f"What this {'dry run' if verb.startswith('would') else 'run'} covers")
    table.add_column("Phase")
    for item_type in ItemType:
        table.add_column(item_type.plural.capitalize(), justify="right")
    table.add_column("Total", justify="right")
    for phase, per_type in plan_counts(plan).items():
        row = [per_type.get(t.value, 0) for t in ItemType]
        table.add_row(
            _phase_label(Phase(phase)), *(f"{n:,}" if n else "" for n in row), f"{sum(row):,}"
        )
    return table


def sample_table(plan: Plan, *, per_phase: int) -> Table:
    table = Table(title=f"Sample of changes (up to {per_phase} per phase)")
    table.add_column("Phase")
    table.add_column("Item", overflow="fold")
    table.add_column("Before", justify="right")
    table.add_column("After", justify="right")
    table.add_column("Why", overflow="fold")
    for phase, changes in plan.by_phase().items():
        for change in changes[:per_phase]:
            after = stars(change.after) if change.set_rating else "(kept)"
            extra = []
            if change.add_tags:
                extra.append("+" + ",".join(change.add_tags))
            if change.remove_tags:
                extra.append("-" + ",".join(change.remove_tags))
            why = change.reason + (f" [{' '.join(extra)}]" if extra else "")
            table.add_row(
                _phase_label(phase),
                escape(change.title),
                stars(change.before),
                after,
                escape(why),
            )
    return table


def describe_plan(plan: Plan) -> str:
    """One line: ``would rate 1,234 albums, 56 artists and 7,890 tracks``."""
    per_type = dict.fromkeys(ItemType, 0)
    for change in plan.changes:
        if change.set_rating:
            per_type[change.item_type] += 1
    parts = [f"{n:,} {t.plural}" for t, n in per_type.items() if n]
    if not parts:
        return "nothing"
    if len(parts) == 1:
        return parts[0]
    return ", ".join(parts[:-1]) + " and " + parts[-1]


def print_plan(out: Console, err: Console, plan: Plan, *, per_phase: int) -> None:
    if plan.changes:
        out.print(counts_table(plan))
        if per_phase > 0:
            out.print(sample_table(plan, per_phase=per_phase))
    err.print(f"Dry run: would rate {describe_plan(plan)}; nothing was written.")
    for note in plan.notes:
        err.print(f"[dim]{escape(note)}[/]")


def outcome_dict(outcome: RunOutcome, *, requests: Mapping[str, Any], plan: Plan) -> dict[str, Any]:
    report = outcome.report
    return {
        "dry_run": False,
        "run_id": outcome.run_id,
        "status": outcome.status.value,
        "seconds": round(outcome.seconds, 3),
        "planned": len(plan.changes),
        **report.as_dict(),
        "requests": dict(requests),
        "stats": plan.stats,
        "counts": plan_counts(plan),
    }


def summary_lines(outcome: RunOutcome, plan: Plan, *, requests: Mapping[str, Any]) -> list[str]:
    report = outcome.report
    stats = plan.stats
    lines = [
        f"Wrote {report.written:,} of {len(plan.changes):,} planned changes in "
        f"{outcome.seconds:.1f}s ({report.requests:,} write requests, "
        f"{requests.get('reads', 0):,} reads, {report.mode.value} mode)."
    ]
    if "unchanged" in stats:
        lines.append(
            f"Unchanged within ε={stats.get('epsilon', 0):.3f}: {int(stats['unchanged']):,}; "
            f"hijacks resolved: {int(stats.get('hijacks', 0)):,}; "
            f"left without a value: {int(stats.get('without_value', 0)):,}."
        )
    if "prior" in stats:
        lines.append(
            f"Prior μ = {stars(float(stats['prior']))} from {int(stats.get('prior_tracks', 0)):,} "
            "manual track ratings (the same at start and end: inference never changes them)."
        )
    if report.failed:
        lines.append(f"[red]{report.failed:,} changes were refused by Plex:[/] {report.errors[0]}")
    return lines


def print_json(out: Console, text: str) -> None:
    # print, not print_json: rich would re-indent and colour; scripts want the exact document.
    out.file.write(text + "\n")
    out.file.flush()


def phase_names(phases: Sequence[Phase]) -> str:
    return ", ".join(_phase_label(p) for p in phases)
