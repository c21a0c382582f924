"""Drafter backed by an OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp, OpenAI...).

API:
  OpenAIDrafter(base_url, model, api_key_env="OPENAI_API_KEY", timeout=120, max_tokens=300,
                retries=2).draft(request) -> str

POSTs ``{base_url}/chat/completions`` with the instruction (drafters.base.instruction) and the
image with the region outlined (perbench.render.marked_image_bytes) as a base64 PNG data URL;
temperature 0. The API key, if any, is read from the environment variable ``api_key_env`` (never
stored in the build). Server errors (5xx) and timeouts are retried ``retries`` times; any other
failure is a DrafterError naming the URL.
"""

from __future__ import annotations

import base64
import json
import os
import time
import urllib.error
import urllib.request
from typing import Any

from builders.drafters.base import Drafter, DrafterError, DraftRequest, instruction
from perbench.render import marked_image_bytes


class OpenAIDrafter(Drafter):
    """Descriptions from a chat model served behind an OpenAI-compatible HTTP API."""

    name = "openai"
    version = "1.0"

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key_env: str = "OPENAI_API_KEY",
        timeout: float = 120.0,
        max_tokens: int = 300,
        retries: int = 2,
    ):
        if not base_url.startswith(("http://", "https://")):
            raise DrafterError(
                f"endpoint URL must start with http:// or https://, got {base_url!r}"
            )
        self.url = base_url.rstrip("/") + "/chat/completions"
        self.model = model
        self.api_key_env = api_key_env
        self.timeout = timeout
        self.max_tokens = max_tokens
        self.retries = retries

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version, "url": self.url, "model": self.model}

    def _payload(self, request: DraftRequest) -> bytes:
        png = marked_image_bytes(request.image, [{"tag": "<region1>", "mask": request.mask}])
        data_url = "data:image/png;base64," + base64.b64encode(png).decode()
        body = {
            "model": self.model,
            "temperature": 0,
            "max_tokens": self.max_tokens,
            "messages": [
                {
                    "role": "user",
                    "content": [
                        {"type": "image_url", "image_url": {"url": data_url}},
                        {"type": "text", "text": instruction(request)},
                    ],
                }
            ],
        }
        return json.dumps(body).encode()

    def _post(self, payload: bytes) -> dict[str, Any]:
        headers = {"Content-Type": "application/json"}
        key = os.environ.get(self.api_key_env)
        if key:
            headers["Authorization"] = f"Bearer {key}"
        for attempt in range(self.retries + 1):
            http_request = urllib.request.Request(
                self.url, data=payload, headers=headers, method="POST"
            )
            try:
                with urllib.request.urlopen(http_request, timeout=self.timeout) as response:
                    return json.loads(response.read().decode("utf-8"))
            except urllib.error.HTTPError as exc:
                detail = exc.read()[:300].decode("utf-8", "replace")
                if exc.code < 500 or attempt == self.retries:
                    raise DrafterError(
                        f"endpoint answered HTTP {exc.code}: {detail}", where=self.url
                    ) from None
            except (urllib.error.URLError, TimeoutError) as exc:
                if attempt == self.retries:
                    reason = getattr(exc, "reason", exc)
                    raise DrafterError(f"endpoint unreachable: {reason}", where=self.url) from None
            except (json.JSONDecodeError, UnicodeDecodeError):
                raise DrafterError(
                    "endpoint answered with something that is not JSON", where=self.url
                ) from None
            time.sleep(0.5 * 2**attempt)

    def draft(self, request: DraftRequest) -> str:
        answer = self._post(self._payload(request))
        try:
            text = answer["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError):
            raise DrafterError(
                f"answer for sample {request.sample_id} has no choices[0].message.content",
                where=self.url,
            ) from None
        if isinstance(text, list):
            text = " ".join(part.get("text", "") for part in text if isinstance(part, dict))
        if not isinstance(text, str) or not text.strip():
            raise DrafterError(f"empty description for sample {request.sample_id}", where=self.url)
        return " ".join(text.split())
