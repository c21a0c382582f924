"""The truth scenes (tests/builders/scenes.py) and one build of them, shared by the truth tests.

The build declares the source exhaustive (``exhaustive_sources``); the reader lists, per image,
the categories with unannotated objects, so ``count_known`` is true exactly where the drawn
scene is fully annotated."""

from __future__ import annotations

import numpy as np
import pytest

from builders.build import build_store
from perbench.store import CandidateStore
from tests.builders.scenes import TruthReader, make_scene

NUM_SCENES = 120
TRUTH_SEED = 3
DECLARED = {"exhaustive_sources": {"truth": True}}


@pytest.fixture(scope="session")
def truth_scenes():
    rng = np.random.default_rng(7)
    return [make_scene(rng, f"scene{i:03d}") for i in range(NUM_SCENES)]


@pytest.fixture(scope="session")
def truth_build(truth_scenes, tmp_path_factory):
    """(store, summary, {instance id: (scene, drawn object)})."""
    path = tmp_path_factory.mktemp("truth") / "store.db"
    summary = build_store(
        [TruthReader(truth_scenes)], path, seed=TRUTH_SEED, config=DECLARED, progress=False
    )
    objects = {i: (s, o) for s in truth_scenes for o in s.objects for i, _ in o.pieces}
    return CandidateStore(path), summary, objects
