"""plexrate's benchmarks: ``python -m benchmarks --help`` (or ``nox -s bench``).

``__main__`` runs the scenarios of issue 9 against an emulator in its own process and prints the
tables ``docs/benchmarks.md`` reports; ``harness`` starts and measures the processes, ``floor``
computes the least time the emulator's cost model allows, ``old_pattern`` is the reference client
with the old tool's access pattern. ``emulator_listing`` and ``engine_speed`` are older, standalone
measurements of one component each.
"""
