"""Build settings: one dataclass, stored in the candidate store so a resumed build matches.

API:
  BUILDER_NAME, BUILDER_VERSION
  BuildConfig                     every knob of object selection and drafting (defaults below)
  BuildConfig.from_dict(d)        unknown keys are a BuildError naming them
  BuildConfig.to_dict()
  BuildError                      a build that cannot start or resume (PerBenchError)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, fields
from typing import Any

from perbench.errors import PerBenchError
from perbench.schema import TASKS

BUILDER_NAME = "perbench-builders"
BUILDER_VERSION = "3.0.0"
MCQ_FAMILIES = ("category", "color", "shape", "part", "position", "relation", "count")


class BuildError(PerBenchError):
    """Bad build settings, or a store built with other settings than the ones given."""


@dataclass
class BuildConfig:
    """Selection and drafting settings. Areas in pixels; rates are fractions of samples.

    ``exhaustive_sources`` (the settings file) and ``exhaustive_flags`` (``--exhaustive`` /
    ``--not-exhaustive``; they win) declare ({dataset or known name: bool}) whether every
    instance of a source's categories is annotated (builders.completeness); ``display_names``
    adds or overrides display names per source ({dataset name: {source label: display name}}).
    """

    tasks: tuple[str, ...] = TASKS
    min_area: int = 200
    max_truncation: float = 0.5
    max_instances_per_image: int = 20
    max_per_category: int | None = None
    mcq_per_instance: int = 2
    mcq_families: tuple[str, ...] = MCQ_FAMILIES
    mcq_rotations: bool = False
    min_color_confidence: float = 0.6
    min_color_pixels: int = 400
    min_position_margin: float = 0.03
    vtres_per_image: int = 12
    multi_target_rate: float = 0.2
    no_target_rate: float = 0.1
    relation_margin: float = 0.02
    nearest_ratio: float = 1.3
    skip_errors: bool = False
    references_per_sample: int = 3
    exhaustive_sources: dict[str, bool] = field(default_factory=dict)
    exhaustive_flags: dict[str, bool] = field(default_factory=dict)
    display_names: dict[str, dict[str, str]] = field(default_factory=dict)
    drafter: dict[str, Any] = field(default_factory=lambda: {"name": "template"})

    def __post_init__(self) -> None:
        self.tasks = tuple(self.tasks)
        self.mcq_families = tuple(self.mcq_families)
        bad_tasks = [t for t in self.tasks if t not in TASKS]
        if bad_tasks or not self.tasks:
            raise BuildError(f"unknown tasks {bad_tasks}; choose from {TASKS}")
        bad_families = [f for f in self.mcq_families if f not in MCQ_FAMILIES]
        if bad_families:
            raise BuildError(f"unknown MCQ families {bad_families}; choose from {MCQ_FAMILIES}")
        for name in ("multi_target_rate", "no_target_rate", "max_truncation"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise BuildError(f"{name} must be within [0, 1], got {getattr(self, name)}")
        if self.multi_target_rate + self.no_target_rate > 1.0:
            raise BuildError("multi_target_rate + no_target_rate must not exceed 1")
        if self.min_area < 1 or self.max_instances_per_image < 1 or self.nearest_ratio < 1.0:
            raise BuildError(
                "min_area and max_instances_per_image must be >= 1, nearest_ratio >= 1"
            )
        if not 1 <= self.references_per_sample <= 3:
            raise BuildError("references_per_sample must be 1, 2 or 3")
        for name in ("exhaustive_sources", "exhaustive_flags"):
            table = getattr(self, name)
            if not isinstance(table, dict) or not all(isinstance(v, bool) for v in table.values()):
                raise BuildError(f"{name} maps a dataset name to true or false")
        if not 0.5 <= self.min_color_confidence <= 1.0:
            raise BuildError("min_color_confidence must be within [0.5, 1]: one colour dominates")
        if not isinstance(self.drafter, dict) or "name" not in self.drafter:
            raise BuildError("drafter must be a dict with a 'name' (template, local, openai)")

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> BuildConfig:
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise BuildError(f"unknown build settings {unknown}", hint=f"known: {sorted(known)}")
        return cls(**data)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tasks"] = list(self.tasks)
        data["mcq_families"] = list(self.mcq_families)
        return data
