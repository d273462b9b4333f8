"""Coming from the old tool: what migrating its ``plex_state.json`` does, told before it is done.

``plan_migration`` (``state/legacy.py``) is the one rule deciding each entry; the import
(``admin state import``), its dry run and the first run's automatic migration all call it, and all
three show the same ``MigrationSummary``: what becomes plexrate's, what is recognised as the
person's, what changed since, what is gone, what an undo would then do, and where plexrate's
filler keywords (whole words) and the old tool's (substrings) disagree on this library.
"""

from __future__ import annotations

from collections.abc import Set
from dataclasses import dataclass
from typing import Any

from plexrate.engine.config import FillerRules, KeywordMatch
from plexrate.engine.index import filler_rule_difference
from plexrate.model import LibrarySnapshot
from plexrate.state import (
    LegacyMigration,
    LegacyState,
    UuidCheck,
    plan_migration,
)
from plexrate.wording import count


@dataclass(frozen=True, slots=True)
class MigrationSummary:
    source: str
    format: str
    entries: int
    uuid_check: UuidCheck
    migration: LegacyMigration
    filler_match: KeywordMatch
    filler_differs: int
    """Tracks (not short) the whole-word and the substring keyword rule classify differently."""
    filler_examples: tuple[str, ...] = ()
    changed_tagged: int = 0
    """Of ``migration.changed``, how many still carry the inferred tag the old tool put on."""
    tag: str = ""

    def document(self) -> dict[str, Any]:
        """The summary for ``--json``."""
        migration = self.migration
        return {
            "source": self.source,
            "format": self.format,
            "uuid_check": self.uuid_check.value,
            "entries": self.entries,
            "outcomes": migration.counts(),
            "changed_tagged": self.changed_tagged,
            "undo_would": {
                "restore_unrated": len(migration.owned),
                "leave_alone": len(migration.anchors) + len(migration.changed),
            },
            "filler_keywords": {
                "match": self.filler_match.value,
                "differ": self.filler_differs,
                "examples": list(self.filler_examples),
            },
        }

    def lines(self, *, dry: bool) -> list[str]:
        """The summary for people: one line per outcome that occurred."""
        m = self.migration
        verb = "Would migrate" if dry else "Migrated"
        become = "would become" if dry else "became"
        lines = [
            f"{verb} the old tool's {self.source} ({self.format} format, "
            f"{self.entries:,} entr{'y' if self.entries == 1 else 'ies'}):",
            f"  {len(m.owned):,} {become} plexrate's: the old tool inferred them and Plex still "
            "holds that value",
        ]
        if m.anchors:
            lines.append(
                f"  {len(m.anchors):,} recognised as your own ratings (twin anchors, marked "
                "manual, or without the tag the old tool put on what it wrote): never "
                "plexrate's, never changed"
            )
        if m.changed:
            verb = "carries" if self.changed_tagged == 1 else "carry"
            tagged = (
                f" ({self.changed_tagged:,} still {verb} the {self.tag!r} tag; "
                "`plexrate admin sync-tags --apply` takes it off)"
                if self.changed_tagged
                else ""
            )
            lines.append(
                f"  {len(m.changed):,} changed in Plex since the old tool wrote them: yours now, "
                f"left alone{tagged}"
            )
        gone = [
            (m.unrated, "unrated in Plex now"),
            (m.not_in_library, "no longer in the library"),
            (m.already_owned, "already plexrate's (its newer record kept)"),
        ]
        lines.extend(f"  {len(keys):,} {what}" for keys, what in gone if keys)
        kept = len(m.anchors) + len(m.changed)
        undo, remove = ("would then return", "remove") if dry else ("now returns", "removes")
        lines.append(
            f"  An `admin undo` {undo} {count(len(m.owned), 'item')} to unrated (their "
            f"value before the old tool is not recorded) and {remove} plexrate's tags"
            + (f"; the {count(kept, 'rating')} of yours above stay as they are" if kept else "")
        )
        if self.filler_differs:
            shown = ", ".join(f"{t!r}" for t in self.filler_examples[:3])
            contain = "contains" if self.filler_differs == 1 else "contain"
            if self.filler_match is KeywordMatch.WORD:
                rule = (
                    f"{contain} a filler keyword only inside a longer word, so the old tool "
                    "counted it as filler and plexrate (whole words) does not"
                )
                fix = 'set UPWARD_EXCLUSION_RULES.MATCH to "substring" for the old rule'
            else:
                rule = (
                    f"{contain} a filler keyword only inside a longer word; with MATCH "
                    '"substring" that is filler, as in the old tool'
                )
                fix = 'MATCH "word" would count them as evidence'
            lines.append(
                f"  Filler keywords: {count(self.filler_differs, 'track title')} {rule} "
                f"(e.g. {shown}); {fix}"
            )
        return lines


def summarise_migration(
    legacy: LegacyState,
    snapshot: LibrarySnapshot,
    *,
    inferred_tag: str,
    filler: FillerRules,
    uuid_check: UuidCheck,
    owned: Set[int] = frozenset(),
) -> MigrationSummary:
    """Decide the migration (``plan_migration``) and describe it."""
    migration = plan_migration(legacy, snapshot, inferred_tag=inferred_tag, owned=owned)
    differs, examples = filler_rule_difference(snapshot, filler)
    source = str(legacy.source) if legacy.source is not None else "plex_state.json"
    return MigrationSummary(
        source=source,
        format=legacy.format.value,
        entries=len(legacy.entries),
        uuid_check=uuid_check,
        migration=migration,
        filler_match=filler.match,
        filler_differs=differs,
        filler_examples=examples,
        changed_tagged=sum(1 for k in migration.changed if snapshot.has_tag(inferred_tag, k)),
        tag=inferred_tag,
    )
