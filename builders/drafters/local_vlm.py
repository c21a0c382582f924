"""Drafter backed by a local vision-language model, loaded with transformers from a folder.

API:
  LocalVlmDrafter(path, max_new_tokens=200, device="cpu").draft(request) -> str

``path`` is a folder the user gives (``save_pretrained`` layout) holding an image-text-to-text
model (``AutoModelForImageTextToText``) and its processor with a chat template; nothing is
downloaded (``local_files_only``). The model sees the image with the region outlined
(perbench.render.marked_image_bytes) and the instruction of drafters.base; decoding is greedy.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from builders.drafters.base import Drafter, DrafterError, DraftRequest, instruction
from perbench.errors import DependencyError
from perbench.render import marked_image_bytes


class LocalVlmDrafter(Drafter):
    """Descriptions from a local transformers vision-language model (greedy decoding)."""

    name = "local"
    version = "1.0"

    def __init__(self, path: str | Path, max_new_tokens: int = 200, device: str = "cpu"):
        self.path = Path(path)
        self.max_new_tokens = max_new_tokens
        self.device = device
        if not (self.path / "config.json").is_file():
            raise DrafterError(
                "no model here (config.json missing)",
                where=str(self.path),
                hint="give a folder written by save_pretrained holding the model and its processor",
            )
        try:
            import torch  # noqa: F401
            from transformers import AutoModelForImageTextToText, AutoProcessor
        except ImportError:
            raise DependencyError(
                "the local drafter needs torch and transformers",
                hint="pip install 'perbench[model]'",
            ) from None
        try:
            self.processor = AutoProcessor.from_pretrained(self.path, local_files_only=True)
            self.model = AutoModelForImageTextToText.from_pretrained(
                self.path, local_files_only=True
            )
        except (OSError, ValueError, KeyError) as exc:
            raise DrafterError(
                f"cannot load an image-text-to-text model: {exc}", where=str(self.path)
            ) from None
        if getattr(self.processor, "chat_template", None) is None:
            raise DrafterError("the processor has no chat template", where=str(self.path))
        self.model.to(device).eval()

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "path": str(self.path)}

    def draft(self, request: DraftRequest) -> str:
        import torch
        from PIL import Image

        png = marked_image_bytes(request.image, [{"tag": "<region1>", "mask": request.mask}])
        with Image.open(io.BytesIO(png)) as opened:
            image = opened.convert("RGB")
        messages = [
            {
                "role": "user",
                "content": [{"type": "image"}, {"type": "text", "text": instruction(request)}],
            }
        ]
        prompt = self.processor.apply_chat_template(messages, add_generation_prompt=True)
        inputs = self.processor(images=[image], text=[prompt], return_tensors="pt").to(self.device)
        with torch.inference_mode():
            output = self.model.generate(
                **inputs, max_new_tokens=self.max_new_tokens, do_sample=False
            )
        new_tokens = output[0, inputs["input_ids"].shape[1] :]
        text = self.processor.decode(new_tokens, skip_special_tokens=True)
        text = " ".join(text.split())
        if not text:
            raise DrafterError(
                f"the model wrote nothing for sample {request.sample_id}", where=str(self.path)
            )
        return text
