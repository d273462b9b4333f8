"""The admin tools' planning and checking: verify, undo, reconstruct, sync-tags, runs.

Pure functions over the snapshot, the ownership record and the journal; no I/O, no typer, no
rich. ``admin.usecases`` opens the state and reads the journal for them; ``plexrate.cli.admin``
calls a use case and prints its result.
"""

from plexrate.admin.common import ManagedTags, same_rating
from plexrate.admin.reconstruct import Reconstruction, plan_reconstruct
from plexrate.admin.runs import run_rows
from plexrate.admin.synctags import Refusal, plan_sync_tags, removal_refusal
from plexrate.admin.undo import LeftAlone, Skip, UndoReport, plan_undo, undo_notes
from plexrate.admin.verify import (
    Orphan,
    Override,
    TagMismatch,
    VerifyReport,
    verify,
)

__all__ = [
    "LeftAlone",
    "ManagedTags",
    "Orphan",
    "Override",
    "Reconstruction",
    "Refusal",
    "Skip",
    "TagMismatch",
    "UndoReport",
    "VerifyReport",
    "plan_reconstruct",
    "plan_sync_tags",
    "plan_undo",
    "removal_refusal",
    "run_rows",
    "same_rating",
    "undo_notes",
    "verify",
]
