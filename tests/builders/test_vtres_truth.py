"""V-T RES texts checked against the DRAWN truth scenes (unannotated, split, dark objects
included): a reference resolver reading each text's category and relation picks exactly its
targets, shortcut resolvers rarely do, and the words agree and never give the count away."""

from __future__ import annotations

import re
from collections import Counter

import numpy as np

from builders.grammar import NUMBER_WORDS
from builders.selection import image_rng
from builders.vtres_wording import phrasings, referring_text
from perbench.masks import decode
from tests.builders.conftest import TRUTH_SEED
from tests.builders.resolver import SHORTCUTS, drawn_targets, parse, resolve


def _vtres(truth_build):
    store, summary, objects = truth_build
    samples = list(store.candidates(task="vt_res"))
    return samples, summary, objects


def test_the_truth_scenes_hide_what_annotations_miss(truth_scenes):
    drawn = [o for s in truth_scenes for o in s.objects]
    assert sum(not o.annotated for o in drawn) >= 0.3 * len(drawn)
    assert sum(len(o.pieces) >= 2 for o in drawn) >= 10
    assert sum(o.exposure != "normal" for o in drawn) >= 0.1 * len(drawn)


def test_a_reference_resolver_on_the_drawn_scene_picks_exactly_the_targets(truth_build):
    samples, _, objects = _vtres(truth_build)
    false, shortcut_hits, relations = [], Counter(), Counter()
    for sample in samples:
        scene, _ = objects[sample.source["prompt_instance_ids"][0]]
        relations[parse(sample.question)[0]] += 1
        for rle, target_id in zip(sample.targets, sample.meta["target_instance_ids"], strict=True):
            if not np.array_equal(decode(rle).astype(bool), scene.annotated(target_id)[1]):
                false.append(f"{sample.id}: mask of {target_id}")
        targets = drawn_targets(sample, scene)
        if targets is None or resolve(sample, scene) != targets:
            false.append(
                f"{sample.id}: {sample.question} -> {targets}, truth {resolve(sample, scene)}"
            )
        for name, shortcut in SHORTCUTS.items():
            shortcut_hits[name] += shortcut(sample, scene) == targets
    assert len(samples) >= 200, len(samples)
    assert {"touching", "nearest", "same_category", "between", "left_of"} <= set(relations)
    assert false == [], f"{len(false)} of {len(samples)}: {false[:10]}"
    for name, hits in shortcut_hits.items():
        assert hits <= 0.1 * len(samples), (name, hits, len(samples))


def test_relation_redundant_texts_are_skipped_and_counted(truth_build):
    _, summary, _ = _vtres(truth_build)
    skipped = summary["skipped"]
    for reason in ("category minus the prompts", "nearest instance", "identity"):
        assert any(reason in key and n > 0 for key, n in skipped.items()), (reason, skipped)


def test_words_agree_vary_and_never_give_the_count_away(truth_build):
    samples, _, _ = _vtres(truth_build)
    shapes, kinds = Counter(), Counter()
    for sample in samples:
        relation = sample.meta["relation"]
        wording = image_rng(
            TRUTH_SEED,
            sample.image_id,
            "vtres-text",
            relation["prompt_instance_ids"],
            relation["name"],
            relation["category"],
        )
        # the text is a function of the image, prompts, relation and category: not the targets
        assert sample.question == referring_text(relation["name"], relation["category"], wording)
        text = sample.question.lower()
        assert not set(re.findall(r"[a-z]+", text)) & set(NUMBER_WORDS[1:]), text
        assert not re.search(r"\b(it|them|one|ones|both|only)\b", text), text
        if relation["name"] != "nearest":
            assert not re.search(r"\bthe (cup|bowl|book|box|ball|kite)\b", text), text
        assert not re.search(r"\bevery \w+s\b|\ball the (cup|bowl|book|ball|kite)\b", text), text
        assert not re.search(r"\ball (the )?\w+ that is\b|\bevery \w+ that are\b", text), text
        category = relation["category"] or "object"
        shapes[re.sub(rf"\b{category}(e?s)?\b", "X", sample.question)] += 1
        kinds[sample.meta["kind"]] += 1
    assert len(shapes) >= 20, len(shapes)
    assert len(phrasings()) >= 100
    assert kinds["single"] and kinds["multi"] and kinds["none"], kinds
