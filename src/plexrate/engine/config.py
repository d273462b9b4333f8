"""The inference settings the engine reads, as a plain frozen record.

``plexrate.settings.Settings.engine_config()`` builds one from the validated configuration; tests,
``evaluate`` and ``tune`` build variants directly with ``dataclasses.replace``. Defaults equal the
old tool's defaults (``original-tool.md`` §1) plus plexrate's own choices, documented per field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

DEFAULT_TWIN_KEYWORDS: tuple[str, ...] = (
    "live",
    "demo",
    "reprise",
    "instrumental",
    "commentary",
    "acoustic",
    "remix",
)
DEFAULT_FILLER_KEYWORDS: tuple[str, ...] = (
    "intro",
    "outro",
    "interview",
    "skit",
    "applause",
    "commentary",
)


class InferenceModel(StrEnum):
    HIERARCHICAL = "hierarchical"
    """An empirical-Bayes model fitted to the person's ratings (``engine/hierarchical.py``)."""
    CLASSIC = "classic"
    """The old tool's formulas: Bayesian averages up, inheritance with gravity down."""


class KeywordMatch(StrEnum):
    WORD = "word"
    """A filler keyword matches a whole word of the title ("intro" in "Intro (Live)")."""
    SUBSTRING = "substring"
    """The old tool's rule: any part of the title ("intro" in "Introduction")."""


class ArtistEvidence(StrEnum):
    DERIVED = "derived"
    """Manual album ratings plus albums this run derived from their own manual tracks."""
    MANUAL = "manual"
    """The old tool's rule: only albums the person rated by hand."""


@dataclass(frozen=True, slots=True)
class TwinRules:
    enabled: bool = True
    duration_tolerance_sec: float = 5.0
    exclude_keywords: tuple[str, ...] = DEFAULT_TWIN_KEYWORDS
    exclude_parentheses: bool = True
    exclude_live_albums: bool = True
    twin_tag: str = ""


@dataclass(frozen=True, slots=True)
class FillerRules:
    """UPWARD_EXCLUSION_RULES: tracks that are not evidence and do not count toward the prior."""

    enabled: bool = True
    min_duration_sec: float = 60.0
    keywords: tuple[str, ...] = DEFAULT_FILLER_KEYWORDS
    case_sensitive: bool = False
    match: KeywordMatch = KeywordMatch.WORD


@dataclass(frozen=True, slots=True)
class EngineConfig:
    confidence_c: float = 3.0
    bias_critic: float = 1.5
    weight_critic: float = 3.0
    weight_global: float = 1.0
    album_gravity: float = 0.8
    track_gravity: float = 0.3
    dynamic_precision: bool = True
    inferred_tag: str = "Rating_Inferred"
    artist_evidence: ArtistEvidence = ArtistEvidence.DERIVED
    fill_without_evidence: bool = True
    """Items with no evidence anywhere in their lineage get the prior (the old tool's behaviour);
    False leaves them unrated."""
    rating_step: float = 0.0
    """Rounding of written values on Plex's 0–10 scale: 0 = exact (two decimals), 1.0 = half
    stars, 2.0 = whole stars, 0.2 = tenths of a star."""
    hijack_tolerance: float = 0.01
    hijack_integer_only: bool = False
    """The old tool v1.5's HIJACK_INTEGER_ONLY: a drift from what plexrate wrote is the person's
    change only when the new value is a whole number (a half-star step a Plex client sets) or
    Plex's lastRatedAt is newer than plexrate's write. False: every drift is the person's."""
    twins: TwinRules = field(default_factory=TwinRules)
    filler: FillerRules = field(default_factory=FillerRules)
    inference_model: InferenceModel = InferenceModel.HIERARCHICAL
    """Which maths fills the gaps; ``classic`` keeps the old tool's formulas exactly. Under
    ``hierarchical`` CONFIDENCE_C is only the fallback for the album variance, and the gravities,
    critic weights and ARTIST_EVIDENCE play no part."""
