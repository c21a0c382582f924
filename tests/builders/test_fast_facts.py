"""The fast object facts and relations (bbox crops, outlines and k-d trees cached per object, one
distance transform per pair, box lower bounds in ``nearest``, per-channel Lab distances) give
exactly what a straightforward full-image computation gives: field by field on generated scenes
with known truth and on COCO-format synthetic photos, and sample by sample on a whole build."""

from __future__ import annotations

from itertools import permutations

import numpy as np
import pytest
from scipy.ndimage import binary_dilation, binary_erosion
from skimage.color import rgb2lab

import builders.relations
import builders.scene
import builders.vtres
from builders.build import build_store
from builders.colors import (
    _NAMES,
    _PROTOTYPE_LAB,
    _PROTOTYPE_NAMES,
    MAX_PIXELS,
    _nearest_prototype,
    name_colors,
)
from builders.objects import (
    ObjectFacts,
    _shape,
    object_facts,
    position_name,
)
from builders.relations import distance, mask_gap, nearest, pixels_near, touching
from builders.synthetic import write_coco_source
from builders.visible_colors import RegionColors, photo_exposure, region_colors
from perbench.masks import area, bbox, decode, encode
from perbench.render import load_rgb
from perbench.sources import Instance, SourceImage
from perbench.sources.coco import CocoReader
from perbench.store import CandidateStore
from tests.builders.scenes import TruthReader, make_scene

# --- the reference: every mask decoded over the whole image, every pair compared pixel by pixel


def _mask(f: ObjectFacts) -> np.ndarray:
    return decode(f.instance.mask).astype(bool)


def reference_name_colors(pixels: np.ndarray) -> list[tuple[str, float]]:
    if len(pixels) == 0:
        return []
    stride = max(1, len(pixels) // MAX_PIXELS)
    lab = rgb2lab(np.asarray(pixels[::stride], dtype=np.uint8)[None])[0]
    distances = np.linalg.norm(lab[:, None, :] - _PROTOTYPE_LAB[None, :, :], axis=2)
    counts = np.bincount(_PROTOTYPE_NAMES[distances.argmin(axis=1)], minlength=len(_NAMES))
    order = np.argsort(-counts, kind="stable")
    total = counts.sum()
    return [(_NAMES[i], round(float(counts[i] / total), 3)) for i in order if counts[i]]


def reference_object_facts(
    image: SourceImage, rgb: np.ndarray, color_share: float = 0.6, min_color_pixels: int = 400
) -> list[ObjectFacts]:
    height, width = image.height, image.width
    exposure = photo_exposure(rgb)
    facts = []
    for index, instance in enumerate(image.instances):
        mask = decode(instance.mask).astype(bool)
        pixels = int(area(instance.mask))
        x, y, w, h = bbox(instance.mask)
        box = (int(x), int(y), int(x + w), int(y + h))
        centroid, elongation, orientation = (width / 2, height / 2), 1.0, None
        judged = RegionColors(unjudged="too small")
        if pixels:
            ys, xs = np.nonzero(mask)
            centroid = (float(xs.mean()) + 0.5, float(ys.mean()) + 0.5)
            elongation, orientation = _shape(ys, xs)
            crop = mask[box[1] : box[3], box[0] : box[2]]  # the judging rules on the RLE's box
            person = instance.category == "person"
            judged = region_colors(rgb, crop, box, person, exposure, color_share, min_color_pixels)
        borders = {
            "top": mask[0].sum(),
            "bottom": mask[-1].sum(),
            "left": mask[:, 0].sum(),
            "right": mask[:, -1].sum(),
        }
        fx, fy = centroid[0] / width, centroid[1] / height
        margin = min(abs(v - line) for v in (fx, fy) for line in (1 / 3, 2 / 3))
        occluded = instance.extra.get("occluded_fraction")
        facts.append(
            ObjectFacts(
                index=index,
                instance=instance,
                area=pixels,
                area_fraction=pixels / float(width * height),
                box=box,
                centroid=centroid,
                truncation=int(sum(borders.values())) / max(2 * (w + h), 1.0),
                position=position_name(min(int(fx * 3), 2), min(int(fy * 3), 2)),
                position_margin=margin,
                colors=judged.colors,
                named_colors=judged.named,
                color_unjudged=judged.unjudged,
                crop=mask[box[1] : box[3], box[0] : box[2]].copy(),
                elongation=elongation,
                orientation=orientation,
                cut_sides=[side for side, n in borders.items() if n > 0],
                occluded_fraction=None if occluded is None else float(occluded),
            )
        )
    return facts


def reference_gap(a: ObjectFacts, b: ObjectFacts) -> float:
    outlines = []
    for f in (a, b):
        mask = _mask(f)
        ys, xs = np.nonzero(mask & ~binary_erosion(mask))
        outlines.append(np.stack([xs, ys], axis=1).astype(np.int64))
    pa, pb = outlines
    if not len(pa) or not len(pb):
        return float("inf")
    best = min(
        int(((pa[i : i + 512, None, :] - pb[None]) ** 2).sum(axis=2).min())
        for i in range(0, len(pa), 512)
    )
    return max(float(np.sqrt(best)) - 1.0, 0.0)


def reference_pixels_near(a: ObjectFacts, b: ObjectFacts, radii: tuple[int, ...]) -> list[int]:
    near, inside = _mask(b), _mask(a)
    return [int((binary_dilation(near, iterations=max(int(r), 1)) & inside).sum()) for r in radii]


def reference_nearest(
    candidates: list[ObjectFacts], prompt: ObjectFacts, ratio: float, margin: float
) -> ObjectFacts | None:
    ranked = sorted((reference_gap(c, prompt), i) for i, c in enumerate(candidates))
    if not ranked:
        return None
    if len(ranked) > 1 and ranked[1][0] < ratio * ranked[0][0] + margin:
        return None
    by_centre = min(range(len(candidates)), key=lambda i: distance(candidates[i], prompt))
    return candidates[ranked[0][1]] if by_centre == ranked[0][1] else None


# --- the images


def _edge_cases() -> tuple[SourceImage, np.ndarray]:
    """Empty, one-pixel, frame-filling, ring-shaped and overlapping masks on a 60x40 image."""
    height, width = 40, 60
    rng = np.random.default_rng(5)
    rgb = rng.integers(0, 256, size=(height, width, 3), dtype=np.uint8)
    masks = [np.zeros((height, width), dtype=np.uint8) for _ in range(6)]
    masks[1][10, 10] = 1
    masks[2][:] = 1
    masks[3][5:35, 20:50] = 1
    masks[3][12:28, 28:42] = 0  # a ring: its hole holds masks[4]
    masks[4][15:25, 31:39] = 1
    masks[5][0:3, 0:60] = 1
    instances = [Instance(f"e-{i}", encode(m), "box", "thing") for i, m in enumerate(masks)]
    return SourceImage("e-1", "e.png", width, height, instances, bytes, "edge", "none"), rgb


@pytest.fixture(scope="module")
def coco_source(tmp_path_factory):
    folder = tmp_path_factory.mktemp("coco")
    write_coco_source(folder, 6, size=(320, 240), seed=5)
    return folder


@pytest.fixture(scope="module")
def truth_scenes():
    rng = np.random.default_rng(11)
    return [make_scene(rng, f"fast{i:02d}") for i in range(12)]


@pytest.fixture(scope="module")
def images(coco_source, truth_scenes):
    """(SourceImage, rgb) of the edge cases, the truth scenes and the COCO-format photos."""
    found = [_edge_cases()]
    coco = CocoReader(coco_source / "instances.json", coco_source / "images")
    for image in [*TruthReader(truth_scenes).read_shard("all"), *coco]:
        found.append((image, load_rgb(image.load_bytes(), where=image.file_name)))
    return found


def _same_facts(fast: ObjectFacts, slow: ObjectFacts) -> None:
    assert fast.to_meta() == slow.to_meta(), fast.instance.id
    assert (fast.colors, fast.position_margin) == (slow.colors, slow.position_margin)
    assert np.array_equal(fast.crop, slow.crop), fast.instance.id


def test_colour_distances_match_the_norm_across_the_colour_cube():
    """Every 101st sRGB colour (all 2**24 were checked once, off the suite: identical)."""
    keys = np.arange(0, 1 << 24, 101)
    rgb = np.stack([keys >> 16, (keys >> 8) & 255, keys & 255], axis=1).astype(np.uint8)
    lab = rgb2lab(rgb[None])[0]
    distances = np.linalg.norm(lab[:, None, :] - _PROTOTYPE_LAB[None, :, :], axis=2)
    assert np.array_equal(_nearest_prototype(lab), distances.argmin(axis=1))
    for start in range(0, len(rgb) - 5000, 20011):  # whole colour naming, on pixel runs
        assert name_colors(rgb[start : start + 5000]) == reference_name_colors(rgb[start:][:5000])


def test_object_facts_match_the_full_image_computation(images):
    compared = 0
    for image, rgb in images:
        fast, slow = object_facts(image, rgb), reference_object_facts(image, rgb)
        assert len(fast) == len(slow)
        for f, s in zip(fast, slow, strict=True):
            _same_facts(f, s)
            compared += 1
    assert compared > 60
    named = sum(bool(f.named_colors) for image, rgb in images for f in object_facts(image, rgb))
    assert named > 20  # the colour path is exercised, not only skipped


def test_gaps_contacts_and_nearest_match_pixel_by_pixel(images):
    pairs = touching_pairs = 0
    for image, rgb in images:
        facts = object_facts(image, rgb)
        margin = 0.02 * max(image.width, image.height)
        for a, b in permutations(facts, 2):
            assert mask_gap(a, b) == reference_gap(a, b), (a.instance.id, b.instance.id)
            radii = (2, max(int(margin), 3))
            assert pixels_near(a, b, radii) == reference_pixels_near(a, b, radii)
            pairs += 1
            touching_pairs += touching(a, b, margin) is True
        for prompt in facts:
            others = [f for f in facts if f is not prompt]
            for ratio, slack in ((1.0, 0.0), (1.3, margin)):
                for candidates in (others, others[::2], others[:1]):
                    fast = nearest(candidates, prompt, ratio, slack)
                    assert fast is reference_nearest(candidates, prompt, ratio, slack)
    assert pairs > 500 and touching_pairs > 10


def test_a_build_drafts_exactly_what_the_reference_drafts(coco_source, truth_scenes, tmp_path):
    """Same sources, same seed: every sample (texts, options, targets, meta) is identical."""

    def readers():
        return [
            TruthReader(truth_scenes),
            CocoReader(coco_source / "instances.json", coco_source / "images"),
        ]

    def samples(path):
        return sorted(
            (s.to_dict() for s in CandidateStore(path).candidates()), key=lambda s: s["id"]
        )

    declared = {"exhaustive_sources": {"truth": True, "coco": True}}
    build_store(readers(), tmp_path / "fast.db", seed=4, config=declared, progress=False)
    calls = []

    def counted_pixels_near(*args):
        calls.append(args)
        return reference_pixels_near(*args)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(builders.scene, "object_facts", reference_object_facts)
        patch.setattr(builders.relations, "pixels_near", counted_pixels_near)
        patch.setattr(builders.vtres, "nearest", reference_nearest)
        build_store(readers(), tmp_path / "slow.db", seed=4, config=declared, progress=False)
    assert len(calls) > 100  # the reference really ran
    fast, slow = samples(tmp_path / "fast.db"), samples(tmp_path / "slow.db")
    assert len(fast) > 200
    assert fast == slow
