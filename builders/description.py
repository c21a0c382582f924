"""Description candidates: one detailed draft description per selected object.

API:
  description_facts(scene, obj) -> dict     the facts a drafter writes from (drafters.base)
  description_samples(scene, drafter) -> list[Sample]
  DESCRIPTION_QUESTIONS                     question wordings (one picked per sample by seed)

The reference is the drafter's text, marked ``meta["draft"] = True`` until a reviewer accepts
it. Source texts (RefCOCO expressions of the object, COCO captions that mention its category)
go into the facts and into ``meta["source_texts"]``.
"""

from __future__ import annotations

import re
from typing import Any

from builders.drafters.base import Drafter, DraftRequest
from builders.drafters.template import write_template
from builders.grammar import plural
from builders.objects import ObjectFacts, noun
from builders.relations import PAIR_RELATIONS, distance
from builders.scene import Scene
from perbench.schema import Sample, make_sample_id

DESCRIPTION_QUESTIONS = (
    "Please describe <region1> in detail.",
    "Can you provide a detailed description of the region marked by <region1>?",
    "Describe the object in <region1> in detail.",
    "What does <region1> show? Give a detailed description.",
)


def _mentions(caption: str, category: str) -> bool:
    words = "|".join(re.escape(w) for w in {category, plural(category)})
    return re.search(rf"\b({words})\b", caption, flags=re.IGNORECASE) is not None


def description_facts(scene: Scene, obj: ObjectFacts) -> dict[str, Any]:
    others = [f for f in scene.facts if f.index != obj.index and not f.instance.iscrowd]
    neighbours, neighbour_ids = {}, {}
    for name, test in PAIR_RELATIONS.items():
        holding = [f for f in others if test(f, obj, scene.margin)]
        if holding:
            closest = min(holding, key=lambda f: distance(f, obj))
            neighbours[name], neighbour_ids[name] = noun(closest), closest.instance.id
    facts: dict[str, Any] = {
        "category": obj.category,
        "supercategory": obj.instance.supercategory,
        "colors": [[name, fraction] for name, fraction in obj.colors[:3]],
        "size": obj.size,
        "position": obj.position,
        "neighbours": neighbours,
        "neighbour_ids": neighbour_ids,
        "texts": list(obj.instance.texts),
        "captions": [
            c for c in scene.image.captions if obj.category and _mentions(c, obj.category)
        ],
    }
    if scene.count_known(obj.category):
        peers = sorted(scene.peers(obj), key=lambda f: -f.area)
        facts["count_in_image"] = len(peers)
        facts["size_rank"] = 1 + [f.index for f in peers].index(obj.index)
    return facts


def description_samples(scene: Scene, drafter: Drafter) -> list[Sample]:
    samples = []
    for obj in scene.selected:
        sample_id = make_sample_id("description", scene.image.key, obj.instance.id)
        facts = description_facts(scene, obj)
        request = DraftRequest(
            sample_id, scene.image_bytes, obj.instance.mask, facts, write_template(facts)
        )
        question = DESCRIPTION_QUESTIONS[
            int(scene.rng("description", obj.instance.id).integers(len(DESCRIPTION_QUESTIONS)))
        ]
        meta = {
            "category": obj.category,
            "attributes": {
                **obj.to_meta(),
                **{
                    k: facts[k] for k in ("neighbours", "count_in_image", "size_rank") if k in facts
                },
            },
            "relation": None,
            "drafter": drafter.describe(),
            "source_texts": facts["texts"] + facts["captions"],
        }
        samples.append(
            scene.base_sample(
                "description", sample_id, question, [obj], meta, references=[drafter.draft(request)]
            )
        )
    return samples
