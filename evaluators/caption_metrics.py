"""The authors' description post-processing and their secondary figures, BLEU and CIDEr.

API:
  official_postprocess(text) -> str        ``<Prompt0>`` and ``<|endoftext|>`` removed, trimmed
  official_bleu(prediction, truth) -> float
      NLTK ``sentence_bleu([prediction.split()], truth.split())`` (default weights, no smoothing)
  ptb_tokenize(texts) -> list[str]         Stanford PTBTokenizer (the jar pycocoevalcap ships),
                                           ``-preserveLines -lowerCase``, punctuation tokens removed
  official_cider(predictions, truths) -> float
      pycocoevalcap ``Cider`` on PTB-tokenized texts, each prediction as the *reference* and
      its ground truth as the *candidate*

Sources (bytedance/Sa2VA ``sa2va_eval/projects/ST/eval/``): the post-processing is the one
``stbench_detailed_cap_eval.py`` applies to a generated description before saving it; BLEU and
CIDEr are what ``metrics_cider_meteor.py`` prints beside METEOR, with the same swapped argument
order as its METEOR. The tokenizer is run as pycocoevalcap runs it, except that its input file
goes to a temporary folder instead of pycocoevalcap's own package folder.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
import warnings
from collections.abc import Sequence
from pathlib import Path

from perbench.errors import DependencyError, PerBenchError

STRIPPED_TOKENS = ("<Prompt0>", "<|endoftext|>")
PTB_CLASS = "edu.stanford.nlp.process.PTBTokenizer"


def official_postprocess(text: str) -> str:
    for token in STRIPPED_TOKENS:
        text = text.replace(token, "")
    return text.strip()


def official_bleu(prediction: str, truth: str) -> float:
    from nltk.translate.bleu_score import sentence_bleu

    with warnings.catch_warnings():  # NLTK warns on every n-gram order without overlap
        warnings.simplefilter("ignore")
        return float(sentence_bleu([prediction.split()], truth.split()))


def _tokenizer_jar() -> tuple[str, Path, list[str]]:
    try:
        from pycocoevalcap.tokenizer import ptbtokenizer
    except ImportError:
        raise DependencyError(
            "the official CIDEr needs pycocoevalcap", hint="pip install 'perbench[eval]'"
        ) from None
    java = shutil.which("java")
    if java is None:
        raise DependencyError(
            "the official CIDEr needs Java (8 or newer) on PATH for the PTB tokenizer",
            hint="apt-get install default-jre-headless",
        )
    jar = Path(ptbtokenizer.__file__).parent / ptbtokenizer.STANFORD_CORENLP_3_4_1_JAR
    if not jar.is_file():
        raise DependencyError("pycocoevalcap's Stanford CoreNLP jar is missing", where=str(jar))
    return java, jar, list(ptbtokenizer.PUNCTUATIONS)


def ptb_tokenize(texts: Sequence[str]) -> list[str]:
    """One tokenized line per text (one JVM for all of them)."""
    if not texts:
        return []
    java, jar, punctuation = _tokenizer_jar()
    with tempfile.TemporaryDirectory(prefix="perbench-ptb-") as folder:
        source = Path(folder) / "sentences.txt"
        source.write_bytes("\n".join(t.replace("\n", " ") for t in texts).encode("utf-8"))
        done = subprocess.run(
            [java, "-cp", str(jar), PTB_CLASS, "-preserveLines", "-lowerCase", str(source)],
            capture_output=True,
            check=False,
        )
    if done.returncode != 0:
        raise PerBenchError(
            "the PTB tokenizer failed: " + done.stderr.decode("utf-8", "replace")[-500:]
        )
    lines = done.stdout.decode("utf-8").split("\n")
    if len(lines) < len(texts):
        raise PerBenchError(f"the PTB tokenizer returned {len(lines)} lines for {len(texts)} texts")
    drop = set(punctuation)
    return [
        " ".join(w for w in line.rstrip().split(" ") if w not in drop)
        for line in lines[: len(texts)]
    ]


def official_cider(predictions: Sequence[str], truths: Sequence[str]) -> float:
    """Corpus CIDEr of the authors' script: its document frequencies come from the predictions."""
    from pycocoevalcap.cider.cider import Cider

    tokens = ptb_tokenize([*predictions, *truths])
    count = len(predictions)
    references = {i: [tokens[i]] for i in range(count)}
    candidates = {i: [tokens[count + i]] for i in range(count)}
    score, _ = Cider().compute_score(references, candidates)
    return float(score)
