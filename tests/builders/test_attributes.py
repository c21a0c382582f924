"""Derived attributes: colour names, geometry, relations (three-valued), selection."""

from __future__ import annotations

from collections import Counter

import numpy as np

from builders.colors import color_distance, name_colors
from builders.config import BuildConfig
from builders.grammar import plural
from builders.objects import object_facts
from builders.relations import PAIR_RELATIONS, between, clear_direction, nearest
from builders.selection import image_rng, select_objects
from perbench.masks import encode
from perbench.sources import Instance, SourceImage


def _image(boxes: dict[str, tuple[int, int, int, int]], crowd=()) -> tuple[SourceImage, np.ndarray]:
    height, width = 100, 200
    rgb = np.full((height, width, 3), 128, dtype=np.uint8)
    instances = []
    for name, (x0, y0, x1, y1) in boxes.items():
        mask = np.zeros((height, width), dtype=np.uint8)
        mask[y0:y1, x0:x1] = 1
        rgb[y0:y1, x0:x1] = (210, 25, 30)
        instances.append(Instance(name, encode(mask), "box", iscrowd=name in crowd))
    return SourceImage("t-1", "t.jpg", width, height, instances, bytes, "test", "none"), rgb


def test_color_names_in_lab():
    assert name_colors(np.array([[220, 20, 25]] * 10, dtype=np.uint8)) == [("red", 1.0)]
    mixed = name_colors(np.array([[250, 250, 250]] * 3 + [[10, 10, 10]], dtype=np.uint8))
    assert mixed == [("white", 0.75), ("black", 0.25)]
    assert color_distance("red", "orange") < color_distance("red", "blue")


def test_geometry_and_relations():
    image, rgb = _image(
        {
            "a": (0, 40, 20, 60),
            "b": (90, 40, 110, 60),
            "c": (180, 0, 200, 20),
            "e": (110, 40, 130, 60),
            "f": (180, 40, 200, 60),
        }
    )
    a, b, c, e, f = object_facts(image, rgb)
    assert a.box == (0, 40, 20, 60) and a.centroid == (10.0, 50.0) and a.area == 400
    assert a.position == "left" and c.position == "top right" and a.colors[0][0] == "red"
    assert a.truncation == 20 / 80 and a.cut_sides == ["left"] and a.named_colors == ["red"]
    margin = 4.0
    assert (
        PAIR_RELATIONS["left_of"](a, b, margin) is True
        and PAIR_RELATIONS["right_of"](a, b, margin) is False
    )
    assert PAIR_RELATIONS["touching"](e, b, margin) is True
    assert PAIR_RELATIONS["touching"](a, b, margin) is False
    assert between(b, a, f, margin) is True and between(a, b, f, margin) is False
    assert between(b, a, c, margin) is None  # across, but only at one prompt's height
    assert clear_direction(a, b) == "left_of" and clear_direction(c, b) is None
    assert nearest([b, c], a, 1.3, margin) is b and nearest([b, e], a, 1.3, margin) is None


def test_direction_needs_separation_scaled_by_size():
    """A bottle standing on a table is neither left nor right of it (the old box-edge test
    said the table was to the right of the bottle)."""
    image, rgb = _image({"table": (20, 50, 180, 90), "bottle": (40, 20, 50, 50)})
    table, bottle = object_facts(image, rgb)
    assert PAIR_RELATIONS["right_of"](table, bottle, 4.0) is not True
    assert PAIR_RELATIONS["left_of"](table, bottle, 4.0) is not True
    assert PAIR_RELATIONS["touching"](bottle, table, 4.0) is True


def test_selection_rules_are_deterministic():
    boxes = {f"o{i}": (10 * i, 0, 10 * i + 8, 30) for i in range(1, 15)}
    boxes["tiny"] = (150, 50, 152, 52)
    image, rgb = _image(boxes, crowd=("o1",))
    facts = object_facts(image, rgb)
    config = BuildConfig(min_area=50, max_instances_per_image=5, max_per_category=8)
    counts: Counter[str] = Counter()
    chosen, skipped = select_objects(facts, config, image_rng(0, "t-1"), counts)
    again, _ = select_objects(facts, config, image_rng(0, "t-1"), Counter())
    assert [f.index for f in chosen] == [f.index for f in again] and len(chosen) == 5
    assert skipped["crowd region"] == 1 and skipped["area below min_area"] == 1
    assert skipped["max_instances_per_image cap"] == 8
    more, skipped = select_objects(facts, config, image_rng(1, "t-1"), counts)
    assert len(more) == 3 and skipped["max_per_category cap"] == 10


def test_plural_nouns():
    assert [plural(n) for n in ("person", "bus", "cup", "dining table", "socks", "berry")] == [
        "people",
        "buses",
        "cups",
        "dining tables",
        "socks",
        "berries",
    ]
