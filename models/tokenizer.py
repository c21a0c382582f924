"""Text codec: a transformers fast tokenizer plus the model's special tokens.

API:
  SPECIAL_TOKENS                 pad, end, answer marker, [SEG], <NO_Prompt> (stands for a
                                 region past the prompt limit); prompt tokens come from
  prompt_token(k)                "<Prompt{k}>" (k is the 0-based index in ``sample.prompts``)
  TextCodec.build(texts, vocab_size, max_prompts)   byte-level BPE trained offline on ``texts``
  TextCodec.from_pretrained(path, max_prompts)      any local HF tokenizer folder (Qwen2.5...)
  TextCodec.load(path) / codec.save(path)
  codec.encode(text) -> list[int]; codec.decode(ids) -> str (special tokens dropped)
  codec.pad_id, end_id, answer_id, seg_id, prompt_ids (list, index k = <Promptk>), len(codec)

Nothing is downloaded: a from-scratch run builds its tokenizer from the training texts.
"""

from __future__ import annotations

import json
from pathlib import Path

from perbench.errors import DependencyError, PerBenchError

PAD, END, ANSWER, SEG = "<|pad|>", "<|end|>", "<|answer|>", "[SEG]"
NO_PROMPT = "<NO_Prompt>"
SPECIAL_TOKENS = (PAD, END, ANSWER, SEG, NO_PROMPT)
CODEC_FILE = "perbench_codec.json"


def prompt_token(index: int) -> str:
    return f"<Prompt{index}>"


class TextCodec:
    """Wraps a ``PreTrainedTokenizerFast`` that knows the special tokens above."""

    def __init__(self, tokenizer, max_prompts: int):
        self.tokenizer = tokenizer
        self.max_prompts = max_prompts
        specials = list(SPECIAL_TOKENS) + [prompt_token(k) for k in range(max_prompts)]
        tokenizer.add_tokens(specials, special_tokens=True)
        tokenizer.pad_token = PAD
        ids = tokenizer.convert_tokens_to_ids(specials)
        self.pad_id, self.end_id, self.answer_id, self.seg_id, self.no_prompt_id = ids[:5]
        self.prompt_ids: list[int] = ids[5:]

    @classmethod
    def build(cls, texts: list[str], vocab_size: int = 2000, max_prompts: int = 15) -> TextCodec:
        """A byte-level BPE tokenizer trained on ``texts`` (any text still encodes)."""
        from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
        from transformers import PreTrainedTokenizerFast

        tokenizer = Tokenizer(models.BPE())
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
        tokenizer.decoder = decoders.ByteLevel()
        trainer = trainers.BpeTrainer(
            vocab_size=vocab_size,
            special_tokens=list(SPECIAL_TOKENS),
            initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
            show_progress=False,
        )
        tokenizer.train_from_iterator(texts, trainer=trainer)
        return cls(PreTrainedTokenizerFast(tokenizer_object=tokenizer), max_prompts)

    @classmethod
    def from_pretrained(cls, path: str | Path, max_prompts: int = 15) -> TextCodec:
        """A local HF tokenizer folder (never the hub); the special tokens are added to it."""
        from transformers import AutoTokenizer

        path = Path(path)
        if not path.is_dir():
            raise DependencyError(
                "tokenizer folder not found", where=str(path), hint="pass a local HF folder"
            )
        try:
            tokenizer = AutoTokenizer.from_pretrained(str(path), local_files_only=True)
        except (OSError, ValueError) as exc:
            raise PerBenchError(f"cannot load the tokenizer: {exc}", where=str(path)) from None
        return cls(tokenizer, max_prompts)

    @classmethod
    def load(cls, path: str | Path) -> TextCodec:
        """A codec saved by ``save`` (special tokens already present)."""
        from transformers import PreTrainedTokenizerFast

        path = Path(path)
        for name in ("tokenizer.json", CODEC_FILE):
            if not (path / name).is_file():
                raise PerBenchError(f"{name} is missing", where=str(path))
        tokenizer = PreTrainedTokenizerFast.from_pretrained(str(path), local_files_only=True)
        max_prompts = json.loads((path / CODEC_FILE).read_text())["max_prompts"]
        return cls(tokenizer, max_prompts)

    def save(self, path: str | Path) -> None:
        self.tokenizer.save_pretrained(str(path))
        (Path(path) / CODEC_FILE).write_text(json.dumps({"max_prompts": self.max_prompts}))

    def __len__(self) -> int:
        return len(self.tokenizer)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False)

    def decode(self, ids: list[int]) -> str:
        return self.tokenizer.decode(ids, skip_special_tokens=True).strip()
