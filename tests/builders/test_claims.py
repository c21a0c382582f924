"""builders.claims: which annotations may be one object, and which claims need a reviewer."""

from __future__ import annotations

import io
from collections import Counter

import numpy as np
from PIL import Image

from builders.claims import claim_needs, complete_need, group_of, one_object_need, piece_groups
from builders.config import BuildConfig
from builders.scene import Scene
from perbench.masks import encode
from perbench.needs import validate_needs
from perbench.sources import Instance, SourceImage

H, W = 120, 160


def _mask(x0: int, y0: int, x1: int, y1: int) -> dict:
    mask = np.zeros((H, W), dtype=np.uint8)
    mask[y0:y1, x0:x1] = 1
    return encode(mask)


def _scene(exhaustive: bool | None) -> Scene:
    buffer = io.BytesIO()
    Image.new("RGB", (W, H), "gray").save(buffer, format="PNG")
    instances = [
        Instance("cab", _mask(10, 40, 40, 80), "truck"),
        Instance("bed", _mask(43, 40, 90, 80), "truck"),  # 3 px apart: a pole between them?
        Instance("far", _mask(120, 10, 150, 40), "truck"),
        Instance("cup", _mask(120, 80, 140, 100), "cup"),
    ]
    image = SourceImage("img", "img.png", W, H, instances, buffer.getvalue, "toy", "none")
    config = {} if exhaustive is None else {"exhaustive_sources": {"toy": exhaustive}}
    scene, _ = Scene.prepare(image, BuildConfig.from_dict(config), 0, [], Counter())
    return scene


def test_touching_or_thinly_separated_same_category_masks_may_be_one_object():
    scene = _scene(True)
    groups = piece_groups(scene)
    assert [[f.instance.id for f in g] for g in groups] == [["cab", "bed"]]
    far = next(f for f in scene.facts if f.instance.id == "far")
    assert group_of(scene, far) == [far]


def test_a_count_on_a_declared_source_needs_only_the_identity_check():
    scene = _scene(True)
    trucks = [f for f in scene.facts if f.category == "truck"]
    assert complete_need(scene, "truck", "three trucks") is None
    need = one_object_need(scene, trucks, "three trucks")
    assert need["kind"] == "one-object" and need["pieces"] == [0, 1]
    assert len(need["annotated"]) == 3
    assert one_object_need(scene, [trucks[0], trucks[2]], "two trucks") is None


def test_an_undeclared_source_needs_the_completeness_check():
    for exhaustive in (None, False):
        scene = _scene(exhaustive)
        cups = [f for f in scene.facts if f.category == "cup"]
        needs = claim_needs(scene, "cup", "the only cup", cups)
        assert [n["id"] for n in needs] == ["complete:cup"]
        assert validate_needs(needs, where="test") == needs
        assert "not outlined" in needs[0]["question"]
