"""The reports as people see them: rich tables, bars and a tree.

Manual and inferred parts of a bar differ in glyph as well as colour, so a bar still reads right
without colour (``NO_COLOR``, a text file). Ratings are shown in stars.
"""

from __future__ import annotations

import io

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from plexrate.engine import TwinAnchor
from plexrate.reports.common import Report, Status, duration_text
from plexrate.reports.coverage import Coverage, CoverageRow
from plexrate.reports.dissenters import Dissenters
from plexrate.reports.histogram import Histogram
from plexrate.reports.twins import InventoryGroup, TwinMember, TwinsInventory
from plexrate.wording import signed_stars, stars

MANUAL_GLYPH, MANUAL_STYLE = "█", "green"
INFERRED_GLYPH, INFERRED_STYLE = "▒", "cyan"
UNRATED_GLYPH, UNRATED_STYLE = "░", "dim"
BAR_WIDTH = 40
COVERAGE_BAR = 16
WIDE = 100
"""Terminals narrower than this get the coverage table without its bars."""
TEXT_WIDTH = 120
"""Width of reports written to a text file."""

_STATUS_STYLE = {Status.MANUAL: MANUAL_STYLE, Status.INFERRED: INFERRED_STYLE, Status.UNRATED: ""}


def stacked_bar(parts: list[tuple[int, str, str]], *, scale: int, width: int = BAR_WIDTH) -> Text:
    """Segments (count, glyph, style) side by side, ``scale`` counts filling ``width`` cells.

    Segment ends are rounded cumulatively (half a cell up), so a bar is as long as its rounded
    total says and each segment is within one cell of its exact length; a segment of less than
    a cell may vanish.
    """
    bar = Text()
    if scale <= 0:
        return bar
    shown = 0
    running = 0
    for count, glyph, style in parts:
        running += count
        # Half a cell rounds up (round() would round 2.5 down to the even 2).
        end = int(running * width / scale + 0.5)
        if end > shown:
            bar.append(glyph * (end - shown), style=style)
            shown = end
    return bar


def legend(*, unrated: bool = True) -> Text:
    text = Text.assemble(
        (MANUAL_GLYPH, MANUAL_STYLE), " manual  ", (INFERRED_GLYPH, INFERRED_STYLE), " inferred"
    )
    if unrated:
        text.append_text(Text.assemble("  ", (UNRATED_GLYPH, UNRATED_STYLE), " unrated"))
    return text


def _count(n: int | None) -> str:
    return "—" if n is None else f"{n:,}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}%"


def _count_share(count: int | None, share: float | None) -> str:
    # One cell with a space inside, so a narrow terminal wraps the percentage under the count
    # instead of cutting both short.
    if count is None:
        return "—"
    return f"{count:,} {_pct(share):>6}"


def coverage_view(report: Coverage, *, width: int | None = None) -> RenderableType:
    """The coverage table; the bar column only where there is room for it (100 columns)."""
    with_bars = width is None or width >= WIDE
    table = Table(
        title="Rating coverage",
        caption=legend() if with_bars else None,
        caption_justify="left",
    )
    table.add_column("Type")
    for name in ("Items", "Manual", "Inferred", "Unrated", "Twin-linked"):
        table.add_column(name, justify="right")
    if with_bars:
        table.add_column("", no_wrap=True)

    def add(row: CoverageRow, *, name: str, end_section: bool = False) -> None:
        cells = [
            name,
            _count(row.items),
            _count_share(row.manual, row.share(row.manual)),
            _count_share(row.inferred, row.share(row.inferred)),
            _count_share(row.unrated, row.share(row.unrated)),
            _count_share(row.twin_linked, row.share(row.twin_linked)),
        ]
        bar = stacked_bar(
            [
                (row.manual, MANUAL_GLYPH, MANUAL_STYLE),
                (row.inferred, INFERRED_GLYPH, INFERRED_STYLE),
                (row.unrated, UNRATED_GLYPH, UNRATED_STYLE),
            ],
            scale=row.items,
            width=COVERAGE_BAR,
        )
        table.add_row(*cells, *([bar] if with_bars else []), end_section=end_section)

    for i, row in enumerate(report.types):
        add(row, name=row.label.capitalize() + "s", end_section=i == len(report.types) - 1)
    add(report.total, name="Total")
    notes = [f"Twin groups: {report.twin_groups:,}."]
    if report.total.hijacked:
        notes.append(
            f"Manual includes {report.total.hijacked:,} ratings plexrate wrote and you have "
            "changed since."
        )
    if report.total.cleared:
        notes.append(
            f"Unrated includes {report.total.cleared:,} ratings plexrate wrote that were cleared "
            "in Plex; the next run infers them again."
        )
    return Group(table, Text(" ".join(notes)))


def histogram_view(report: Histogram, *, width: int | None = None) -> RenderableType:
    """Buckets from 5★ down; the bars use what the terminal leaves (10 to 40 cells)."""
    bar_width = BAR_WIDTH if width is None else min(max(width - 52, 10), BAR_WIDTH)
    plural = report.item_type.plural
    table = Table(
        title=f"{plural.capitalize()} by rating, in half stars ({report.rated:,} rated of "
        f"{report.items:,})",
        caption=Text.assemble(
            legend(unrated=False),
            f"; a bucket holds the ratings above the bucket below, up to its own value. "
            f"Unrated {plural}: {report.unrated:,}.",
        ),
        caption_justify="left",
    )
    table.add_column("Stars", justify="right")
    table.add_column("Manual", justify="right")
    table.add_column("Inferred", justify="right")
    table.add_column("Total", justify="right")
    table.add_column("%", justify="right")
    table.add_column("", no_wrap=True)
    rated = report.rated
    tallest = max((b.total for b in report.buckets), default=0)
    for bucket in reversed(report.buckets):
        share = 100.0 * bucket.total / rated if rated else 0.0
        table.add_row(
            f"{bucket.stars:.1f}★",
            _count(bucket.manual),
            _count(bucket.inferred),
            _count(bucket.total),
            f"{share:.1f}%",
            stacked_bar(
                [
                    (bucket.manual, MANUAL_GLYPH, MANUAL_STYLE),
                    (bucket.inferred, INFERRED_GLYPH, INFERRED_STYLE),
                ],
                scale=tallest,
                width=bar_width,
            ),
        )
    table.add_row(
        "All",
        _count(report.manual),
        _count(report.inferred),
        _count(rated),
        "100.0%" if rated else "0.0%",
        "",
        end_section=False,
    )
    return table


def _member_label(member: TwinMember) -> Text:
    text = Text.assemble(
        (member.title, "bold" if member.dropped is None else "dim"),
        f"  ·  {member.album}  ·  {duration_text(member.duration_ms)}  ·  ",
        (f"{stars(member.rating)} {member.status.value}", _STATUS_STYLE[member.status]),
        f"  (#{member.key})",
    )
    if member.dropped is not None:
        why = member.dropped
        if member.offset_ms is not None:
            why += f": {_signed_seconds(member.offset_ms)} from the median"
        text = Text.assemble(("dropped ", "yellow"), f"({why}): ", text)
    return text


def _signed_seconds(ms: float) -> str:
    seconds = round(ms / 1000)
    sign = "+" if seconds >= 0 else "-"
    return f"{sign}{duration_text(abs(seconds) * 1000)}"


def _group_label(group: InventoryGroup) -> Text:
    style = {
        TwinAnchor.MANUAL: MANUAL_STYLE,
        TwinAnchor.INFERRED: INFERRED_STYLE,
        TwinAnchor.NONE: "dim",
    }[group.basis]
    return Text.assemble(
        (group.artist, "bold"),
        " — ",
        (group.title, "bold"),
        "  ",
        (stars(group.rating), style),
        f"  ({group.reason}; median {duration_text(round(group.median_ms))})",
    )


def twins_view(report: TwinsInventory) -> RenderableType:
    if not report.enabled:
        heading = "Twin groups: twins are switched off (TWIN_LOGIC.ENABLED false)"
    else:
        heading = (
            f"Twin groups: {len(report.groups):,} ({report.members:,} tracks; "
            f"{report.dropped:,} dropped; durations within {report.tolerance_sec:g} s of the "
            "group's median)"
        )
    tree = Tree(Text(heading, style="bold"))
    for group in report.groups:
        node = tree.add(_group_label(group))
        for member in (*group.members, *group.dropped):
            node.add(_member_label(member))
    return tree


def dissenters_view(report: Dissenters) -> RenderableType:
    limit = f"top {report.limit}" if report.limit else "all"
    table = Table(
        title=f"Tracks furthest from their album's rating ({limit}; {report.matching:,} of "
        f"{report.compared:,} compared tracks deviate by at least {report.min_deviation:g}★)",
    )
    table.add_column("#", justify="right")
    table.add_column("Deviation", justify="right")
    table.add_column("Track", overflow="fold")
    table.add_column("Rating", justify="right")
    table.add_column("Album", overflow="fold")
    table.add_column("Album rating", justify="right")
    for rank, row in enumerate(report.rows, start=1):
        table.add_row(
            str(rank),
            Text(signed_stars(row.deviation), style="red" if row.deviation < 0 else "green"),
            Text(row.title),
            Text(f"{stars(row.rating)} {row.status.value}", style=_STATUS_STYLE[row.status]),
            Text(row.album),
            Text(
                f"{stars(row.album_rating)} {row.album_status.value}",
                style=_STATUS_STYLE[row.album_status],
            ),
        )
    return table


def view(report: Report, *, width: int | None = None) -> RenderableType:
    """The rich renderable of any report, laid out for ``width`` columns (None: roomy)."""
    if isinstance(report, Coverage):
        return coverage_view(report, width=width)
    if isinstance(report, Histogram):
        return histogram_view(report, width=width)
    if isinstance(report, TwinsInventory):
        return twins_view(report)
    if isinstance(report, Dissenters):
        return dissenters_view(report)
    raise TypeError(f"no view for {type(report).__name__}")


def plain_text(report: Report, *, width: int = TEXT_WIDTH) -> str:
    """The report as plain text (no colour, no escape codes), for a file."""
    buffer = io.StringIO()
    console = Console(
        file=buffer,
        width=width,
        color_system=None,
        force_terminal=False,
        no_color=True,
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(view(report, width=width))
    return buffer.getvalue()


def exported(report: Report, kind: str, *, width: int = TEXT_WIDTH, title: str = "") -> str:
    """The report as a standalone HTML page or SVG picture (rich's own export, colours kept),
    for a browser or a README."""
    console = Console(
        record=True,
        file=io.StringIO(),
        width=width,
        force_terminal=True,
        color_system="truecolor",
        highlight=False,
        emoji=False,
        legacy_windows=False,
    )
    console.print(view(report, width=width))
    if kind == "svg":
        return console.export_svg(title=title or "plexrate report")
    return console.export_html(inline_styles=True)
