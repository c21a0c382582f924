"""English for drafted texts: number agreement of category names, articles, number words.

API:
  plural(noun)            'chair' -> 'chairs', 'knife' -> 'knives', 'socks' and 'soap' unchanged
  is_plural(noun)         the name already names several things ('hanes socks', 'skis', 'people')
  is_mass(noun)           an uncountable name ('irish spring soap', 'broccoli'): no a/an, no plural
  article(phrase)         'a' or 'an', by the sound of the phrase's first word
  indefinite(phrase, noun)  'a black chair', 'an orange cup', 'measuring spoons', 'green soap'
  be(noun), pronoun(noun)   'is'/'are', 'it'/'they'
  group_word(noun)        'pairs' (scissors, skis, socks...) or 'sets' for plural names
  number_word(n)          'seven' for 0..12, digits above
  capitalize(text)        first letter upper-cased, the rest untouched

Nouns are category names in lower case; their last word (the head) decides the number.
"""

from __future__ import annotations

IRREGULAR_PLURALS = {
    "person": "people",
    "man": "men",
    "woman": "women",
    "child": "children",
    "mouse": "mice",
    "knife": "knives",
    "leaf": "leaves",
    "shelf": "shelves",
    "wolf": "wolves",
    "calf": "calves",
    "foot": "feet",
    "tooth": "teeth",
    "goose": "geese",
}
INVARIANT = {"sheep", "deer", "fish", "bison", "moose", "aircraft", "series", "species", "salmon"}
PLURAL_WITHOUT_S = {"people", "cattle", "police", "men", "women", "children", "mice", "teeth"}
SINGULAR_ENDING_IN_S = {"gas", "lens", "canvas", "atlas", "bias", "chaos", "news", "tennis"}
MASS_NOUNS = {
    "soap", "tape", "wrap", "foil", "water", "broccoli", "cauliflower", "lettuce", "spinach",
    "bread", "rice", "pasta", "cheese", "meat", "food", "paper", "cardboard", "grass", "sand",
    "snow", "dirt", "gravel", "popcorn", "butter", "sugar", "salt", "flour", "yogurt", "cereal",
    "garlic", "celery", "corn", "ham", "bacon", "honey", "jam", "sauce", "soup", "milk", "juice",
    "coffee", "tea", "clothing", "furniture", "luggage", "foliage", "fur", "hair", "toast",
}  # fmt: skip
PAIR_HEADS = {
    "scissors", "skis", "glasses", "sunglasses", "goggles", "pants", "jeans", "shorts",
    "trousers", "socks", "shoes", "boots", "gloves", "sandals", "slippers", "tongs", "pliers",
}  # fmt: skip
# first words spelled with a vowel but sounding a consonant, and the reverse
CONSONANT_SOUND_PREFIXES = ("uni", "use", "usu", "uti", "uro", "eu", "one", "once", "ewe")
VOWEL_SOUND_WORDS = {"hour", "hours", "honest", "honor", "honour", "heir"}
VOWEL_SOUND_LETTERS = set("aefhilmnorsx")
NUMBER_WORDS = (
    "zero", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "eleven", "twelve",
)  # fmt: skip


def _split(noun: str) -> tuple[str, str]:
    """('irish spring ', 'soap'): everything before the head word, and the head."""
    head = noun.rsplit(" ", 1)[-1]
    return noun[: len(noun) - len(head)], head


def is_mass(noun: str) -> bool:
    return _split(noun)[1] in MASS_NOUNS


def is_plural(noun: str) -> bool:
    head = _split(noun)[1]
    if head in PLURAL_WITHOUT_S:
        return True
    if head in INVARIANT or head in SINGULAR_ENDING_IN_S or head in MASS_NOUNS:
        return False
    return head.endswith("s") and not head.endswith(("ss", "us", "is"))


def plural(noun: str) -> str:
    """English plural of a category noun (plural and mass names stay as they are)."""
    stem, head = _split(noun)
    if is_plural(noun) or is_mass(noun) or head in INVARIANT:
        return noun
    if head in IRREGULAR_PLURALS:
        return stem + IRREGULAR_PLURALS[head]
    if head.endswith(("s", "x", "z", "ch", "sh")):
        return noun + "es"
    if head.endswith("y") and head[-2:-1] not in "aeiou":
        return noun[:-1] + "ies"
    return noun + "s"


def article(phrase: str) -> str:
    """``a`` or ``an`` for the phrase's first word ('an orange', 'a uniform', 'an hour', 'a tv')."""
    word = phrase.split(" ", 1)[0].lower()
    if not word:
        return "a"
    if word in VOWEL_SOUND_WORDS:
        return "an"
    if not any(c in "aeiouy" for c in word) and word.isalpha():
        # an initialism, read letter by letter: 'a tv', 'an sd card'
        return "an" if word[0] in VOWEL_SOUND_LETTERS else "a"
    if word.startswith(CONSONANT_SOUND_PREFIXES):
        return "a"
    return "an" if word[0] in "aeiou" else "a"


def indefinite(phrase: str, noun: str) -> str:
    """``phrase`` (ending in ``noun``) with the article its number needs, if any."""
    if is_plural(noun) or is_mass(noun):
        return phrase
    return f"{article(phrase)} {phrase}"


def be(noun: str) -> str:
    return "are" if is_plural(noun) else "is"


def pronoun(noun: str) -> str:
    return "they" if is_plural(noun) else "it"


def group_word(noun: str) -> str:
    """What one instance of a plural or mass name is a unit of: pairs, sets, pieces."""
    if is_mass(noun):
        return "pieces"
    return "pairs" if _split(noun)[1] in PAIR_HEADS else "sets"


def number_word(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else str(n)


def capitalize(text: str) -> str:
    return text[:1].upper() + text[1:]
