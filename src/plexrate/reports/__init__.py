"""The reports: coverage, histogram, twins inventory and dissenters, computed from one snapshot.

Computing is pure (these modules, no rich): ``analyse`` classifies the snapshot once with the
engine, and each report is a function of that ``Inference`` returning plain records with their
JSON body and CSV rows. ``plexrate.reports.views`` turns them into rich tables and trees.
Ratings stay on Plex's 0–10 scale; deviations and histogram buckets are in stars.
"""

from plexrate.reports.common import (
    SCALE_NOTE,
    SCHEMA_VERSION,
    Report,
    Status,
    analyse,
    document,
    duration_text,
    half_star_bucket,
    status_of,
)
from plexrate.reports.coverage import Coverage, CoverageRow, coverage
from plexrate.reports.dissenters import DEFAULT_LIMIT, Dissenter, Dissenters, dissenters
from plexrate.reports.histogram import BUCKETS, Bucket, Histogram, histogram
from plexrate.reports.twins import InventoryGroup, TwinMember, TwinsInventory, twins_inventory

__all__ = [
    "BUCKETS",
    "DEFAULT_LIMIT",
    "SCALE_NOTE",
    "SCHEMA_VERSION",
    "Bucket",
    "Coverage",
    "CoverageRow",
    "Dissenter",
    "Dissenters",
    "Histogram",
    "InventoryGroup",
    "Report",
    "Status",
    "TwinMember",
    "TwinsInventory",
    "analyse",
    "coverage",
    "dissenters",
    "document",
    "duration_text",
    "half_star_bucket",
    "histogram",
    "status_of",
    "twins_inventory",
]
