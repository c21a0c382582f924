"""METEOR 1.5 (the Java scorer shipped in pycocoevalcap), one JVM per evaluation.

API:
  MeteorJVM()                   starts ``java -jar meteor-1.5.jar - - -stdio -l en -norm``
    .stats(hypothesis, references) -> str   one segment's statistics line, as the scorer wrote it
    .scores(stats_lines)           -> (per-segment scores, aggregate score)
    .close()                       (also a context manager)
  sanitize(text) -> str         one line, no '|||': what the scorer's pipe protocol can carry
  meteor15(hypotheses, references) -> (corpus score, per-sample scores)   pure convenience

The scorer is driven exactly as pycocoevalcap's ``Meteor`` drives it (same jar, arguments and
"SCORE ||| ref ||| ... ||| hyp" / "EVAL ||| stats ||| ..." lines), so scores agree with it. The
corpus score is the scorer's own aggregate of every segment's statistics line, sent back to it
verbatim in one EVAL request, as ``Meteor().compute_score`` does (summing the lines in Python
and sending one line gives a different figure).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

from perbench.errors import DependencyError, PerBenchError

BREAKS = re.compile(r"[\x00-\x1f\x7f\x85\u2028\u2029]")


def sanitize(text: str) -> str:
    """Newlines and control characters become spaces; '|||' is removed; spaces collapse."""
    return " ".join(BREAKS.sub(" ", text).replace("|||", "").split())


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


# pycocoevalcap's -Xmx2G let the JVM peak at 1.0-1.25 GB on good input; the serial collector
# under 768 MB keeps it near 600 MB with the same scores (benchmarks/RESULTS.md, issue 20)
JVM_MEMORY = ("-Xmx768m", "-XX:+UseSerialGC")


class MeteorJVM:
    """A running METEOR 1.5 process; answers one request line at a time."""

    def __init__(self) -> None:
        java = shutil.which("java")
        if java is None:
            raise DependencyError(
                "the strict METEOR needs Java (8 or newer) on PATH",
                hint="apt-get install default-jre-headless",
            )
        jar = _jar()
        self._stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            [java, "-Dfile.encoding=UTF-8", *JVM_MEMORY, "-jar", jar.name]
            + ["-", "-", "-stdio", "-l", "en", "-norm"],
            cwd=jar.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._stderr,
        )

    def _ask(self, line: str, answers: int) -> list[str]:
        try:
            self.process.stdin.write(line.encode("utf-8") + b"\n")
            self.process.stdin.flush()
            replies = [
                self.process.stdout.readline().decode("utf-8").strip() for _ in range(answers)
            ]
        except (BrokenPipeError, OSError):
            replies = []
        if len(replies) != answers or not all(replies):
            self._stderr.seek(0)
            tail = self._stderr.read()[-800:].decode("utf-8", "replace").strip()
            raise PerBenchError(f"the METEOR 1.5 process stopped answering: {tail or 'no output'}")
        return replies

    def stats(self, hypothesis: str, references: Sequence[str]) -> str:
        """The statistics line of ``hypothesis`` against its references (texts are sanitized)."""
        refs = " ||| ".join(sanitize(r) for r in references)
        return self._ask(f"SCORE ||| {refs} ||| {sanitize(hypothesis)}", 1)[0]

    def scores(self, stats_lines: Sequence[str]) -> tuple[list[float], float]:
        """Per-line scores and the scorer's aggregate over all lines together."""
        if not stats_lines:
            raise ValueError("no statistics to score")
        body = " ||| ".join(stats_lines)
        replies = self._ask(f"EVAL ||| {body}", len(stats_lines) + 1)
        return [float(r) for r in replies[:-1]], float(replies[-1])

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.stdin.close()
            self.process.kill()
            self.process.wait()
        self._stderr.close()

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
