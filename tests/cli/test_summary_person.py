"""The run summary's lines about the person's ratings and writes left unconfirmed."""

from __future__ import annotations

from plexrate.cli.plan_output import settled_line, summary_lines
from plexrate.model import Change, ItemType, Phase, Plan
from plexrate.plex import ApplyReport
from plexrate.session import RunOutcome
from plexrate.state import RunStatus


def plan_of(n: int) -> Plan:
    return Plan(
        changes=[
            Change(k, ItemType.TRACK, f"t{k}", Phase.TRACK_DOWN, "test", None, 6.0)
            for k in range(n)
        ]
    )


def test_the_summary_says_what_was_left_to_the_person_and_what_stays_unconfirmed() -> None:
    report = ApplyReport(written=5, pending=2, changed=3, rated_meanwhile=4)
    report.changed_notes.append("A — B: Plex held 8 (4★) where the plan was made from no rating")
    lines = summary_lines(
        RunOutcome(1, report, RunStatus.COMPLETED, 1.0), plan_of(10), requests={"reads": 9}
    )
    text = " ".join(lines)
    assert "Rated in Plex while plexrate ran: 4 tracks plexrate did not write" in text
    assert "Left 3 items to you: changed in Plex during the run, so not written (A — B:" in text
    assert "2 writes landed but could not be read back" in text


def test_nothing_is_said_when_the_person_did_nothing() -> None:
    report = ApplyReport(written=10, rated_meanwhile=0)
    lines = summary_lines(
        RunOutcome(1, report, RunStatus.COMPLETED, 1.0), plan_of(10), requests={"reads": 9}
    )
    text = " ".join(lines)
    assert "Rated in Plex" not in text and "Left" not in text and "read back" not in text


def test_what_a_run_left_alone_is_said_in_the_singular_too() -> None:
    one = settled_line({"unchanged": 1, "hijacks": 1, "epsilon": 0.06})
    assert one is not None
    assert "1 value plexrate set before moved by less than 0.03★, so it was left as it is" in one
    assert "1 rating plexrate had set was changed by you in Plex: it is yours now" in one
    assert "no longer touches it." in one
    two = settled_line({"unchanged": 2, "hijacks": 2, "epsilon": 0.06})
    assert two is not None
    assert "so they were left as they are" in two
    assert "2 ratings plexrate had set were changed by you in Plex: they are yours now" in two
