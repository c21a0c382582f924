"""Prompt formats: the text the model reads for each task, and the answer it is trained to give.

API:
  model_prompt(sample)     -> str   the model input text, region tags replaced by <PromptK>
  training_answers(sample) -> list[str]   answer texts to train on (one example each)
  SEG_ANSWER                        the vt_res answer ("[SEG]")

Formats (the same ones the evaluators expect a submission to answer):
  description  the sample's question
  mcq          perbench.prompts.format_mcq_prompt: the question, one line per option
               "A. <option>", then "Answer with the option's letter."; the answer is the letter
  vt_res       the question; the answer is SEG_ANSWER and [SEG]'s hidden state makes the mask
A tag ``<regionK>`` that names ``sample.prompts[i]`` becomes ``<Prompt{i}>`` (0-based index).
"""

from __future__ import annotations

from models.tokenizer import SEG, prompt_token
from perbench.errors import SchemaError
from perbench.prompts import format_mcq_prompt
from perbench.schema import OPTION_LETTERS, Sample

SEG_ANSWER = SEG


def _replace_tags(text: str, sample: Sample) -> str:
    for index, prompt in enumerate(sample.prompts):
        text = text.replace(prompt["tag"], prompt_token(index))
    return text


def model_prompt(sample: Sample) -> str:
    """The input text for ``sample`` (see the module docstring for each task's format)."""
    if sample.task == "mcq":
        if not sample.options:
            raise SchemaError("an mcq sample needs options", where=f"sample {sample.id}")
        text = format_mcq_prompt(sample)
    else:
        text = sample.question
    return _replace_tags(text, sample)


def training_answers(sample: Sample) -> list[str]:
    """The answers to train on: every reference, the correct letter, or the [SEG] answer."""
    if sample.task == "description":
        return list(sample.references or [])
    if sample.task == "mcq":
        if sample.answer is None:
            raise SchemaError("an mcq sample needs an answer", where=f"sample {sample.id}")
        return [OPTION_LETTERS[sample.answer]]
    return [SEG_ANSWER]
