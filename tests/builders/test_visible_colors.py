"""Colours only where the visible pixels allow them: dark, over-exposed and tiny regions get none,
people get the colours of their clothes (builders.visible_colors through builders.objects)."""

from __future__ import annotations

import random

import numpy as np

from builders.colors import name_colors
from builders.drafters.wording import Voice, color_sentence
from builders.objects import object_facts
from perbench.masks import encode
from perbench.sources import Instance, SourceImage

NEON_BALL = (204, 255, 0)
SKIN = (224, 172, 140)
SHIRT = (40, 90, 200)


def _facts(rgb: np.ndarray, boxes: dict[str, tuple[str, tuple[int, int, int, int]]]):
    height, width = rgb.shape[:2]
    instances = []
    for name, (category, (x0, y0, x1, y1)) in boxes.items():
        mask = np.zeros((height, width), dtype=np.uint8)
        mask[y0:y1, x0:x1] = 1
        instances.append(Instance(name, encode(mask), category))
    image = SourceImage("c-1", "c.png", width, height, instances, bytes, "test", "none")
    return {f.instance.id: f for f in object_facts(image, rgb)}


def test_a_neon_ball_in_a_dark_photo_gets_no_colour():
    rgb = np.full((120, 160, 3), (18, 16, 20), dtype=np.uint8)
    dim = (np.array(NEON_BALL) * 0.3).astype(np.uint8)
    rgb[30:90, 40:100] = dim
    names = [name for name, _ in name_colors(rgb[30:90, 40:100].reshape(-1, 3))]
    assert names[0] not in ("yellow", "green")  # what the pixels alone would say: a false colour
    ball = _facts(rgb, {"ball": ("sports ball", (40, 30, 100, 90))})["ball"]
    assert ball.named_colors == [] and ball.color_unjudged == "too dark"
    lit = rgb.copy()
    lit[:10] = 235  # the same ball in a photo with a properly exposed part: still too dark
    assert _facts(lit, {"ball": ("sports ball", (40, 30, 100, 90))})["ball"].named_colors == []


def test_a_well_lit_ball_is_named_and_an_over_exposed_one_is_not():
    rgb = np.full((120, 160, 3), 120, dtype=np.uint8)
    rgb[10:60, 10:60] = NEON_BALL
    washed = 255 - (255 - np.array((240, 215, 40))) * 0.12
    rgb[60:110, 100:150] = washed.astype(np.uint8)
    rgb[5:20, 120:135] = (200, 30, 35)  # 225 pixels: too small to judge
    facts = _facts(
        rgb,
        {
            "lit": ("sports ball", (10, 10, 60, 60)),
            "washed": ("sports ball", (100, 60, 150, 110)),
            "tiny": ("cup", (120, 5, 135, 20)),
        },
    )
    assert facts["lit"].named_colors in (["yellow"], ["green"]) and not facts["lit"].color_unjudged
    assert facts["washed"].named_colors == [] and facts["washed"].color_unjudged == "too bright"
    assert facts["tiny"].named_colors == [] and facts["tiny"].color_unjudged == "too small"


def test_people_get_the_colours_of_their_clothes():
    rgb = np.full((160, 120, 3), 130, dtype=np.uint8)
    rgb[20:44, 40:80] = SKIN  # the head: the top fifth of the box
    rgb[44:140, 30:90] = SHIRT
    rgb[60:100, 30:38] = SKIN  # a bare forearm: skin is left out, not named
    person = _facts(rgb, {"p": ("person", (30, 20, 90, 140))})["p"]
    assert person.named_colors == ["blue"] and person.color_unjudged is None
    voice = Voice({"category": "person", "named_colors": ["blue"]}, random.Random(0))
    assert voice.head(size=False) == "person dressed in blue"
    sentences = {color_sentence(Voice(voice.facts, random.Random(s))) for s in range(20)}
    assert all("blue" in s and " it " not in f" {s} " for s in sentences)
    bare = rgb.copy()
    bare[44:140, 30:90] = SKIN  # nothing worn shows: no colour rather than a skin tone
    person = _facts(bare, {"p": ("person", (30, 20, 90, 140))})["p"]
    assert person.named_colors == [] and person.color_unjudged == "mostly skin"
