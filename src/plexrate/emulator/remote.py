"""Drive an emulator running in another process through its ``/__emulator/`` hooks.

``plexrate emulator serve`` prints its url and token; a benchmark then measures it with::

    remote = RemoteEmulator(url, token)
    remote.reset_stats(); ...run the client...; remote.stats().writes
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

from plexrate.emulator.faults import FaultPlan
from plexrate.emulator.stats import EmulatorStats


class RemoteEmulator:
    def __init__(self, url: str, token: str, *, timeout: float = 30.0) -> None:
        self.url = url.rstrip("/")
        self._token = token
        self.timeout = timeout

    def _call(self, method: str, name: str, body: Any = None) -> Any:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/__emulator/{name}",
            data=data,
            method=method,
            headers={"X-Plex-Token": self._token, "Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            return json.loads(response.read())

    def health(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "health")
        return result

    def stats(self) -> EmulatorStats:
        return EmulatorStats.from_dict(self._call("GET", "stats"))

    def reset_stats(self) -> None:
        self._call("POST", "reset-stats", {})

    def load(self) -> dict[str, Any]:
        """The load model's figures: ``peak_write_slowdown`` against idle since the last
        ``reset_stats``, the backlog now and at its peak, in seconds."""
        result: dict[str, Any] = self._call("GET", "load")
        return result

    def dump(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "dump")
        return result

    def requests(self) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = self._call("GET", "requests")
        return result

    def set_faults(self, plan: FaultPlan | None) -> None:
        self._call("POST", "faults", plan.to_dict() if plan else {})

    def delete(self, rating_keys: list[int]) -> list[int]:
        """Delete items (and what is under them) from the served library, as Plex would."""
        return [int(k) for k in self._call("POST", "delete", list(rating_keys))["deleted"]]

    def go_down(self) -> None:
        self._call("POST", "down", {})

    def come_back(self) -> None:
        self._call("POST", "up", {})
