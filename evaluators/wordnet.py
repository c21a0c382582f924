"""WordNet 3.0 for NLTK's METEOR, assembled offline from Debian's wordnet-base files.

API:
  setup_wordnet(nltk_data=None, source=None) -> Path   write <nltk_data>/corpora/wordnet/
  wordnet_reader() -> WordNetCorpusReader               the WordNet 3.0 NLTK finds (cached)
  DEFAULT_SOURCE                                        /usr/share/wordnet (or $WNSEARCHDIR)

NLTK's reader needs, in ``corpora/wordnet/``: data.*, index.* and *.exc (Debian
``wordnet-base``), index.sense (``wordnet-sense-index``; NLTK reads it when it opens WordNet),
cntlist.rev and ``lexnames``, which Debian does not ship and which is written here from the
lexnames(5WN) table of WordNet 3.0. ``nltk.translate.meteor_score`` only calls
``wordnet.synsets``, so the multilingual omw-1.4 / omw-2.0 data is not needed.
"""

from __future__ import annotations

import os
import shutil
import warnings
from pathlib import Path

from perbench.errors import DependencyError
from perbench.outputs import output_folder

DEFAULT_SOURCE = Path(os.environ.get("WNSEARCHDIR", "/usr/share/wordnet"))
COPIED_FILES = (
    "data.adj",
    "data.adv",
    "data.noun",
    "data.verb",
    "index.adj",
    "index.adv",
    "index.noun",
    "index.verb",
    "adj.exc",
    "adv.exc",
    "noun.exc",
    "verb.exc",
    "cntlist.rev",
    "index.sense",
)
DEBIAN_PACKAGE = {"index.sense": "wordnet-sense-index"}
# lexnames(5WN), WordNet 3.0: file number = position; category 1 noun, 2 verb, 3 adj, 4 adv.
LEXNAMES = (
    "adj.all adj.pert adv.all noun.Tops noun.act noun.animal noun.artifact noun.attribute "
    "noun.body noun.cognition noun.communication noun.event noun.feeling noun.food noun.group "
    "noun.location noun.motive noun.object noun.person noun.phenomenon noun.plant "
    "noun.possession noun.process noun.quantity noun.relation noun.shape noun.state "
    "noun.substance noun.time verb.body verb.change verb.cognition verb.communication "
    "verb.competition verb.consumption verb.contact verb.creation verb.emotion verb.motion "
    "verb.perception verb.possession verb.social verb.stative verb.weather adj.ppl"
).split()
CATEGORY = {"noun": 1, "verb": 2, "adj": 3, "adv": 4}
SETUP_HINT = "run `perbench setup-wordnet` (needs apt packages wordnet-base wordnet-sense-index)"


def default_nltk_data() -> Path:
    """$NLTK_DATA's first folder if set, else ~/nltk_data (both on NLTK's search path)."""
    env = os.environ.get("NLTK_DATA")
    return Path(env.split(os.pathsep)[0]) if env else Path.home() / "nltk_data"


def setup_wordnet(nltk_data: str | Path | None = None, source: str | Path | None = None) -> Path:
    """Copy WordNet 3.0 from ``source`` into ``<nltk_data>/corpora/wordnet`` and check it loads."""
    source = Path(source) if source else DEFAULT_SOURCE
    root = output_folder(Path(nltk_data or default_nltk_data()), "--nltk-data", inner_links=False)
    target = output_folder(root / "corpora" / "wordnet", "--nltk-data")
    missing = [name for name in COPIED_FILES if not (source / name).is_file()]
    if missing:
        packages = sorted({DEBIAN_PACKAGE.get(name, "wordnet-base") for name in missing})
        raise DependencyError(
            f"WordNet files missing: {', '.join(missing)}",
            where=str(source),
            hint=f"apt-get install {' '.join(packages)}, or pass --source DIR",
        )
    staging = target.with_name(".wordnet.partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in COPIED_FILES:
        shutil.copyfile(source / name, staging / name)
    (staging / "lexnames").write_text(
        "".join(
            f"{number:02d}\t{name}\t{CATEGORY[name.split('.')[0]]}\n"
            for number, name in enumerate(LEXNAMES)
        )
    )
    licence = Path("/usr/share/doc/wordnet-base/copyright")
    if licence.is_file():
        shutil.copyfile(licence, staging / "LICENSE")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    version = _check_in_place(target)
    if version != "3.0":
        shutil.rmtree(target, ignore_errors=True)
        raise DependencyError(f"the WordNet in {source} is version {version}, not 3.0")
    _READERS.pop(str(target), None)
    return target


def _check_in_place(target: Path) -> str:
    """Open the new folder the way NLTK will; NLTK re-finds corpora/wordnet on its search path."""
    import nltk.data

    nltk_data = str(target.parent.parent)
    saved = list(nltk.data.path)
    nltk.data.path.insert(0, nltk_data)
    try:
        return _open_reader(target).get_version()
    except (OSError, ValueError, LookupError, AssertionError) as exc:
        shutil.rmtree(target, ignore_errors=True)
        raise DependencyError(
            f"the assembled WordNet does not load: {exc}", where=str(target)
        ) from None
    finally:
        nltk.data.path[:] = saved


def _open_reader(root):
    from nltk.corpus.reader.wordnet import WordNetCorpusReader

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "multilingual functions are not available": not needed
        return WordNetCorpusReader(str(root) if isinstance(root, Path) else root, None)


def find_wordnet():
    """Where NLTK finds ``corpora/wordnet`` (a folder or nltk.download's zip); else an error."""
    try:
        import nltk.data
    except ImportError:
        raise DependencyError(
            "the official METEOR needs nltk", hint="pip install 'perbench[eval]'"
        ) from None
    try:
        return nltk.data.find("corpora/wordnet")
    except LookupError:
        raise DependencyError(
            "NLTK's WordNet 3.0 is not installed (the official METEOR needs it)",
            where="nltk_data: " + os.pathsep.join(str(p) for p in nltk.data.path),
            hint=SETUP_HINT,
        ) from None


_READERS: dict[str, object] = {}


def wordnet_reader():
    """The WordNet 3.0 reader for METEOR (opened once per location: opening takes seconds)."""
    location = find_wordnet()
    key = str(getattr(location, "path", location))
    if key not in _READERS:
        try:
            reader = _open_reader(location)
            version = reader.get_version()
        except (OSError, ValueError, AssertionError) as exc:
            raise DependencyError(f"NLTK's WordNet cannot be read: {exc}", where=key) from None
        if version != "3.0":
            raise DependencyError(
                f"NLTK's WordNet is version {version}; the official METEOR uses 3.0",
                where=key,
                hint=SETUP_HINT,
            )
        _READERS[key] = reader
    return _READERS[key]
