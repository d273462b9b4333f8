"""Request counters: what a client asked of the emulator, for tests and benchmarks."""

from __future__ import annotations

import threading
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class EmulatorStats:
    """Counts since the emulator started or ``reset_stats()`` ran.

    ``by_endpoint`` is keyed by method and path pattern, e.g. ``GET /library/sections/{id}/all``;
    ``listings`` counts listing pages per item type (``artist``, ``album``, ``track``). Reads are
    GETs of Plex endpoints, writes are ``/:/rate`` (either method) and section edits. Requests
    refused with 401, faulted or dropped while the server is down are counted too.
    """

    requests: int = 0
    reads: int = 0
    writes: int = 0
    items_returned: int = 0
    ratings_written: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    ignored_edits: int = 0
    """Edit parameters accepted without effect (a bare ``originallyAvailableAt=…``)."""
    modeled_seconds: float = 0.0
    """Latency the model charged (slept) for these requests: the server cost being emulated."""
    busy_seconds: float = 0.0
    """Time spent answering these requests, the modeled latency included (for a client with one
    request in flight, its wall time minus this is roughly its own time)."""
    by_endpoint: Mapping[str, int] = field(default_factory=dict)
    by_status: Mapping[int, int] = field(default_factory=dict)
    listings: Mapping[str, int] = field(default_factory=dict)
    faults: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["by_status"] = {str(k): v for k, v in self.by_status.items()}
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> EmulatorStats:
        values = dict(data)
        values["by_status"] = {int(k): v for k, v in values.get("by_status", {}).items()}
        return cls(**values)

    def endpoint(self, pattern: str) -> int:
        return self.by_endpoint.get(pattern, 0)


@dataclass(frozen=True)
class RequestRecord:
    """One request as the emulator saw it (the token is never recorded)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    endpoint: str
    status: int
    items: int = 0
    fault: str | None = None
    page_size: int | None = None
    """The ``X-Plex-Container-Size`` the client sent (header or parameter), if any."""

    def param(self, name: str) -> str | None:
        for key, value in self.query:
            if key == name:
                return value
        return None

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["query"] = [list(p) for p in self.query]
        return out


class StatsRecorder:
    def __init__(self, *, log_size: int = 20_000) -> None:
        self._lock = threading.Lock()
        self._log: deque[RequestRecord] = deque(maxlen=log_size)
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self._counts: Counter[str] = Counter()
            self._endpoints: Counter[str] = Counter()
            self._statuses: Counter[int] = Counter()
            self._listings: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._modeled = 0.0
            self._busy = 0.0
            self._log.clear()

    def record(
        self,
        record: RequestRecord,
        *,
        write: bool,
        ratings: int = 0,
        tags_added: int = 0,
        tags_removed: int = 0,
        ignored: int = 0,
        listing: str | None = None,
        modeled: float = 0.0,
        busy: float = 0.0,
    ) -> None:
        with self._lock:
            self._modeled += modeled
            self._busy += busy
            c = self._counts
            c["requests"] += 1
            c["writes" if write else "reads"] += 1
            c["items_returned"] += record.items
            c["ratings_written"] += ratings
            c["tags_added"] += tags_added
            c["tags_removed"] += tags_removed
            c["ignored_edits"] += ignored
            self._endpoints[record.endpoint] += 1
            self._statuses[record.status] += 1
            if listing:
                self._listings[listing] += 1
            if record.fault:
                self._faults[record.fault] += 1
            self._log.append(record)

    def snapshot(self) -> EmulatorStats:
        with self._lock:
            c = self._counts
            return EmulatorStats(
                requests=c["requests"],
                reads=c["reads"],
                writes=c["writes"],
                items_returned=c["items_returned"],
                ratings_written=c["ratings_written"],
                tags_added=c["tags_added"],
                tags_removed=c["tags_removed"],
                ignored_edits=c["ignored_edits"],
                modeled_seconds=self._modeled,
                busy_seconds=self._busy,
                by_endpoint=dict(self._endpoints),
                by_status=dict(self._statuses),
                listings=dict(self._listings),
                faults=dict(self._faults),
            )

    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._log)
