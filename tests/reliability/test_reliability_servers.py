"""A server at ``PLEX_URL`` that is not a sound Plex server, through the real CLI (issue 17).

Each bad behaviour is a named emulator misbehaviour, fault or corrupted value. What must hold:
one ``Error:`` line naming what is wrong and what to do, the documented exit code (4 for the
server, 3 for configuration and files), no traceback, no token anywhere, nothing written, and
never a token sent to any address but ``PLEX_URL``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from plexrate.emulator import Emulator, FaultPlan, generate_library
from plexrate.plex import RetryPolicy
from tests.reliability.reliability_helpers import (
    TOKEN,
    Outcome,
    Target,
    assert_one_line_error,
    assert_same_outcome,
    serve,
)

pytestmark = pytest.mark.integration

LISTING = "GET /library/sections/{id}/all"


@pytest.fixture(scope="module")
def library() -> dict[str, Any]:
    return generate_library(tracks=120, seed=17).to_dict()


@pytest.fixture
def emu(library: dict[str, Any]) -> Iterator[Emulator]:
    server = serve(library)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def no_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Retries happen as configured, without the pauses between them (test speed)."""
    monkeypatch.setattr(RetryPolicy, "delay", lambda self, attempt: 0.0)


class Trap:
    """An HTTP server that answers 200 to anything and remembers every request's headers."""

    def __init__(self) -> None:
        seen: list[dict[str, str]] = []
        self.seen = seen

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                seen.append({k.lower(): v for k, v in self.headers.items()} | {"path": self.path})
                body = b'<MediaContainer size="0" machineIdentifier="trap"/>'
                self.send_response(200)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_PUT = do_GET

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def trap() -> Iterator[Trap]:
    found = Trap()
    try:
        yield found
    finally:
        found.close()


def _fails(target: Target, *args: str, code: int = 4, contains: str) -> str:
    result = target.invoke(*args)
    assert result.exit_code == code, (result.exit_code, result.stdout, result.stderr)
    assert TOKEN not in result.stdout
    return assert_one_line_error(result.stderr, contains=contains)


@pytest.mark.parametrize("where", ["connecting", "mid-run"])
def test_a_redirect_to_another_address_is_never_followed_with_the_token(
    emu: Emulator, trap: Trap, tmp_path: Path, where: str
) -> None:
    """Issue 17 item 2: requests strips Authorization on a new host, not X-Plex-Token."""
    endpoints = () if where == "connecting" else (LISTING,)
    emu.misbehave("redirect", target=trap.url, endpoints=endpoints)
    error = _fails(Target(emu, tmp_path, {}), "run", "--dry-run", contains="redirect (302)")
    assert f"to {trap.url}/" in error
    assert "plexrate follows no redirects, so the token is never sent elsewhere" in error
    assert f"set PLEX_URL to http://127.0.0.1:{trap.url.rsplit(':', 1)[1]}" in error
    assert trap.seen == []  # not even a request without the token
    assert emu.stats().writes == 0


def test_a_redirect_loop_is_one_clear_error(emu: Emulator, tmp_path: Path) -> None:
    emu.misbehave("redirect-loop")
    error = _fails(Target(emu, tmp_path, {}), "config", "check", contains="redirect (302)")
    assert "redirects to itself is not a Plex Media Server" in error


@pytest.mark.parametrize(
    ("behaviour", "endpoints", "says"),
    [
        ("web-page", (), "answered with a web page, not Plex's XML (is PLEX_URL the Plex Media"),
        ("web-page", (LISTING,), "request with a web page instead of Plex's XML"),
        ("json", (), "not a Plex server at {url}: it answered with JSON, not Plex's XML"),
        ("json", (LISTING,), "request with JSON, not Plex's XML"),
        ("empty", (), "not a Plex server at {url}: it answered with an empty page"),
        ("empty", (LISTING,), "request with an empty page"),
        ("not-plex", (), "not a Plex server at {url}: it answered 404 Not Found"),
        ("wrong-root", (), "not a Plex server at {url}: its answer to / has no machineIdentifier"),
        ("wrong-root", (LISTING,), "request with <status>, not Plex's <MediaContainer>"),
        ("malformed-xml", (), "keeps answering connect requests with malformed XML"),
        ("malformed-xml", (LISTING,), "keeps answering list-artist requests with malformed XML"),
    ],
)
def test_an_answer_that_is_not_plexs_is_exit_4_with_one_line(
    emu: Emulator, tmp_path: Path, behaviour: str, endpoints: tuple[str, ...], says: str
) -> None:
    """Issue 17 item 6: each shape is named, none ends in "unexpected"."""
    emu.misbehave(behaviour, endpoints=endpoints)
    target = Target(emu, tmp_path, {"RETRIES": "2"})
    error = _fails(target, "run", "--apply", "--yes", contains=says.format(url=emu.url))
    assert "unexpected" not in error
    assert emu.stats().writes == 0
    if behaviour == "malformed-xml":
        # Retried like any cut answer (its end may have been lost), then reported.
        assert emu.stats().faults[behaviour] == 3


def test_an_answer_cut_mid_body_is_retried_like_a_dropped_connection(
    library: dict[str, Any], tmp_path: Path
) -> None:
    """Issue 17 item 3: cut bodies and undecodable bodies are transient, the run ends clean."""
    clean_emu = serve(library)
    try:
        clean = Target(clean_emu, tmp_path / "clean", {"PAGE_SIZE": "50"})
        clean.folder.mkdir()
        clean.invoke_json("run", "--apply", "--yes")
        expected: Outcome = clean.outcome()
    finally:
        clean_emu.stop()
    plan = FaultPlan(rate=0.25, kinds=("cut", "garble"), seed=3, applied_fraction=0.5)
    faulty = serve(library, faults=plan)
    try:
        target = Target(faulty, tmp_path, {"PAGE_SIZE": "50", "RETRIES": "10"})
        summary = target.invoke_json("run", "--apply", "--yes")
        faults = dict(faulty.stats().faults)
        assert set(faults) == {"cut", "garble"}, faults
        assert summary["status"] == "completed"
        assert (summary["failed"], summary["pending"]) == (0, 0)
        assert summary["requests"]["retries"] > 0
        assert_same_outcome(expected, target.outcome())
    finally:
        faulty.stop()


def test_values_that_cannot_be_ratings_are_reported_and_left_alone(
    emu: Emulator, tmp_path: Path
) -> None:
    """Issue 17 item 5: 57.0, NaN, -3 and text are never evidence, never count as the person's
    change (no hijack of an owned item), never get written over; the rest is inferred as usual."""
    target = Target(emu, tmp_path, {})
    first = target.invoke_json("run", "--apply", "--yes")
    assert first["written"] > 0
    owned_before = target.owned()
    tracks = sorted(k for k, (kind, *_rest) in owned_before.items() if kind == "track")
    ratings = emu.library.ratings("track")
    rated = sorted(k for k, v in ratings.items() if v and k not in owned_before)
    corrupted = {
        tracks[0]: "57.0",  # owned by plexrate: must not become a hijack
        tracks[1]: "NaN",
        rated[0]: "-3",  # the person's: must not leave μ changed
        rated[1]: "five",
    }
    for key, value in corrupted.items():
        emu.corrupt(key, userRating=value)
    emu.reset_stats()
    result = target.invoke("run", "--apply", "--yes", "--json")
    assert result.exit_code == 0, result.stderr
    said = " ".join(result.stderr.split())
    assert "Left alone 4 items Plex sent with values that cannot be ratings" in said
    assert "userRating='57.0' is outside 0–10" in said
    written = {r.param("id") or r.param("key") or "" for r in emu.requests() if r.method == "PUT"}
    for key in corrupted:
        assert not any(str(key) in ids.split(",") for ids in written)
    owned_after = target.owned()
    for key in corrupted:  # no hijack, no claim dropped or made
        assert owned_after.get(key) == owned_before.get(key)
    assert set(owned_before) <= set(owned_after)
    summary = json.loads(result.stdout)
    assert summary["status"] == "completed"
    # The person's two unreadable ratings are not evidence any more, so their neighbours may be
    # inferred anew; once the values are sound again, the next run restores the first result.
    for key in corrupted:
        emu.corrupt(key)
    target.invoke_json("run", "--apply", "--yes")
    assert target.owned() == owned_before


def test_a_token_that_may_not_edit_names_the_cause(emu: Emulator, tmp_path: Path) -> None:
    """Issue 17 item 6 / issue 14 item 5: reads succeed, edits answer 401 → not "433 changes
    were refused" but the account's limits, with nothing pending."""
    emu.add_account("friend-T0ken-Otter-9931", "shared")
    target = Target(emu, tmp_path, {"PLEX_TOKEN": "friend-T0ken-Otter-9931"})
    error = _fails(target, "run", "--apply", "--yes", contains="may not edit this library")
    assert "not the server owner's token, or a managed user" in error
    assert 'set INFERRED_TAG (and TWIN_LOGIC.TWIN_TAG) to "" and rerun' in error
    assert "refused" not in error.split("write (401)")[1]
    assert target.pending() == []
    assert "friend-T0ken-Otter-9931" not in error


def test_a_non_owner_token_rates_with_rate_when_tags_are_off(
    library: dict[str, Any], tmp_path: Path
) -> None:
    """The Applier's fallback: edits refused, /:/rate allowed → ratings one by one, ownership
    recorded, a rerun writes nothing."""
    emu = serve(library)
    try:
        emu.add_account("friend-T0ken-Otter-9931", "shared")
        settings = {"PLEX_TOKEN": "friend-T0ken-Otter-9931", "INFERRED_TAG": ""}
        target = Target(emu, tmp_path, settings)
        summary = target.invoke_json("run", "--apply", "--yes")
        assert summary["status"] == "completed"
        assert summary["write_mode"] == "rate"
        assert summary["written"] == summary["planned"] > 0
        stats = emu.stats()
        assert stats.by_endpoint.get("PUT /library/sections/{id}/all", 0) == 1  # the refused one
        assert stats.by_endpoint["PUT /:/rate"] == summary["written"]
        again = target.invoke_json("run", "--apply", "--yes")
        assert (again["planned"], again["written"]) == (0, 0)
    finally:
        emu.stop()
