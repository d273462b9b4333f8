"""Property: whatever mix of writes lands or fails, ownership equals the protocol's rules.

A reference model applies the documented effects (docs/state.md, "The write-ahead protocol") to
the confirmed entries in journal order; the store must agree with it after every batch.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from plexrate.model import Change
from tests.state.state_helpers import change, open_store

ratings = st.none() | st.integers(min_value=0, max_value=20).map(lambda n: n / 2)
changes = st.builds(
    lambda key, after, own, set_rating: change(
        key, after=after, own=own, set_rating=set_rating, add_tags=()
    ),
    key=st.integers(min_value=1, max_value=6),
    after=ratings,
    own=st.sampled_from([True, False, None]),
    set_rating=st.booleans(),
)
outcome = st.sampled_from(["confirm", "confirm-readback", "fail"])
batches = st.lists(
    st.tuples(st.lists(changes, min_size=1, max_size=5), outcome, ratings), min_size=1, max_size=6
)


def _model(owned: dict[int, float], batch: list[Change], readback: dict[int, float | None]) -> None:
    for c in batch:
        if c.key in readback:
            value = readback[c.key]
        elif c.set_rating:
            value = c.after
        else:
            value = owned.get(c.key, c.before)
        if c.own is False or (c.own is not None and value is None):
            owned.pop(c.key, None)
        elif c.own is True and value is not None:
            owned[c.key] = value
        elif c.set_rating and c.key in owned:
            if value is None:
                owned.pop(c.key)
            else:
                owned[c.key] = value


@settings(max_examples=60, deadline=None)
@given(batches)
def test_ownership_follows_the_confirmed_journal(
    plan: list[tuple[list[Change], str, float | None]],
) -> None:
    expected: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as folder, open_store(Path(folder) / "s.sqlite") as store:
        run = store.begin_run(command="run")
        for batch, result, read in plan:
            ids = store.record_intents(run, batch)
            assert [e.id for e in store.pending()] == ids
            if result == "fail":
                store.fail(ids, error="refused")
            else:
                readback = {batch[0].key: read} if result == "confirm-readback" else {}
                store.confirm(ids, readback=readback)
                _model(expected, batch, readback)
            assert {k: o.value for k, o in store.owned().items()} == expected
        assert store.pending() == []
