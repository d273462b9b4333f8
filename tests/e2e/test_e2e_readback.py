"""A write that landed is never marked failed because reading it back went wrong (issue 17).

The emulator accepts plexrate's writes but, once the first one landed, refuses, empties or
garbles every multi-id item read (``Emulator.refuse_readbacks``): the read-back after a write and
the check before the next one. The writes that landed must stay pending (the next start reads
them back) or confirmed, never failed; nothing is written unchecked; and once the server behaves,
a rerun ends in the library and ownership an undisturbed run gives.
"""

from __future__ import annotations

from typing import Any

import pytest

from plexrate.model import normalise_rating, same_rating
from plexrate.state import EntryStatus
from tests.e2e.e2e_support import TAG, music_section
from tests.support.cli import PlexrateCli

pytestmark = [pytest.mark.integration]


def holdings(dump: dict[str, Any]) -> dict[int, tuple[float | None, bool]]:
    section = music_section(dump)
    return {
        raw["ratingKey"]: (
            normalise_rating(raw.get("userRating")),
            any(m.casefold() == TAG.casefold() for m in raw.get("moods", ())),
        )
        for kind in ("artists", "albums", "tracks")
        for raw in section[kind]
    }


@pytest.mark.parametrize("how", ["forbidden", "empty", "malformed-xml"])
def test_a_refused_readback_never_fails_a_landed_write(cli_for: Any, how: str) -> None:
    cli: PlexrateCli = cli_for(tracks=300, seed=5)
    reference: PlexrateCli = cli_for(tracks=300, seed=5)
    clean = reference.invoke("run", "--apply", "--yes")
    assert clean.exit_code == 0, clean.output

    cli.emulator.refuse_readbacks(how)
    # Few retries: a malformed answer is retried like a cut connection before it counts.
    result = cli.invoke("run", "--apply", "--yes", env={"PLEXRATE_RETRIES": "1"})
    assert result.exit_code == 4, result.output
    assert "refused the reads that check items before they are written" in " ".join(
        result.output.split()
    )

    held = holdings(cli.emulator.dump())
    with cli.store() as store:
        entries = store.journal()
    landed = [
        e
        for e in entries
        if e.set_rating and e.after is not None and same_rating(held[e.key][0], e.after)
    ]
    assert landed, "the first write request must have landed"
    assert all(e.status is not EntryStatus.FAILED for e in landed), [
        (e.key, e.status, e.note) for e in landed if e.status is EntryStatus.FAILED
    ]
    # Nothing was written after the check became impossible: only the first request landed.
    assert cli.emulator.stats().writes == 1

    cli.emulator.behave()
    again = cli.invoke("run", "--apply", "--yes")
    assert again.exit_code == 0, again.output
    assert cli.pending() == []
    assert holdings(cli.emulator.dump()) == holdings(reference.emulator.dump())
    assert {k: round(o.value, 1) for k, o in cli.owned().items()} == {
        k: round(o.value, 1) for k, o in reference.owned().items()
    }
