"""Description candidates: two or three detailed draft descriptions per selected object.

API:
  description_facts(scene, obj) -> dict     the facts a drafter writes from (drafters.base)
  description_samples(scene, drafter) -> list[Sample]
  DESCRIPTION_QUESTIONS                     question wordings (one picked per sample by seed)

Each description singles out its object among the annotated instances of its category
(builders.identify adds the sentences that do, in every reference), or carries an
``identifies`` need in ``meta["needs"]``; a size rank on a category not declared exhaustive
carries a ``complete`` need. ``meta["claims"]["identifies"]`` says whether it does.
References are the drafter's texts (``config.references_per_sample``, each from a different
sentence plan of the template drafter; a model drafter's own text comes first), marked
``meta["draft"] = True`` until a reviewer accepts them. No two references of one image are
identical: while two are, distinguishing sentences are added to both (the objects they touch,
the direction to the largest other object, then where the centre lies in percent of the image).
``meta["flags"]`` lists what a model's draft says against the measurement (drafters.base
.check_draft); ``meta["claims"]`` holds the facts the texts were written from. Source texts
(RefCOCO expressions of the object, COCO captions that mention its category) go into the facts
and into ``meta["source_texts"]``.
"""

from __future__ import annotations

import re
from typing import Any

from builders.claims import group_of
from builders.drafters.base import Drafter, DraftRequest, check_draft
from builders.drafters.neighbours import salient_directions
from builders.drafters.template import DIRECTION_PHRASES, write_references
from builders.grammar import be, capitalize, indefinite, is_plural, plural, pronoun
from builders.identify import Identity, identify
from builders.objects import ObjectFacts, noun
from builders.relations import DIRECTIONS, PAIR_RELATIONS, clear_direction, touching
from builders.scene import Scene
from perbench.schema import Sample, make_sample_id

DESCRIPTION_QUESTIONS = (
    "Please describe <region1> in detail.",
    "Can you provide a detailed description of the region marked by <region1>?",
    "Describe the object in <region1> in detail.",
    "What does <region1> show? Give a detailed description.",
)
CLAIM_KEYS = (
    "category",
    "named_colors",
    "size",
    "position",
    "elongation",
    "orientation",
    "cut_sides",
    "occluded_fraction",
    "hidden_by",
    "hidden_by_ids",
    "touching",
    "touching_ids",
    "salient",
    "count_in_image",
    "size_rank",
    "extra",
)


def _mentions(caption: str, category: str) -> bool:
    words = "|".join(re.escape(w) for w in {category, plural(category)})
    return re.search(rf"\b({words})\b", caption, flags=re.IGNORECASE) is not None


def _others(scene: Scene, obj: ObjectFacts) -> list[ObjectFacts]:
    """The other instances a description may name; never a possible piece of obj's own object
    ("touches another truck" about a truck's cab and its cargo bed)."""
    own = {f.index for f in group_of(scene, obj)}
    return [f for f in scene.facts if f.index not in own and not f.instance.iscrowd]


def _salient(scene: Scene, obj: ObjectFacts) -> dict[str, Any] | None:
    others = _others(scene, obj)
    if not others:
        return None
    largest = max(others, key=lambda f: f.area)
    same = [f for f in scene.facts if f.category == largest.category and not f.instance.iscrowd]
    return {
        "category": largest.category,
        "instance_id": largest.instance.id,
        "direction": clear_direction(obj, largest),
        "directions": [d for d in DIRECTIONS if PAIR_RELATIONS[d](obj, largest, scene.margin)],
        "unique": scene.count_known(largest.category) and len(same) == 1,
    }


def description_facts(scene: Scene, obj: ObjectFacts) -> dict[str, Any]:
    others = _others(scene, obj)
    near = sorted((f for f in others if touching(f, obj, scene.margin)), key=lambda f: -f.area)
    by = {f.instance.id: f for f in others}
    facts: dict[str, Any] = {
        "category": obj.category,
        "supercategory": obj.instance.supercategory,
        "colors": [[name, fraction] for name, fraction in obj.colors[:3]],
        "named_colors": list(obj.named_colors),
        "size": obj.size,
        "position": obj.position,
        "elongation": round(obj.elongation, 2),
        "orientation": obj.orientation,
        "cut_sides": list(obj.cut_sides),
        "occluded_fraction": obj.occluded_fraction,
        "hidden_by": [noun(by[i]) for i in obj.instance.extra.get("occluded_by", []) if i in by],
        "hidden_by_ids": [i for i in obj.instance.extra.get("occluded_by", []) if i in by],
        "touching": [noun(f) for f in near],
        "touching_ids": [f.instance.id for f in near],
        "salient": _salient(scene, obj),
        "texts": list(obj.instance.texts),
        "captions": [
            c for c in scene.image.captions if obj.category and _mentions(c, obj.category)
        ],
        "extra": [],
        "area": obj.area,
        "margin": round(obj.position_margin, 3),
        "centre_percent": [
            round(100 * obj.centroid[0] / scene.image.width),
            round(100 * obj.centroid[1] / scene.image.height),
        ],
    }
    whole = all(len(group_of(scene, f)) == 1 for f in scene.peers(obj))
    if scene.count_known(obj.category) and whole:  # counts: complete, and no possible pieces
        peers = sorted(scene.peers(obj), key=lambda f: -f.area)
        facts["count_in_image"] = len(peers)
        facts["size_rank"] = 1 + [f.index for f in peers].index(obj.index)
    return facts


def _distinguishers(scene: Scene, obj: ObjectFacts, facts: dict[str, Any]) -> list[str]:
    """Sentences that tell this object from another with the same text, most natural first."""
    out, name = [], noun(obj)
    lead = "This person" if name == "person" else capitalize(pronoun(name))
    its = "This person's" if name == "person" else "Their" if is_plural(name) else "Its"
    directions = salient_directions(facts)
    if directions:
        other = facts["salient"]["category"] or "object"
        phrase = " and ".join(DIRECTION_PHRASES[d] for d in directions)
        out.append(f"{lead} {be(name)} {phrase} {indefinite(other, other)}.")
    x = round(100 * obj.centroid[0] / scene.image.width)
    y = round(100 * obj.centroid[1] / scene.image.height)
    out.append(f"{its} centre is about {x}% of the way from the left and {y}% from the top.")
    return out


def _unique(scene: Scene, drafted: list[tuple[ObjectFacts, dict[str, Any], list[str]]]) -> None:
    """Add distinguishing sentences until no reference text appears twice in the image."""
    for step in range(2):
        seen: dict[str, list[int]] = {}
        for i, (_, _, refs) in enumerate(drafted):
            for ref in set(refs):
                seen.setdefault(ref, []).append(i)
        clashing = sorted({i for owners in seen.values() if len(owners) > 1 for i in owners})
        if not clashing:
            return
        for i in clashing:
            obj, facts, refs = drafted[i]
            extra = _distinguishers(scene, obj, facts)
            addition = extra[min(step, len(extra) - 1)]
            if addition in facts["extra"]:
                continue
            facts["extra"].append(addition)
            refs[:] = [f"{ref} {addition}" for ref in refs]


def _identity(scene: Scene, obj: ObjectFacts, known: dict[int, dict[str, Any]]) -> Identity:
    """How the description tells ``obj`` from its peers; ``known`` caches facts by index."""
    for peer in scene.peers(obj):
        if peer.index not in known:
            known[peer.index] = description_facts(scene, peer)
    facts = known[obj.index]
    # possible pieces of the same object stay peers: if they are another object, the text
    # must tell it apart too
    peers = {p.instance.id: known[p.index] for p in scene.peers(obj) if p.index != obj.index}
    count, rank = facts.get("count_in_image", 0), facts.get("size_rank")
    if count > 1 and rank in (1, count):
        return Identity()  # every plan says it is the largest / smallest of them
    return identify(scene, obj, facts, peers)


def description_samples(scene: Scene, drafter: Drafter) -> list[Sample]:
    count = scene.config.references_per_sample
    drafted, identities = [], {}
    known: dict[int, dict[str, Any]] = {}
    for obj in scene.selected:
        sample_id = make_sample_id("description", scene.image.key, obj.instance.id)
        if obj.index not in known:
            known[obj.index] = description_facts(scene, obj)
        facts = known[obj.index]
        identity = identities[obj.index] = _identity(scene, obj, known)
        facts["extra"] = list(identity.sentences)
        facts.update(identity.claims)
        seed = int(scene.rng("wording", obj.instance.id).integers(2**31))
        plans = write_references(facts, count, seed)
        request = DraftRequest(
            sample_id, scene.image_bytes, obj.instance.mask, facts, plans[0], {"plans": plans}
        )
        drafted.append((obj, facts, drafter.draft_all(request, count)))
    _unique(scene, drafted)
    samples = []
    for obj, facts, refs in drafted:
        sample_id = make_sample_id("description", scene.image.key, obj.instance.id)
        question = DESCRIPTION_QUESTIONS[
            int(scene.rng("description", obj.instance.id).integers(len(DESCRIPTION_QUESTIONS)))
        ]
        flags = [] if drafter.name == "template" else check_draft(refs[0], facts)
        identity = identities[obj.index]
        meta = {
            "category": obj.category,
            "attributes": obj.to_meta(),
            "claims": {
                **{k: facts[k] for k in CLAIM_KEYS if k in facts},
                **identity.claims,
                "identifies": not identity.fits,
            },
            "needs": identity.needs,
            "relation": None,
            "drafter": drafter.describe(),
            "flags": flags,
            "source_texts": facts["texts"] + facts["captions"],
        }
        samples.append(
            scene.base_sample("description", sample_id, question, [obj], meta, references=refs)
        )
    return samples
