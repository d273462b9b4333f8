"""Seeded fault injection: the failures a client must survive against a real, busy Plex server.

A ``FaultPlan`` makes a fraction of requests fail in one of these ways: ``error`` (HTTP 500),
``timeout`` (the server sits on the request past the client's timeout, then drops it), ``drop``
(the connection closes without a response), ``cut`` (the answer's headers promise a body that
breaks off in the middle, then the connection closes) or ``garble`` (the body is announced as
gzip but is not: the client cannot decode it). The first three are the default; ``cut`` and
``garble`` are asked for by name. For a faulted write the plan also decides, from the
same seeded stream, whether the write was applied before the failure: a lost response, the case
that forces a client to read back and reconcile. ``stop_after_writes`` takes the server down after
that many write requests, as if Plex had crashed mid-run; ``Emulator.come_back()`` revives it.

Decisions depend only on the seed and the order of requests, so a single-threaded client sees the
same faults on every run.
"""

from __future__ import annotations

import random
import threading
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

FaultKind = Literal["error", "timeout", "drop", "cut", "garble"]
FAULT_KINDS: tuple[FaultKind, ...] = ("error", "timeout", "drop", "cut", "garble")
DEFAULT_KINDS: tuple[FaultKind, ...] = ("error", "timeout", "drop")


@dataclass(frozen=True, kw_only=True)
class FaultPlan:
    rate: float = 0.0
    """Fraction of eligible requests that fail (0–1)."""
    kinds: tuple[FaultKind, ...] = DEFAULT_KINDS
    seed: int = 0
    only: Literal["reads", "writes"] | None = None
    """Restrict faults to reads or to writes; None faults both."""
    timeout_seconds: float = 35.0
    """How long a ``timeout`` fault holds the request before dropping it; set it above the
    client's timeout (plexapi's default is 30 s)."""
    applied_fraction: float = 0.5
    """Share of faulted writes that were applied before the failure."""
    max_faults: int | None = None
    """Stop injecting after this many faults (e.g. 1 for "fail once, then recover")."""
    stop_after_writes: int | None = None
    """Go down after this many write requests (faulted ones count) until ``come_back()``."""

    def __post_init__(self) -> None:
        if not 0 <= self.rate <= 1:
            raise ValueError("fault rate must be between 0 and 1")
        if not 0 <= self.applied_fraction <= 1:
            raise ValueError("applied_fraction must be between 0 and 1")
        if not self.kinds or any(k not in FAULT_KINDS for k in self.kinds):
            raise ValueError(f"fault kinds must be a non-empty subset of {FAULT_KINDS}")
        if self.only not in (None, "reads", "writes"):
            raise ValueError("only must be 'reads', 'writes' or None")
        if self.stop_after_writes is not None and self.stop_after_writes < 0:
            raise ValueError("stop_after_writes must not be negative")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["kinds"] = list(self.kinds)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FaultPlan:
        known = set(cls.__dataclass_fields__)
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown fault plan keys: {sorted(unknown)}")
        values = dict(data)
        if "kinds" in values:
            values["kinds"] = tuple(values["kinds"])
        return cls(**values)


@dataclass(frozen=True)
class Decision:
    kind: FaultKind | None = None
    applied: bool = False
    """For a faulted write: apply it before failing."""


NO_FAULT = Decision()


@dataclass
class FaultState:
    """The running state of a plan inside one server (thread-safe)."""

    plan: FaultPlan | None = None
    faults: int = 0
    writes: int = 0
    down: bool = False
    _rng: random.Random = field(default_factory=random.Random)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.set_plan(self.plan)

    def set_plan(self, plan: FaultPlan | None) -> None:
        with self._lock:
            self.plan = plan
            self.faults = 0
            self.writes = 0
            self._rng = random.Random(plan.seed if plan else 0)
            if plan is not None and plan.stop_after_writes == 0:
                self.down = True

    def set_down(self, down: bool) -> None:
        with self._lock:
            self.down = down
            if not down:
                self.writes = 0

    def is_down(self) -> bool:
        with self._lock:
            return self.down

    def decide(self, *, write: bool) -> Decision:
        with self._lock:
            plan = self.plan
            if plan is None or plan.rate <= 0:
                return NO_FAULT
            if (plan.only == "reads" and write) or (plan.only == "writes" and not write):
                return NO_FAULT
            if plan.max_faults is not None and self.faults >= plan.max_faults:
                return NO_FAULT
            if self._rng.random() >= plan.rate:
                return NO_FAULT
            kind = plan.kinds[self._rng.randrange(len(plan.kinds))]
            applied = write and self._rng.random() < plan.applied_fraction
            self.faults += 1
            return Decision(kind=kind, applied=applied)

    def count_write(self) -> None:
        """Record a write request; take the server down once the plan's limit is reached."""
        with self._lock:
            self.writes += 1
            plan = self.plan
            if (
                plan
                and plan.stop_after_writes is not None
                and self.writes >= plan.stop_after_writes
            ):
                self.down = True
