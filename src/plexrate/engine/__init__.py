"""Pure inference: snapshot + ownership + EngineConfig in, values and a Plan out. No I/O.

``infer`` classifies every item and runs the selected phases over one working map of values;
``build_plan`` turns the result into the writes that would bring Plex there; ``simulate_apply``
shows the library as it would be after a plan. The maths and the rules are in
``docs/inference.md``.
"""

from plexrate.engine.config import (
    ArtistEvidence,
    EngineConfig,
    FillerRules,
    InferenceModel,
    TwinRules,
)
from plexrate.engine.index import LibraryIndex, TwinCandidates
from plexrate.engine.infer import (
    Assignment,
    Evidence,
    Hijack,
    HijackRule,
    Inference,
    RatingKind,
    TwinAnchor,
    TwinGroup,
    infer,
)
from plexrate.engine.plan import build_plan
from plexrate.engine.precision import epsilon, quantise
from plexrate.engine.simulate import simulate_apply

__all__ = [
    "ArtistEvidence",
    "Assignment",
    "EngineConfig",
    "Evidence",
    "FillerRules",
    "Hijack",
    "HijackRule",
    "Inference",
    "InferenceModel",
    "LibraryIndex",
    "RatingKind",
    "TwinAnchor",
    "TwinCandidates",
    "TwinGroup",
    "TwinRules",
    "build_plan",
    "epsilon",
    "infer",
    "quantise",
    "simulate_apply",
]
