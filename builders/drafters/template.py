"""The offline default drafter: detailed descriptions written from the measured facts alone, in
several sentence plans whose wording is picked by a seeded generator keyed on the sample.

API:
  PLANS                              plan name -> writer(voice) -> str | None (None: plan needs a
                                     fact the object lacks, e.g. a count or a clear direction)
  write_template(facts, plan="plain", seed=0) -> str      one description (plain never lacks)
  write_references(facts, n, seed=0) -> list[str]         n descriptions from different plans,
                                                          plans and wordings drawn from ``seed``
  TemplateDrafter().draft(request)   -> request.template;  .draft_all(request, n) -> the plans
  DIRECTION_PHRASES                  direction name -> 'to the left of', ...

Every statement comes from one fact (builders.drafters.wording, .neighbours): the category;
``named_colors`` (only when one or two colours dominate the visible pixels); size; grid
position; shape (``elongation`` >= 2 with its ``orientation``, somewhat elongated from 1.3,
compact below); ``cut_sides`` (the mask reaches the image border); ``occluded_fraction`` (only
when the source knows whole shapes) and ``hidden_by`` (the instances covering the hidden part,
when the source says); ``touching`` (neighbours whose masks are adjacent); ``salient`` (the
largest other object, and the one or two directions to it that hold); ``count_in_image`` and
``size_rank`` (only for exhaustively annotated categories); ``extra`` (distinguishing sentences
added when two references in one image would be identical). Plans differ in the opening, the
clause order and which facts come first; wordings differ in synonyms. Nothing else is said: no
material, pose, action or depth.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from builders.drafters.base import Drafter, DraftRequest
from builders.drafters.neighbours import (
    DIRECTION_PHRASES,
    hidden_sentence,
    occluders,
    salient_phrase,
    salient_sentence,
    touching_parts,
    touching_sentence,
)
from builders.drafters.wording import (
    PICTURE,
    Voice,
    color_sentence,
    count_sentence,
    cut_sentence,
    shape_sentence,
    size_sentence,
    sources_sentence,
)
from builders.grammar import capitalize, is_mass, number_word, plural

__all__ = ["DIRECTION_PHRASES", "PLANS", "TemplateDrafter", "write_references", "write_template"]


def _text(v: Voice, sentences: list[str | None]) -> str:
    """The plan's sentences that have a fact; a bare opening gets the size sentence too."""
    said = [s for s in sentences if s]
    if len(said) < 2:
        said.append(size_sentence(v))
    return " ".join(said + v.facts.get("extra", []))


def _visible(v: Voice) -> str:
    return v.pick(("can be seen", "appears", "is visible")) if not v.many else "appear"


def _plain(v: Voice) -> str:
    there = f"There {v.be()} {v.a(False)} {v.position()}."
    opening = v.pick((f"{capitalize(v.a(False))} {v.position()}.", there))
    return _text(
        v,
        [
            opening,
            size_sentence(v),
            count_sentence(v),
            touching_sentence(v),
            shape_sentence(v),
            cut_sentence(v),
            hidden_sentence(v),
            sources_sentence(v),
        ],
    )


def _located(v: Voice) -> str:
    opening = f"{capitalize(v.position())}, there {v.be()} {v.a(True)}."
    sentences = [salient_sentence(v), shape_sentence(v), count_sentence(v), touching_sentence(v)]
    return _text(v, [opening, *sentences, cut_sentence(v), hidden_sentence(v)])


def _shape_first(v: Voice) -> str:
    this = "These are" if v.many else "This is"
    opening = v.pick(
        (
            f"{this} {v.a(True)}, {v.position()}.",
            f"The marked region shows {v.a(True)} {v.position()}.",
        )
    )
    sentences = [shape_sentence(v), touching_sentence(v), salient_sentence(v)]
    return _text(v, [opening, *sentences, cut_sentence(v), hidden_sentence(v), count_sentence(v)])


def _relational(v: Voice) -> str | None:
    relation = salient_phrase(v)
    if relation is None:
        return None
    opening = f"{capitalize(relation)}, there {v.be()} {v.a(True)}."
    where = f"{v.subject()} {v.be()} {v.position()}."
    sentences = [touching_sentence(v), count_sentence(v), shape_sentence(v)]
    return _text(v, [opening, where, *sentences, hidden_sentence(v), cut_sentence(v)])


def _colour_apart(v: Voice) -> str:
    opening = f"{capitalize(v.a(True, color=False))} {_visible(v)} {v.position()}."
    sentences = [color_sentence(v), touching_sentence(v), salient_sentence(v)]
    return _text(v, [opening, *sentences, cut_sentence(v), hidden_sentence(v), count_sentence(v)])


def _count_first(v: Voice) -> str | None:
    count, rank = v.facts.get("count_in_image"), v.facts.get("size_rank")
    if not count or v.many or is_mass(v.noun):
        return None
    picture = v.pick(PICTURE)
    if count == 1:
        opening = f"There is only one {v.noun} in the {picture}: {v.a(True)} {v.position()}."
        rank_sentence = None
    else:
        many = f"{number_word(count)} {plural(v.noun)}"
        opening = f"There are {many} in the {picture}; this one is {v.a(True)} {v.position()}."
        which = v.pick(("largest", "biggest")) if rank == 1 else "smallest"
        ranked = rank in (1, count)
        rank_sentence = f"{v.subject(named=False)} is the {which} of them." if ranked else None
    sentences = [rank_sentence, salient_sentence(v), touching_sentence(v), shape_sentence(v)]
    return _text(v, [opening, *sentences, cut_sentence(v), hidden_sentence(v)])


def _brief(v: Voice) -> str:
    clauses = [f"{capitalize(v.a(True))} {v.position()}"]
    parts = touching_parts(v.facts)
    if parts:
        clauses.append(v.pick(("touching", "in contact with")) + " " + " and ".join(parts[:2]))
    sides = v.facts.get("cut_sides", [])
    if sides:
        edge = "edges" if len(sides) > 1 else "edge"
        sides_text = " and ".join(sides)
        clauses.append(f"cut off by the {sides_text} {edge} of the {v.pick(PICTURE)}")
    sentences = [", ".join(clauses) + ".", salient_sentence(v), count_sentence(v)]
    return _text(v, [*sentences, hidden_sentence(v)])


def _hidden_first(v: Voice) -> str | None:
    hidden, sides = v.facts.get("occluded_fraction"), v.facts.get("cut_sides", [])
    picture = v.pick(PICTURE)
    agent = occluders(v)[0]
    if hidden is not None and hidden >= 0.5:
        lead = f"Mostly hidden by {agent}"
    elif hidden is not None and hidden >= 0.15:
        lead = v.pick((f"Partly hidden by {agent}", f"Partly covered by {agent}"))
    elif sides:
        edge = "edges" if len(sides) > 1 else "edge"
        lead = f"Cut off by the {' and '.join(sides)} {edge} of the {picture}"
        sides = []
    else:
        return None
    opening = f"{lead}, {v.a(True)} {_visible(v)} {v.position()}."
    cut = cut_sentence(v) if sides else None
    sentences = [touching_sentence(v), salient_sentence(v), count_sentence(v), shape_sentence(v)]
    return _text(v, [opening, *sentences, cut])


PLANS: dict[str, Callable[[Voice], str | None]] = {
    "plain": _plain,
    "located": _located,
    "shape_first": _shape_first,
    "relational": _relational,
    "colour_apart": _colour_apart,
    "count_first": _count_first,
    "brief": _brief,
    "hidden_first": _hidden_first,
}


def _write(facts: dict[str, Any], plan: str, seed: int) -> str | None:
    return PLANS[plan](Voice(facts, random.Random(f"{seed}:{plan}")))


def write_template(facts: dict[str, Any], plan: str = "plain", seed: int = 0) -> str:
    """One description in ``plan``; a plan the facts cannot carry falls back to plain."""
    return _write(facts, plan, seed) or _write(facts, "plain", seed) or ""


def write_references(facts: dict[str, Any], n: int, seed: int = 0) -> list[str]:
    """``n`` different descriptions of the same facts, each from a different plan."""
    order = list(PLANS)
    random.Random(seed).shuffle(order)
    texts: list[str] = []
    for plan in order:
        text = _write(facts, plan, seed)
        if text and text not in texts:
            texts.append(text)
        if len(texts) == n:
            break
    return texts


class TemplateDrafter(Drafter):
    """Writes the descriptions from the facts; no model, no network."""

    name = "template"
    version = "2.1"

    def draft(self, request: DraftRequest) -> str:
        return request.template

    def draft_all(self, request: DraftRequest, n: int) -> list[str]:
        return list(request.extra.get("plans") or write_references(request.facts, n))[:n]
