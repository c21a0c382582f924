"""Does a description single out its object among the annotated instances of its category?

API:
  identify(scene, obj, facts, peer_facts) -> Identity
  Identity    sentences (to add to every reference), claims (what they state, for meta),
              needs (meta["needs"] entries), fits (annotated peers the description still fits)
  still_fits(facts, other) -> bool     would the description from ``facts`` also fit ``other``

facts / peer_facts: builders.description.description_facts of the object and of each other
annotated, non-crowd instance of its category (``peer_facts``: instance id -> facts).
Every reference states the category, the named colours, the size word, the grid cell, the image
edges the mask reaches, what it touches and what hides it (every sentence plan of the template
drafter does), so a peer is told apart when one of those is known to differ: named colours both
measured and different, sizes at least ``SIZE_APART`` x apart, cells both clear of the grid
lines, other edges, a touched neighbour the peer does not touch, a hiding object the peer lacks.
When peers remain, in order:
  1. the direction to the largest other object, when that object is the only one of its
     category ("the couch") and the direction does not hold for them;
  2. the object's rank by size among its category ("the largest of the three cups"; drafted
     only when the category is declared exhaustive: counts need completeness) -- or, not
     declared, "the largest cup in the picture" with a ``complete`` need; never where two
     annotations of the category may be pieces of one object (builders.claims);
  3. where its centre lies in percent of the image, when the centres are ``CENTRE_APART`` apart;
  4. otherwise an ``identifies`` need: a reviewer must say whether it fits another one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from builders.claims import group_of
from builders.drafters.neighbours import DIRECTION_PHRASES, salient_directions
from builders.grammar import be, capitalize, indefinite, is_mass, is_plural, number_word, plural
from builders.objects import ObjectFacts, noun
from builders.relations import PAIR_RELATIONS
from builders.scene import Scene
from perbench.needs import make_need

SIZE_APART = 2.0
CENTRE_APART = 10  # percentage points of the image side


@dataclass
class Identity:
    sentences: list[str] = field(default_factory=list)
    claims: dict[str, Any] = field(default_factory=dict)
    needs: list[dict[str, Any]] = field(default_factory=list)
    fits: list[str] = field(default_factory=list)


def still_fits(facts: dict[str, Any], other: dict[str, Any]) -> bool:
    """Whether everything every reference of ``facts`` states is (or may be) true of ``other``."""
    mine, theirs = facts["named_colors"], other["named_colors"]
    if mine and theirs and mine != theirs:
        return False
    small, large = sorted((facts["area"], other["area"]))
    if facts["size"] != other["size"] and large >= SIZE_APART * max(small, 1):
        return False
    if facts["position"] != other["position"] and min(facts["margin"], other["margin"]) >= 0.03:
        return False
    if set(facts["cut_sides"]) != set(other["cut_sides"]):
        return False
    if not set(facts["touching"]) <= set(other["touching"]):
        return False
    hidden = (facts.get("occluded_fraction") or 0) >= 0.15
    return not (hidden and not set(facts["hidden_by"]) <= set(other["hidden_by"]))


def _lead(name: str) -> str:
    return "This person" if name == "person" else capitalize("they" if is_plural(name) else "it")


def _direction(scene: Scene, obj: ObjectFacts, facts, fits, by_id) -> tuple[str, list] | None:
    directions = salient_directions(facts)
    if not directions or not fits or not facts["salient"].get("unique"):
        return None  # "left of a table" also fits a peer left of another table
    largest = next(f for f in scene.facts if f.instance.id == facts["salient"]["instance_id"])
    left = [p for p in fits if all(PAIR_RELATIONS[d](by_id[p], largest, scene.margin) is not False
                                   for d in directions)]  # fmt: skip
    if len(left) == len(fits):
        return None
    name, other = noun(obj), facts["salient"]["category"] or "object"
    phrase = " and ".join(DIRECTION_PHRASES[d] for d in directions)
    target = f"the {other}" if facts["salient"].get("unique") else indefinite(other, other)
    return f"{_lead(name)} {be(name)} {phrase} {target}.", left


def _rank(scene: Scene, obj: ObjectFacts, peers: list[ObjectFacts]) -> tuple[str, str] | None:
    """A size-rank sentence and its claim words, or None when it says nothing useful."""
    name = noun(obj)
    if is_plural(name) or is_mass(name) or len(peers) < 2:
        return None
    ranked = sorted(peers, key=lambda f: -f.area)
    rank = [f.index for f in ranked].index(obj.index)
    if rank not in (0, len(ranked) - 1):
        return None
    if rank == 0 and ranked[1].area * 1.2 > obj.area:
        return None  # too close to see
    if rank == len(ranked) - 1 and obj.area * 1.2 > ranked[-2].area:
        return None
    which = "largest" if rank == 0 else "smallest"
    if scene.count_known(obj.category):
        claim = f"the {which} of the {number_word(len(peers))} {plural(name)}"
    else:
        claim = f"the {which} {name} in the picture"
    return f"{_lead(name)} {be(name)} {claim}.", claim


def identify(
    scene: Scene, obj: ObjectFacts, facts: dict[str, Any], peer_facts: dict[str, dict[str, Any]]
) -> Identity:
    """How the description of ``obj`` tells it from its annotated peers (see the module doc)."""
    identity = Identity()
    fits = [i for i, other in peer_facts.items() if still_fits(facts, other)]
    if not fits:
        return identity
    name = noun(obj)
    by_id = {f.instance.id: f for f in scene.peers(obj)}
    annotated = [f.instance.mask for f in scene.peers(obj)]
    found = _direction(scene, obj, facts, fits, by_id)
    if found:
        identity.sentences.append(found[0])
        identity.claims["salient_in_extra"] = True
        fits = found[1]
    whole = all(len(group_of(scene, f)) == 1 for f in scene.peers(obj))
    if fits and whole:  # a rank counts objects: not where two annotations may be one
        ranked = _rank(scene, obj, scene.peers(obj))
        if ranked:
            identity.sentences.append(ranked[0])
            identity.claims["size_rank_claim"] = ranked[1]
            fits = []
            if not scene.count_known(obj.category):
                question = f"Is any {name} in the photo not outlined?"
                identity.needs.append(make_need("complete", name, question, annotated, ranked[1]))
    if fits:
        x, y = facts["centre_percent"]
        apart = all(
            max(abs(x - peer_facts[i]["centre_percent"][0]),
                abs(y - peer_facts[i]["centre_percent"][1])) >= CENTRE_APART
            for i in fits
        )  # fmt: skip
        if apart:
            its = "This person's" if name == "person" else "Their" if is_plural(name) else "Its"
            identity.sentences.append(
                f"{its} centre is about {x}% of the way from the left and {y}% from the top."
            )
            fits = []
    if fits:
        question = f"Does this description fit another {name} in the photo as well?"
        identity.needs.append(
            make_need("identifies", name, question, annotated, "the description as a whole")
        )
    identity.fits = fits
    return identity
