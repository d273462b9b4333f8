"""The use cases of ``plexrate run`` and the phase commands (and of every ``watch`` cycle)."""

from __future__ import annotations

from dataclasses import dataclass

from plexrate.engine.infer import infer
from plexrate.engine.plan import build_plan
from plexrate.model import INFERENCE_PHASES, OwnedItem, Phase, Plan
from plexrate.session import Session, StagedPlan, plan_whole_run
from plexrate.usecase import PlanResult


@dataclass(frozen=True, kw_only=True)
class PhaseOptions:
    command: str
    """The command's name, part of a full run's fingerprint (``session.plan_whole_run``)."""
    phases: tuple[Phase, ...] = INFERENCE_PHASES
    start_letter: str | None = None
    """Skip the first phase's artists sorting before this letter (already checked)."""

    @property
    def whole(self) -> bool:
        """Every phase over every artist: only such a run proves ownership covers the library."""
        return self.phases == INFERENCE_PHASES and not self.start_letter


def plan_phases(session: Session, options: PhaseOptions) -> PlanResult:
    """The plan of ``options.phases`` against the session's library."""
    return PlanResult(
        plan=inference_plan(
            session,
            command=options.command,
            phases=options.phases,
            start_letter=options.start_letter,
        )
    )


def staged_run_plan(session: Session, *, command: str, scope: frozenset[int]) -> StagedPlan:
    """A full run's plan (``inference_plan``), in two steps: first the changes of ``scope`` and
    what their values depend on, then the whole plan. The first part is planned with the same
    ownership and settings, so it holds exactly the whole plan's changes of those items."""
    # Read once: the whole plan is made after the first part's writes are recorded, and must
    # not take plexrate's claims on them for what the library held when it was read.
    owned = session.owned()
    config = session.settings.engine_config()
    snapshot = session.snapshot
    limited = infer(snapshot, owned=owned, config=config, only=scope)
    assert limited.only is not None
    first = build_plan(snapshot, owned=owned, config=config, inference=limited)

    def build(owned: dict[int, OwnedItem]) -> Plan:
        # The model fitted for the first part is the whole plan's too (same inputs).
        whole = infer(snapshot, owned=owned, config=config, reuse=limited)
        return build_plan(snapshot, owned=owned, config=config, inference=whole)

    return StagedPlan(
        first=first,
        keys=limited.only,
        make_whole=lambda: plan_whole_run(session, {"command": command}, build, owned=owned),
    )


def inference_plan(
    session: Session,
    *,
    command: str,
    phases: tuple[Phase, ...] = INFERENCE_PHASES,
    start_letter: str | None = None,
) -> Plan:
    """The plan of ``phases`` against the session's library: a full run's goes through
    ``plan_whole_run`` (the remembered empty plan when nothing is new)."""

    def build(owned: dict[int, OwnedItem]) -> Plan:
        return build_plan(
            session.snapshot,
            owned=owned,
            config=session.settings.engine_config(),
            phases=phases,
            start_letter=start_letter,
        )

    if phases == INFERENCE_PHASES and not start_letter:
        return plan_whole_run(session, {"command": command}, build)
    return build(session.owned())
