"""The only package that talks to Plex (and the only one that imports plexapi).

``connect`` finds the music section, ``read_snapshot`` reads it in a few paged bulk listings,
``read_items`` reads chosen items back, and ``Applier`` writes a plan in batched, journaled
requests.
"""

from plexrate.model import ObservedItem
from plexrate.plex.apply import Applier, ApplyReport, RatingsNotStored
from plexrate.plex.client import PlexClient, RetryPolicy, SectionInfo, connect, connect_with
from plexrate.plex.precheck import CHANGED_NOTE, Baseline
from plexrate.plex.readback import read_items
from plexrate.plex.snapshot import read_snapshot
from plexrate.settings import RatingWriteMode as WriteMode

__all__ = [
    "CHANGED_NOTE",
    "Applier",
    "ApplyReport",
    "Baseline",
    "ObservedItem",
    "PlexClient",
    "RatingsNotStored",
    "RetryPolicy",
    "SectionInfo",
    "WriteMode",
    "connect",
    "connect_with",
    "read_items",
    "read_snapshot",
]
