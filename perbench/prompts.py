"""The text a model is given for a sample (shared by the models and the evaluators).

API:
  format_mcq_prompt(sample) -> str

Layout (options lettered A, B, C... in the release's order, one per line):

    <question>
    A. <option 1>
    B. <option 2>
    ...
    Answer with the option's letter.
"""

from __future__ import annotations

from perbench.schema import OPTION_LETTERS, Sample

MCQ_INSTRUCTION = "Answer with the option's letter."


def format_mcq_prompt(sample: Sample) -> str:
    """The question followed by its lettered options and the answer instruction."""
    lines = [sample.question.strip()]
    lines += [f"{OPTION_LETTERS[i]}. {option}" for i, option in enumerate(sample.options or [])]
    lines.append(MCQ_INSTRUCTION)
    return "\n".join(lines)
