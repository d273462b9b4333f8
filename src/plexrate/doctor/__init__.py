"""``plexrate doctor``: check the person's own server before the first big run.

One table of checks, each with what plexrate will do because of it: the server is reachable
(and how fast it answers when idle), TLS, whose token it is and whether it may edit, the largest
page the server accepts, and, only with the person's consent, whether each rating write form
stores ratings and at what precision (probed on one unrated track, left unrated again). What it
learns is kept per server in the state file (``state.profile``) and used by later runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from plexrate.model import ItemType, same_rating
from plexrate.plex import connect_with
from plexrate.plex.client import PlexClient, RetryHook
from plexrate.plex.probe import (
    PROBE_VALUE,
    ProbeTrack,
    WriteProbe,
    clear_rating,
    find_unrated_track,
    idle_response_ms,
    largest_page,
    owner_account,
    probe_rating_writes,
)
from plexrate.settings import Settings
from plexrate.state import StateStore
from plexrate.state.profile import PROBE_KEY, ServerProfile, load_profile, save_profile
from plexrate.wording import stars

Status = Literal["ok", "warn", "fail", "skipped"]


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    status: Status
    result: str
    plan: str
    """What plexrate will do because of it."""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.name, "status": self.status, "result": self.result, "plan": self.plan}


@dataclass
class DoctorReport:
    url: str
    server: str
    version: str
    library: str
    checks: list[Check] = field(default_factory=list)
    profile: ServerProfile | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(c.status != "fail" for c in self.checks)

    def document(self) -> dict[str, Any]:
        profile = self.profile
        return {
            "url": self.url,
            "server": {"name": self.server, "version": self.version},
            "library": self.library,
            "ok": self.ok,
            "checks": [c.as_dict() for c in self.checks],
            "learned": None if profile is None else _learned(profile),
            "notes": list(self.notes),
        }


def _learned(profile: ServerProfile) -> dict[str, Any]:
    return {
        "machine_id": profile.machine_id,
        "checked_at": profile.checked_at,
        "owner_token": profile.owner_token,
        "page_size": profile.page_size,
        "idle_ms": profile.idle_ms,
        "may_edit": profile.may_edit,
        "edit_stores_ratings": profile.edit_stores,
        "rate_stores_ratings": profile.rate_stores,
        "stored_probe": profile.stored_probe,
        "write_mode": profile.write_mode(),
    }


def run_doctor(
    settings: Settings,
    *,
    consent: Callable[[str], bool | None],
    library: str | None = None,
    on_retry: RetryHook | None = None,
    clock: Callable[[], float] = time.time,
) -> DoctorReport:
    """Run every check; ``consent(question)`` decides whether the write probe runs: True yes,
    False the person said no, None nobody could be asked (no terminal, ``--json``)."""
    began = time.perf_counter()
    client = connect_with(settings, library=library, on_retry=on_retry)
    connect_ms = (time.perf_counter() - began) * 1000
    report = DoctorReport(
        url=client.url,
        server=client.server_name,
        version=client.server_version,
        library=client.section.title,
    )
    with StateStore(
        settings.state_path,
        library_uuid=client.section.uuid,
        library_title=client.section.title,
        server_id=client.machine_id,
        command="plexrate doctor",
        journal_mode=settings.state_journal_mode.value,
    ) as store:
        _finish_interrupted_probe(client, store, report)
        idle = idle_response_ms(client)
        report.checks.append(_reachable(client, connect_ms, idle))
        report.checks.append(_tls(client, settings))
        owner, owner_name = owner_account(client)
        tracks = client.count(ItemType.TRACK)
        page = largest_page(client, beyond=tracks)
        report.checks.append(_page_check(page, settings.page_size))
        if page is not None:
            client.page_size = min(client.page_size, page)
        probe: WriteProbe | None = None
        track: ProbeTrack | None = None
        question = None
        answer: bool | None = None
        if owner is not False:
            track = find_unrated_track(client, avoid=store.owned().keys())
            if track is not None:
                question = (
                    f"Rate the unrated track {track.title!r} (ratingKey {track.key}) "
                    f"{stars(PROBE_VALUE)} in both of Plex's write forms, read it back, and "
                    "leave it unrated again?"
                )
        if question is not None:
            answer = consent(question)
        if answer and track is not None:
            store.set_meta(PROBE_KEY, f"{client.machine_id}:{track.key}")
            probe = probe_rating_writes(client, track)
            store.set_meta(PROBE_KEY, "")
            if not probe.left_unrated:
                report.notes.append(
                    f"track {track.key} did not read back as unrated after the probe; "
                    "clear its rating in Plex"
                )
        report.checks.append(_account_check(owner, owner_name, probe))
        report.checks.extend(_write_checks(probe, track, owner, answer))
        previous = load_profile(store, client.machine_id)
        profile = ServerProfile(
            machine_id=client.machine_id,
            url=client.url,
            checked_at=clock(),
            owner_token=owner,
            page_size=page,
            idle_ms=round(idle, 1),
            may_edit=probe.may_edit if probe else (False if owner is False else None),
            edit_stores=probe.edit_stores if probe else None,
            rate_stores=probe.rate_stores if probe else None,
            stored_probe=probe.stored if probe else None,
        )
        if probe is None and previous is not None and owner is not False:
            # A check without the probe keeps what an earlier probe learned.
            profile = replace(
                profile,
                may_edit=previous.may_edit,
                edit_stores=previous.edit_stores,
                rate_stores=previous.rate_stores,
                stored_probe=previous.stored_probe,
            )
        save_profile(store, profile)
        report.profile = profile
    return report


def _finish_interrupted_probe(client: PlexClient, store: StateStore, report: DoctorReport) -> None:
    """A probe interrupted (killed) while its track was rated: leave that track unrated now."""
    pending = store.meta(PROBE_KEY) or ""
    machine, _, raw = pending.rpartition(":")
    if machine != client.machine_id or not raw.isdigit():
        return
    # A write to Plex before the first write to the state file: the file is checked first.
    store.check_before_writing()
    clear_rating(client, int(raw))
    store.set_meta(PROBE_KEY, "")
    report.notes.append(f"cleared the rating an interrupted probe left on track {raw}")


def _reachable(client: PlexClient, connect_ms: float, idle: float) -> Check:
    status: Status = "ok" if idle < 500 else "warn"
    plan = "nothing to change"
    if idle >= 500:
        plan = "a busy server: a larger COOLDOWN_SLEEP gives it room between write batches"
    return Check(
        "Server",
        status,
        f"{client.server_name} (Plex {client.server_version}) at {client.url}; connected in "
        f"{connect_ms:.0f} ms, idle answers in {idle:.0f} ms",
        plan,
    )


def _tls(client: PlexClient, settings: Settings) -> Check:
    if not client.url.startswith("https://"):
        return Check(
            "TLS",
            "ok",
            "not used (http://): the token crosses the network unencrypted",
            "fine on a home network; use Plex's https://…plex.direct address elsewhere",
        )
    if client.verify is False:
        return Check(
            "TLS",
            "warn",
            "https, certificate not checked (VERIFY_TLS=false)",
            "sends the token to whatever answers at PLEX_URL; set CA_BUNDLE or use the "
            "plex.direct address to check it",
        )
    source = f"CA_BUNDLE {settings.ca_bundle}" if settings.ca_bundle else "trusted authorities"
    return Check("TLS", "ok", f"https, certificate verified ({source})", "nothing to change")


def _page_check(page: int | None, configured: int) -> Check:
    if page is None:
        return Check(
            "Largest page",
            "fail",
            "the server refused every page size from 1000 down to 50",
            "plexrate cannot read the library here; check Plex's log",
        )
    used = min(page, configured)
    note = "" if used == configured else f" (PAGE_SIZE {configured} is above what it accepts)"
    return Check(
        "Largest page",
        "ok",
        f"{page} items per request accepted",
        f"reads {used} items per request{note}",
    )


def _account_check(owner: bool | None, name: str, probe: WriteProbe | None) -> Check:
    if owner is False or (probe is not None and not probe.may_edit):
        return Check(
            "Token",
            "warn",
            "a shared or managed user's token: reads and ratings, no library edits",
            'rates with /:/rate, one request per item; needs INFERRED_TAG "" (tags are '
            "edits), or the owner's token to tag",
        )
    if owner:
        who = f" (owner account: {name})" if name else ""
        return Check(
            "Token",
            "ok",
            f"the server owner's token{who}",
            "edits ratings and tags in batches",
        )
    return Check(
        "Token",
        "warn",
        "the server did not say whose token it is (/accounts answered neither way)",
        "finds out at the first write; a refused edit stops the run with the cause",
    )


def _write_checks(
    probe: WriteProbe | None, track: ProbeTrack | None, owner: bool | None, answer: bool | None
) -> list[Check]:
    if probe is None:
        if owner is False:
            why = "the token may not edit"
        elif track is None:
            why = "no unrated track found in the first pages to try it on"
        elif answer is False:
            why = "you chose not to write (rerun with --probe-writes --yes to allow it)"
        else:
            why = "needs your consent: rerun at a terminal, or with --probe-writes --yes"
        return [
            Check(
                "Ratings stored",
                "skipped",
                f"not checked: {why}",
                "auto mode reads its first writes back and falls back to /:/rate if needed",
            )
        ]
    assert track is not None
    stored = probe.stored
    if stored is None:
        precision = "neither form stored a rating"
    elif same_rating(stored, PROBE_VALUE) and abs(stored - PROBE_VALUE) < 1e-6:
        precision = f"kept as sent ({PROBE_VALUE:g})"
    else:
        precision = f"kept to one decimal ({PROBE_VALUE:g} sent, {stored:g} read back)"
    forms = []
    if probe.edit_stores is not None:
        forms.append(f"edit form {'stores' if probe.edit_stores else 'does not store'} ratings")
    else:
        forms.append("edit form refused")
    forms.append(f"/:/rate {'stores' if probe.rate_stores else 'does not store'} them")
    if probe.edit_stores:
        plan = "writes ratings by multi-edit, rounded to one decimal"
        status: Status = "ok"
    elif probe.rate_stores:
        plan = "auto writes ratings with /:/rate, one request per item"
        status = "warn"
    else:
        plan = "cannot write ratings here: check the account's rights in Plex"
        status = "fail"
    left = "left unrated again" if probe.left_unrated else "NOT left unrated: clear it in Plex"
    return [
        Check(
            "Ratings stored",
            status,
            f"{'; '.join(forms)}; {precision} (track {track.key}, {left})",
            plan,
        )
    ]
