"""The one-line messages after a dry run and after a run, for every shape of plan."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from plexrate.cli.plan_output import print_plan, summary_lines
from plexrate.model import Change, ItemType, Phase, Plan
from plexrate.plex import ApplyReport
from plexrate.session import RunOutcome
from plexrate.state import RunStatus

RATE = Change(201, ItemType.ALBUM, "A — B", Phase.ALBUM_UP, "why", None, 7.0, own=True)
HIJACK = Change(
    301, ItemType.TRACK, "A — C", Phase.HIJACK, "changed", 4.0, 4.0, set_rating=False, own=False
)


def dry_run_line(plan: Plan) -> str:
    out, err = io.StringIO(), io.StringIO()
    print_plan(Console(file=out, width=200), Console(file=err, width=200), plan, per_phase=3)
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    return lines[0]


@pytest.mark.parametrize(
    ("changes", "line"),
    [
        ([], "Dry run: nothing to do, Plex already holds every value; nothing was written."),
        ([RATE], "Dry run: would rate 1 album; nothing was written."),
        (
            [HIJACK],
            "Dry run: would change only the tags or ownership of 1 item; nothing was written.",
        ),
        (
            [HIJACK, RATE, HIJACK],
            "Dry run: would rate 1 album and change only the tags or ownership of 2 items; "
            "nothing was written.",
        ),
    ],
)
def test_the_dry_run_line_names_what_would_change(changes: list[Change], line: str) -> None:
    assert dry_run_line(Plan(changes=changes)) == line


def test_a_run_with_nothing_to_write_says_so() -> None:
    outcome = RunOutcome(None, ApplyReport(), RunStatus.COMPLETED, 0.0)
    plan = Plan(stats={"unchanged": 12, "epsilon": 0.02, "hijacks": 0, "without_value": 0})

    lines = summary_lines(outcome, plan, requests={"reads": 11})

    assert (
        lines[0]
        == "Nothing to write: Plex already holds every value (11 reads, no write requests)."
    )
    assert lines[1] == (
        "12 values plexrate set before moved by less than 0.01★, so they were left as they are."
    )
    assert not any("ε" in line or "hijack" in line for line in lines)


def test_the_prior_is_explained_and_the_filler_named_when_counts_differ() -> None:
    outcome = RunOutcome(None, ApplyReport(), RunStatus.COMPLETED, 0.0)
    stats = {"prior": 6.4, "prior_tracks": 839, "manual_tracks": 845}

    (_, prior) = summary_lines(outcome, Plan(stats=stats), requests={"reads": 1})

    assert prior == (
        "Starting point for items with little evidence of their own: 3.2★, the average of 839 "
        "of your 845 track ratings (6 filler tracks, such as intros and very short tracks, "
        "left out)."
    )


def test_a_run_that_wrote_counts_what_it_wrote() -> None:
    report = ApplyReport(written=1, requests=1)
    outcome = RunOutcome(7, report, RunStatus.COMPLETED, 0.25)

    lines = summary_lines(outcome, Plan(changes=[RATE]), requests={"reads": 11})

    assert lines[0] == ("Wrote 1 of 1 planned change in 0.2s (1 write request, 11 reads).")
