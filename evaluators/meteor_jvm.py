"""METEOR 1.5 (the Java scorer shipped in pycocoevalcap), one JVM per evaluation.

API:
  MeteorJVM()                   starts ``java -jar meteor-1.5.jar - - -stdio -l en -norm``
    .stats(hypothesis, references) -> str   one segment's statistics line, as the scorer wrote it
    .scores(stats_lines)           -> (per-segment scores, aggregate score)
    .close()                       (also a context manager)
  one_line(text) -> str         the text as one protocol line (see below)
  too_long(hypothesis) -> str | None      why a hypothesis is refused before scoring, or None
  MeteorFailed                  the scorer died or stopped answering on one request
  meteor15(hypotheses, references) -> (corpus score, per-sample scores)   pure convenience

The scorer is driven exactly as pycocoevalcap's ``Meteor`` drives it (same jar, arguments and
"SCORE ||| ref ||| ... ||| hyp" / "EVAL ||| stats ||| ..." lines, the hypothesis with '|||'
removed and double spaces halved, references as they are), so scores equal its scores on every
text it accepts, control characters included (U+2028, U+0085, vertical tab, BEL, ESC...).
What it cannot take is changed as little as possible: a raw line break (``\n``, ``\r``) ends
the scorer's input line, so each becomes a space; a lone surrogate cannot be UTF-8 encoded, so
it becomes U+FFFD. The corpus score is the scorer's own aggregate of every segment's statistics
line, sent back to it verbatim in one EVAL request, as ``Meteor().compute_score`` does.

Bounds: the scorer's alignment search grows with the hypothesis (a 75,000-character one runs
the 2 GB JVM out of memory; 1,000 repeats of one word against 100 took 2 minutes and 2.2 GB
on a loaded machine), so a
hypothesis over ``MAX_WORDS`` words or ``MAX_CHARS`` characters is refused before it is sent
(``too_long``). If the process dies or stops answering anyway, the request raises
``MeteorFailed`` and the next request starts a new process.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path

from perbench.errors import DependencyError, PerBenchError

LINE_BREAKS = re.compile(r"[\n\r]")
LONE_SURROGATES = re.compile(r"[\ud800-\udfff]")
MAX_WORDS = 500
MAX_CHARS = 10_000
REQUEST_TIMEOUT_S = 1800  # a guard against a hung scorer, not a speed limit (includes start-up)


class MeteorFailed(PerBenchError):
    """The METEOR process died or stopped answering on one request."""


def one_line(text: str) -> str:
    """``text`` as the scorer can read it: line breaks as spaces, lone surrogates as U+FFFD."""
    return LONE_SURROGATES.sub("\ufffd", LINE_BREAKS.sub(" ", text))


def too_long(hypothesis: str) -> str | None:
    """Why ``hypothesis`` is refused before scoring (over MAX_WORDS / MAX_CHARS), or None."""
    if len(hypothesis) > MAX_CHARS:
        return f"{len(hypothesis)} characters, over the METEOR limit of {MAX_CHARS}"
    words = len(hypothesis.split())
    if words > MAX_WORDS:
        return f"{words} words, over the METEOR limit of {MAX_WORDS}"
    return None


def _jar() -> Path:
    try:
        from pycocoevalcap.meteor import meteor
    except ImportError:
        raise DependencyError(
            "the strict METEOR needs pycocoevalcap", hint="pip install 'perbench[eval]'"
        ) from None
    jar = Path(meteor.__file__).parent / "meteor-1.5.jar"
    if not jar.is_file():
        raise DependencyError("pycocoevalcap's meteor-1.5.jar is missing", where=str(jar))
    return jar


class MeteorJVM:
    """A METEOR 1.5 process, started on first use and again after a failed request."""

    def __init__(self) -> None:
        self.process: subprocess.Popen | None = None
        self._start()

    def _start(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise DependencyError(
                "the strict METEOR needs Java (8 or newer) on PATH",
                hint="apt-get install default-jre-headless",
            )
        jar = _jar()
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [java, "-Dfile.encoding=UTF-8", "-jar", "-Xmx2G", jar.name]
            + ["-", "-", "-stdio", "-l", "en", "-norm"],
            cwd=jar.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def _ask(self, line: str, answers: int) -> list[str]:
        if self.process is None:
            self._start()
        watchdog = threading.Timer(REQUEST_TIMEOUT_S, self.process.kill)
        watchdog.start()
        try:
            self.process.stdin.write(line.encode("utf-8") + b"\n")
            self.process.stdin.flush()
            replies = [
                self.process.stdout.readline().decode("utf-8").strip() for _ in range(answers)
            ]
        except (BrokenPipeError, OSError):
            replies = []
        finally:
            watchdog.cancel()
        if len(replies) != answers or not all(replies):
            self._stderr.seek(0)
            tail = self._stderr.read()[-800:].decode("utf-8", "replace").strip()
            self.close()
            raise MeteorFailed(f"the METEOR 1.5 process stopped answering: {tail or 'no output'}")
        return replies

    def stats(self, hypothesis: str, references: Sequence[str]) -> str:
        """The statistics line of ``hypothesis`` against its references (see ``one_line``)."""
        hypothesis = one_line(hypothesis).replace("|||", "").replace("  ", " ")
        refs = " ||| ".join(one_line(r) for r in references)
        return self._ask(f"SCORE ||| {refs} ||| {hypothesis}", 1)[0]

    def scores(self, stats_lines: Sequence[str]) -> tuple[list[float], float]:
        """Per-line scores and the scorer's aggregate over all lines together."""
        if not stats_lines:
            raise ValueError("no statistics to score")
        body = " ||| ".join(stats_lines)
        replies = self._ask(f"EVAL ||| {body}", len(stats_lines) + 1)
        return [float(r) for r in replies[:-1]], float(replies[-1])

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        try:
            self.process.stdin.close()
        except OSError:  # a dead process's pipe: nothing left to flush to
            pass
        self.process.stdout.close()
        self._stderr.close()
        self.process = None

    def __enter__(self) -> MeteorJVM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def meteor15(
    hypotheses: Sequence[str], references: Sequence[Sequence[str]]
) -> tuple[float, list[float]]:
    """Corpus METEOR 1.5 and per-sample scores, one JVM for all."""
    with MeteorJVM() as jvm:
        stats = [jvm.stats(h, r) for h, r in zip(hypotheses, references, strict=True)]
        per_sample, corpus = jvm.scores(stats)
    return corpus, per_sample
