"""Description drafters: a plain registry of the pluggable back-ends.

API:
  DRAFTERS                 name -> class (template, local, openai)
  make_drafter(spec)       spec: {"name": ..., **constructor arguments} -> Drafter

  template   TemplateDrafter()                       offline default, from the derived facts
  local      LocalVlmDrafter(path, max_new_tokens, device)      transformers model from a folder
  openai     OpenAIDrafter(base_url, model, api_key_env, ...)   OpenAI-compatible HTTP endpoint
"""

from __future__ import annotations

from typing import Any

from builders.drafters.base import Drafter, DrafterError
from builders.drafters.local_vlm import LocalVlmDrafter
from builders.drafters.openai_http import OpenAIDrafter
from builders.drafters.template import TemplateDrafter

DRAFTERS: dict[str, type[Drafter]] = {
    "template": TemplateDrafter,
    "local": LocalVlmDrafter,
    "openai": OpenAIDrafter,
}


def make_drafter(spec: dict[str, Any]) -> Drafter:
    """The drafter named by ``spec["name"]``, built with the spec's other keys."""
    options = dict(spec)
    name = options.pop("name", None)
    if name not in DRAFTERS:
        raise DrafterError(f"unknown drafter {name!r}; choose from {sorted(DRAFTERS)}")
    try:
        return DRAFTERS[name](**options)
    except TypeError as exc:
        raise DrafterError(f"bad settings for the {name} drafter: {exc}") from None
