"""V-T RES wording: article, noun and verb agree with the category's number for countable,
plural and mass names, in every shape."""

from __future__ import annotations

import re

import numpy as np

from builders.vtres_wording import RELATION_PHRASES, referring_phrase

AGREEING = {
    "bus": r"^(every bus|each bus|all (the )?buses|whichever buses are|the bus|whichever bus is)\b",
    "Hanes socks": r"^(all (the )?Hanes socks|whichever Hanes socks are|the Hanes socks)\b",
    "Irish Spring soap": r"^(all the Irish Spring soap|whatever Irish Spring soap is|the Irish "
    r"Spring soap|whichever Irish Spring soap is)\b",
}


def test_every_shape_agrees_with_the_number_of_its_noun():
    rng = np.random.default_rng(0)
    for category, pattern in AGREEING.items():
        for relation in RELATION_PHRASES:
            for _ in range(30):
                phrase = referring_phrase(relation, category, rng)
                assert re.match(pattern, phrase), phrase
                if category == "Hanes socks":  # a plural name: "that are", never "that is"
                    assert " that is " not in phrase and " is " not in phrase
                assert not re.search(r"\b(are|is) (are|is)\b", phrase)
