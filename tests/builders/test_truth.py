"""Every statement the template drafter makes, checked against scenes whose truth is known
exactly (tests/builders/scenes.py): description claims and wording, MCQ keys and distractors,
V-T RES texts are checked by test_vtres_truth.py. Zero false statements over at least 500
candidates."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace

import numpy as np
import pytest

from builders.build import build_store
from builders.colors import COLOR_NAMES
from builders.grammar import NUMBER_WORDS
from builders.mcq import DIRECTION_OPTIONS, PART_OPTIONS, POSITION_OPTIONS, SHAPE_OPTIONS
from builders.objects import SIZE_WORDS
from perbench.store import CandidateStore
from tests.builders.scenes import (
    HEIGHT,
    WIDTH,
    TruthReader,
    truth_cell,
    truth_direction,
    truth_touching,
)

DIRECTION_NAMES = {text: name for name, text in DIRECTION_OPTIONS.items()}


@pytest.fixture(scope="module")
def scenes(truth_scenes):
    return truth_scenes


@pytest.fixture(scope="module")
def built(truth_build):
    store, _, objects = truth_build
    return store, objects


class Tally:
    """Counts statements; collects the false ones with the sample id."""

    def __init__(self):
        self.checked, self.false = 0, []

    def check(self, ok: bool, sample_id: str, what: str) -> None:
        self.checked += 1
        if not ok:
            self.false.append(f"{sample_id}: {what}")


def _position(name: str) -> str:
    return POSITION_OPTIONS.get(name, name)


def _region(scene, instance_id: str):
    """The marked region as a drawn object: the object itself, or one of its pieces (its own
    visible mask); what the object is (category, paint, hidden part) stays the object's."""
    drawn, mask = scene.annotated(instance_id)
    return replace(drawn, visible=mask)


def _caught(sample, scene, category: str) -> bool:
    """A completeness or identity claim that is false about the photo is still fine when the
    sample carries the need whose question a reviewer answers "yes" (and so rejects it)."""
    kinds = {n["kind"] for n in sample.meta.get("needs") or [] if n["category"] == category}
    split = any(len(o.pieces) > 1 for o in scene.objects if o.category == category)
    return ("complete" in kinds and category in scene.incomplete()) or (
        "one-object" in kinds and split
    )


def _describe(sample, objects, tally: Tally) -> None:
    instance_id = sample.source["prompt_instance_ids"][0]
    scene, drawn = objects[instance_id]
    obj = _region(scene, instance_id)
    claims, sid = sample.meta["claims"], sample.id
    same = [o for o in scene.objects if o.category == obj.category]
    caught = _caught(sample, scene, obj.category)
    tally.check(claims["category"] == obj.category, sid, "category")
    named = claims["named_colors"]
    if len(named) == 1:
        tally.check(obj.shares.get(named[0], 0) >= 0.5, sid, f"colour {named} {obj.shares}")
    if len(named) == 2:
        shares = [obj.shares.get(n, 0) for n in named]
        tally.check(min(shares) >= 0.25 and sum(shares) >= 0.8, sid, f"colours {named}")
    fraction = obj.visible.sum() / (WIDTH * HEIGHT)
    expected_size = next(word for limit, word in SIZE_WORDS if fraction < limit)
    tally.check(claims["size"] == expected_size, sid, "size")
    tally.check(_position(claims["position"]) == truth_cell(obj), sid, "position")
    x0, y0, x1, y1 = obj.box()
    aspect = (x1 - x0) / (y1 - y0)
    if claims["orientation"] == "horizontal":
        tally.check(aspect >= 1.5, sid, f"horizontal, aspect {aspect:.2f}")
    elif claims["orientation"] == "vertical":
        tally.check(aspect <= 1 / 1.5, sid, f"vertical, aspect {aspect:.2f}")
    elif claims["orientation"] == "diagonal":
        tally.check(False, sid, "diagonal: no rectangle here is")
    elif claims["elongation"] < 1.3:
        tally.check(0.6 <= aspect <= 1 / 0.6, sid, f"compact, aspect {aspect:.2f}")
    borders = {"left": x0 == 0, "top": y0 == 0, "right": x1 == WIDTH, "bottom": y1 == HEIGHT}
    for side in claims["cut_sides"]:
        tally.check(borders[side], sid, f"reaches the {side} edge")
    hidden = claims["occluded_fraction"]
    if hidden is not None and hidden >= 0.15:
        tally.check(abs(obj.hidden - hidden) < 1e-3, sid, "hidden share")
    hidden_part = drawn.whole & ~drawn.visible
    for other_id in claims["hidden_by_ids"]:
        cover = (objects[other_id][1].visible & hidden_part).sum()
        tally.check(cover >= 0.25 * hidden_part.sum() > 0, sid, f"hidden by {other_id}")
    for other_id in claims["touching_ids"]:
        other = objects[other_id][1]
        ok = truth_touching(obj, other) and other is not drawn
        tally.check(ok, sid, f"touches {other_id}")
    salient = claims.get("salient")
    if salient and salient["directions"]:
        other = objects[salient["instance_id"]][1]
        for name in salient["directions"]:
            tally.check(truth_direction(obj, other, name), sid, f"salient {name}")
        if salient["direction"]:
            tally.check(salient["directions"] == [salient["direction"]], sid, "clear direction")
        if salient["unique"]:
            count = sum(o.category == other.category for o in scene.objects)
            tally.check(count == 1, sid, "the salient object is unique")
    if "count_in_image" in claims:
        tally.check(claims["count_in_image"] == len(same), sid, "count")
        areas = sorted((o.visible.sum() for o in same), reverse=True)
        rank = claims["size_rank"]
        tally.check(rank <= len(areas) and areas[rank - 1] == obj.visible.sum(), sid, "size rank")
    cx, cy = obj.centroid()
    for sentence in claims["extra"]:
        found = re.search(
            r"about (\d+)% of the way from the left and (\d+)% from the top", sentence
        )
        if found:
            x, y = int(found.group(1)), int(found.group(2))
            tally.check(abs(x - 100 * cx / WIDTH) <= 0.51, sid, "centre x percent")
            tally.check(abs(y - 100 * cy / HEIGHT) <= 0.51, sid, "centre y percent")
    groups = Counter(claims["touching"]).values()
    for text in sample.references:
        words = set(re.findall(r"[a-z]+", text.lower()))
        said = {c for c in COLOR_NAMES if c in words}
        tally.check(said <= set(named), sid, f"wording names colours {said - set(named)}")
        numbers = {w for w in words if w in NUMBER_WORDS[2:]}
        known = {NUMBER_WORDS[claims["count_in_image"]]} if "count_in_image" in claims else set()
        known |= {NUMBER_WORDS[n] for n in groups}  # 'touches two cups'
        tally.check(numbers <= known, sid, f"wording gives numbers {numbers - known}")
        _wording(text.lower(), scene, obj, objects, claims, sid, tally, caught)


WHOLE = r"\b(?:the|a|an|another|other) (cup|bowl|book|box|ball|kite)s?\b"
RELATION = {
    "to the left of": "left_of", "left of": "left_of", "on the left of": "left_of",
    "to the right of": "right_of", "right of": "right_of", "on the right of": "right_of",
    "above": "above", "higher up than": "above", "below": "below", "lower down than": "below",
}  # fmt: skip
INVERSE = {"left_of": "right_of", "right_of": "left_of", "above": "below", "below": "above"}
EDGES = r"(top|bottom|left|right)(?: and (?:the )?(top|bottom|left|right))? edges?"


PICTURE = r"(?:image|picture|frame)"
PLACES = [  # (pattern, cell from its groups): every place wording of the drafter
    (r"\b(top|upper|bottom|lower)[ -](left|right)\b", lambda g: f"{ROW[g[0]]} {g[1]}"),
    (rf"\b(?:on|at) the (left|right)(?: side)? of the {PICTURE}", lambda g: f"middle {g[0]}"),
    (r"\bhalfway up the (left|right) side", lambda g: f"middle {g[0]}"),
    (r"\b(?:at|in) the (top|bottom|upper|lower) (?:center|middle)\b",
     lambda g: f"{ROW[g[0]]} center"),
    (rf"\bat the (top|bottom) of the {PICTURE}", lambda g: f"{g[0]} center"),
    (rf"\b(?:in|near) the (?:center|middle) of the {PICTURE}", lambda g: "center"),
]  # fmt: skip
ROW = {"top": "top", "upper": "top", "bottom": "bottom", "lower": "bottom"}


def _wording(text: str, scene, obj, objects, claims, sid: str, tally: Tally, caught: bool) -> None:
    """The words themselves, read back against the truth: every sentence plan and synonym."""
    places = [cell(m.groups()) for pattern, cell in PLACES for m in re.finditer(pattern, text)]
    tally.check(bool(places), sid, f"wording: no place in {text!r}")
    for place in places:
        tally.check(place == truth_cell(obj), sid, f"wording: {place}, truth {truth_cell(obj)}")
    x0, y0, x1, y1 = obj.box()
    aspect = (x1 - x0) / (y1 - y0)
    if "horizontal" in text or "wider than tall" in text:
        tally.check(aspect >= 1.5, sid, f"says horizontal, aspect {aspect:.2f}")
    if "vertical" in text or "taller than wide" in text:
        tally.check(aspect <= 1 / 1.5, sid, f"says vertical, aspect {aspect:.2f}")
    if "as wide as tall" in text or "compact" in text:
        tally.check(0.6 <= aspect <= 1 / 0.6, sid, f"says compact, aspect {aspect:.2f}")
    if "somewhat elongated" in text or "moderately elongated" in text or "longer one way" in text:
        ys, xs = np.nonzero(obj.visible)
        minor, major = np.sqrt(np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float))))
        tally.check(1.29 <= major / minor < 2.01, sid, f"somewhat elongated, {major / minor:.2f}")
    borders = {"left": x0 == 0, "top": y0 == 0, "right": x1 == WIDTH, "bottom": y1 == HEIGHT}
    for found in re.finditer(EDGES, text):
        for side in filter(None, found.groups()):
            tally.check(borders[side], sid, f"wording: reaches the {side} edge")
    if re.search(r"\b(hidden|covered|hide)\b", text):
        tally.check(obj.hidden >= 0.15 - 1e-3, sid, f"says hidden, {obj.hidden:.2f}")
    if re.search(r"more than half|most of|mostly hidden", text):
        tally.check(obj.hidden >= 0.5 - 1e-3, sid, f"says mostly hidden, {obj.hidden:.2f}")
    same = [o for o in scene.objects if o.category == obj.category]
    if re.search(r"the only|no other|only one", text):
        tally.check(len(same) == 1 or caught, sid, "says the only one")
    areas = sorted((o.visible.sum() for o in same), reverse=True)
    if re.search(r"\b(largest|biggest)\b", text):
        ok = len(same) > 1 and areas[0] == obj.visible.sum()
        tally.check(ok or caught, sid, "says the largest")
    if "smallest" in text:
        ok = len(same) > 1 and areas[-1] == obj.visible.sum()
        tally.check(ok or caught, sid, "says the smallest")
    occluders = {o.category for o in scene.objects if (o.visible & obj.whole & ~obj.visible).any()}
    agents = [m.group(1) for m in re.finditer(r"(?:hidden|covered) by ([^,.]*)", text)]
    agents += [m.group(1) for m in re.finditer(r"(?:^|\. )([^.]*?) hides? ", text)]
    for agent in agents:
        for name in re.findall(WHOLE, agent):
            tally.check(name in occluders, sid, f"wording: hidden by a {name}")
    salient = claims.get("salient")
    phrases = "|".join(sorted(RELATION, key=len, reverse=True))
    pattern = rf"\b({phrases})(?: and ({phrases}))? (?:{WHOLE}|(it|them)\b)"
    for found in re.finditer(pattern, text):  # 'above and to the left of the cup', 'below it'
        first, second, category, _ = found.groups()
        for phrase in filter(None, (first, second)):
            ok = bool(salient and salient["directions"])
            if ok:
                other = objects[salient["instance_id"]][1]
                name = RELATION[phrase] if category else INVERSE[RELATION[phrase]]
                ok = category in (None, other.category) and truth_direction(obj, other, name)
            tally.check(ok, sid, f"wording: {found.group(0)}")


def _mcq(sample, objects, tally: Tally) -> None:
    ids = sample.source["prompt_instance_ids"]
    scene, drawn = objects[ids[0]]
    obj = _region(scene, ids[0])
    family, sid = sample.meta["family"], sample.id
    answer = sample.options[sample.answer]
    wrong = [o for i, o in enumerate(sample.options) if i != sample.answer]
    if family == "category":
        tally.check(answer == obj.category and obj.category not in wrong, sid, "category key")
    elif family == "color":
        tally.check(obj.shares.get(answer, 0) >= 0.5, sid, f"colour key {answer} {obj.shares}")
        present = [w for w in wrong if obj.shares.get(w, 0) >= 0.02]
        tally.check(not present, sid, f"colour distractors present: {present}")
    elif family == "position":
        tally.check(answer == truth_cell(obj) and truth_cell(obj) not in wrong, sid, "cell")
    elif family == "relation":
        other = _region(scene, ids[1])
        name = DIRECTION_NAMES[answer]
        opposite = {"left_of": "right_of", "right_of": "left_of", "above": "below"}
        opposite["below"] = "above"
        tally.check(truth_direction(obj, other, name), sid, f"relation key {name}")
        tally.check(not truth_direction(obj, other, opposite[name]), sid, "relation opposite")
    elif family == "shape":
        x0, y0, x1, y1 = obj.box()
        aspect = (x1 - x0) / (y1 - y0)
        holds = {
            SHAPE_OPTIONS["horizontal"]: aspect >= 1.5,
            SHAPE_OPTIONS["vertical"]: aspect <= 1 / 1.5,
            SHAPE_OPTIONS["diagonal"]: False,  # no drawn rectangle is slanted
            SHAPE_OPTIONS["compact"]: 0.6 <= aspect <= 1 / 0.6,
        }
        tally.check(holds[answer], sid, f"shape key {answer}, aspect {aspect:.2f}")
        tally.check(not any(holds[w] for w in wrong), sid, "shape distractor also true")
    elif family == "part":
        x0, y0, x1, y1 = obj.box()
        cut = {"left": x0 == 0, "top": y0 == 0, "right": x1 == WIDTH, "bottom": y1 == HEIGHT}
        side = {text: name for name, text in PART_OPTIONS.items()}
        tally.check(cut[side[answer]], sid, f"part key {answer}")
        tally.check(not any(cut[side[w]] for w in wrong), sid, "part distractor also cut")
    elif family == "count":
        count = sum(o.category == obj.category for o in scene.objects)
        tally.check(answer == str(count) and str(count) not in wrong, sid, "count key")


def test_every_statement_is_true(built):
    store, objects = built
    tally, tasks, relations = Tally(), Counter(), Counter()
    for sample in store.candidates():
        tasks[sample.task] += 1
        if sample.task == "description":
            _describe(sample, objects, tally)
        elif sample.task == "mcq":
            relations[sample.meta["family"]] += 1
            _mcq(sample, objects, tally)
        else:
            relations[sample.meta["relation"]["name"]] += 1  # test_vtres_truth checks them
    assert sum(tasks.values()) >= 500, tasks
    assert min(tasks.values()) >= 100, tasks
    families = {"category", "color", "shape", "part", "position", "relation", "count"}
    assert set(relations) >= families | {"left_of"}, relations
    assert {"touching", "nearest", "same_category"} <= set(relations), relations
    assert tally.checked > 5000
    assert tally.false == [], f"{len(tally.false)} of {tally.checked}: {tally.false[:10]}"


@pytest.mark.parametrize("how", ["undeclared", "declared-not"])
def test_a_non_exhaustive_source_gets_nothing_that_needs_every_instance(scenes, tmp_path, how):
    reader = TruthReader(scenes[:20])
    config = {"exhaustive_sources": {"truth": False}} if how == "declared-not" else {}
    summary = build_store([reader], tmp_path / "s.db", seed=3, config=config, progress=False)
    store = CandidateStore(tmp_path / "s.db")
    assert summary["tasks"]["description"] > 50 and summary["tasks"]["mcq"] > 50
    assert store.count("vt_res") == 0  # every referring text claims its whole target set
    ranked = 0
    for sample in store.candidates():
        assert sample.meta.get("family") not in ("count", "position", "relation")
        if sample.task == "description":
            assert "count_in_image" not in sample.meta["claims"]
            text = " ".join(sample.references).lower()
            words = ("the only", "only one", "one of", "no other", "there are", "there is only")
            assert not any(phrase in text for phrase in words)
            if re.search(r"\b(largest|biggest|smallest)\b", text):  # only with a reviewer's check
                ranked += 1
                kinds = {(n["kind"], n["category"]) for n in sample.meta["needs"]}
                assert ("complete", sample.meta["category"]) in kinds, text
    assert ranked > 0  # relative size is still said, with its need
