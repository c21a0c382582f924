"""Per-shard balancing of MCQ drafts, so no text-only statistic finds the answer.

API:
  ShardBalance(seed, shard)
    .slot(family) -> int          the answer's letter slot 0..3: each slot once per block of
                                  four questions of that family (letters balanced per family)
    .count_rank(count) -> int     the answer's rank among the four consecutive numeric options
                                  (count - rank >= 1): the least used (lowest first option,
                                  rank) pair so far, ties by seed, so within each set of options
                                  every rank is about as often right, though small counts cannot
                                  take the high ranks
    .even_answer(family, answer, group) -> bool   False when ``answer`` has already been the
                                  answer BALANCE_SLACK times more than the rarest of ``group``
                                  (options that always come together, as the four corners)
    .flattest(family, names, k)   k of ``names`` (in their given order of preference), chosen
                                  among the first 2k by how much more often each was the answer
                                  than a wrong option so far: every option text ends up about as
                                  often right as wrong-per-slot, so a per-family prior is useless
    .offered(family, answer, distractors)   records one question's options
    .room_for(family) -> bool     False for a family outside APPEARANCE_FAMILIES while asking it
                                  would leave appearance questions under half of the shard's
    .see_image(categories)        records which categories appear together (co-occurrence)
    .cooccurring(category) -> list[str]     categories seen with it in the shard, most often first
"""

from __future__ import annotations

from collections import Counter, defaultdict

from builders.selection import image_rng

NUM_OPTIONS = 4
BALANCE_SLACK = 1
# questions the masks cannot answer without the photo's appearance (the rest: position,
# relation, count) must be at least half of every shard's
APPEARANCE_FAMILIES = ("category", "color", "shape", "part")


class ShardBalance:
    """Running statistics of one shard's MCQs (see the module doc)."""

    def __init__(self, seed: int, shard: str):
        self.seed, self.shard = seed, shard
        self.issued: Counter[str] = Counter()
        self.asked: Counter[str] = Counter()
        self.ranks: Counter[tuple[int, int]] = Counter()
        self.rights: dict[str, Counter[str]] = defaultdict(Counter)
        self.wrongs: dict[str, Counter[str]] = defaultdict(Counter)
        self.together: dict[str, Counter[str]] = defaultdict(Counter)

    def slot(self, family: str) -> int:
        block, offset = divmod(self.issued[family], NUM_OPTIONS)
        self.issued[family] += 1
        rng = image_rng(self.seed, self.shard, "letters", family, block)
        return int(rng.permutation(NUM_OPTIONS)[offset])

    def count_rank(self, count: int) -> int:
        rng = image_rng(self.seed, self.shard, "ranks", sum(self.ranks.values()))
        feasible = [r for r in range(NUM_OPTIONS) if count - r >= 1]
        order = rng.permutation(feasible).tolist()
        rank = int(min(order, key=lambda r: self.ranks[(count - r, r)]))
        self.ranks[(count - rank, rank)] += 1
        return rank

    def even_answer(self, family: str, answer: str, group: list[str]) -> bool:
        rights = self.rights[family]
        return rights[answer] - min(rights[g] for g in group) < BALANCE_SLACK

    def flattest(self, family: str, names: list[str], k: int) -> list[str]:
        window = names[: k + 1]
        rights, wrongs = self.rights[family], self.wrongs[family]
        # an option's expected share as the answer is 1 in NUM_OPTIONS of its appearances
        excess = {n: rights[n] * (NUM_OPTIONS - 1) - wrongs[n] for n in window}
        return sorted(window, key=lambda n: (-excess[n], window.index(n)))[:k]

    def room_for(self, family: str) -> bool:
        if family in APPEARANCE_FAMILIES:
            return True
        asked = sum(self.asked.values())
        appearance = sum(self.asked[f] for f in APPEARANCE_FAMILIES)
        return appearance >= asked - appearance + 1

    def offered(self, family: str, answer: str, distractors: list[str]) -> None:
        self.asked[family] += 1
        self.rights[family][answer] += 1
        self.wrongs[family].update(distractors)

    def see_image(self, categories: set[str]) -> None:
        for category in categories:
            self.together[category].update(c for c in categories if c != category)

    def cooccurring(self, category: str) -> list[str]:
        return [name for name, _ in self.together[category].most_common()]
