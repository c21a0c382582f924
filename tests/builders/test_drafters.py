"""Drafters: template text, an OpenAI-compatible endpoint (a fake server on 127.0.0.1), and a
local transformers VLM (a tiny randomly initialised LLaVA saved to a temporary folder)."""

from __future__ import annotations

import base64
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from builders.build import build_store
from builders.colors import present_colors
from builders.drafters import make_drafter
from builders.drafters.base import DrafterError, DraftRequest, check_draft
from builders.drafters.template import write_references, write_template
from perbench.sources import ImgvizReader
from perbench.store import CandidateStore


@pytest.fixture(scope="module")
def voc():
    return next(iter(ImgvizReader(("voc",))))


def _request(voc) -> DraftRequest:
    facts = {"category": "bottle", "colors": [["gray", 0.5]], "size": "small", "position": "bottom"}
    return DraftRequest(
        "description-x", voc.load_bytes(), voc.instances[0].mask, facts, write_template(facts)
    )


def test_template_references_come_from_different_plans_and_keep_every_fact():
    facts = {
        "category": "chair",
        "colors": [["black", 0.7], ["gray", 0.25]],
        "named_colors": ["black", "gray"],
        "size": "tiny",
        "position": "top left",
        "count_in_image": 3,
        "size_rank": 1,
        "touching": ["person", "measuring spoons"],
        "salient": {"category": "dining table", "direction": "above", "unique": True},
        "cut_sides": ["left"],
        "texts": ["left chair"],
    }
    text = write_template(facts)
    assert "a black and gray chair " in text.lower() and '"left chair"' in text
    assert "a person and measuring spoons." in text and "the left edge of the" in text
    assert re.search(r"(largest|biggest)\b.* three chairs|three chairs.*(largest|biggest)", text)
    plans = write_references(facts, 3, seed=1)
    assert len(set(plans)) == 3
    assert any(re.search(r"dining table is (below|lower down than) it|(above|higher up than) the "
                         r"dining table", p) for p in plans)  # fmt: skip
    for plan in plans:
        assert "black and gray" in plan and "left" in plan, plan


def test_model_drafts_are_checked_against_the_measurement():
    facts = {"category": "chair", "colors": [["black", 0.9]], "count_in_image": 4}
    flags = check_draft("A red chair, one of three chairs; 4 chairs in all.", facts)
    assert flags == [
        "colour 'red' is not among the measured colours ['black']",
        "says three chairs but 4 are annotated",
    ]
    assert check_draft("A black chair, one of four chairs.", facts) == []
    assert check_draft("A grey chair.", facts) == [
        "colour 'grey' is not among the measured colours ['black']"
    ]


class _FakeChat(BaseHTTPRequestHandler):
    requests: list[dict] = []
    failures_left = 0
    content = "  A grey bottle\n on the table. "

    def do_POST(self):  # noqa: N802 (http.server's name)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "body": body, "auth": self.headers.get("Authorization")}
        )
        if type(self).failures_left:
            type(self).failures_left -= 1
            self.send_response(503)
            self.end_headers()
            return
        answer = {"choices": [{"message": {"role": "assistant", "content": type(self).content}}]}
        data = json.dumps(answer).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def fake_server():
    _FakeChat.requests = []
    _FakeChat.failures_left = 0
    _FakeChat.content = "  A grey bottle\n on the table. "
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1"
    server.shutdown()
    server.server_close()


def test_openai_drafter_against_fake_server(fake_server, voc, monkeypatch):
    monkeypatch.setenv("TEST_KEY", "sk-test")
    _FakeChat.failures_left = 1  # one 503 first: retried
    drafter = make_drafter(
        {"name": "openai", "base_url": fake_server, "model": "m1", "api_key_env": "TEST_KEY"}
    )
    assert drafter.draft(_request(voc)) == "A grey bottle on the table."
    sent = _FakeChat.requests[-1]
    assert sent["path"] == "/v1/chat/completions" and sent["auth"] == "Bearer sk-test"
    assert sent["body"]["model"] == "m1" and sent["body"]["temperature"] == 0
    content = sent["body"]["messages"][0]["content"]
    image_url = next(c for c in content if c["type"] == "image_url")["image_url"]["url"]
    assert base64.b64decode(image_url.split(",", 1)[1])[:4] == b"\x89PNG"
    assert "bottle" in next(c for c in content if c["type"] == "text")["text"]


def test_openai_drafter_errors_name_the_url(voc):
    drafter = make_drafter(
        {"name": "openai", "base_url": "http://127.0.0.1:9/v1", "model": "m", "retries": 0}
    )
    with pytest.raises(
        DrafterError, match=r"127.0.0.1:9/v1/chat/completions: endpoint unreachable"
    ):
        drafter.draft(_request(voc))
    with pytest.raises(DrafterError, match="must start with http"):
        make_drafter({"name": "openai", "base_url": "ftp://x", "model": "m"})
    with pytest.raises(DrafterError, match="unknown drafter"):
        make_drafter({"name": "gpt"})


def test_build_with_the_endpoint_drafter(fake_server, tmp_path):
    config = {
        "tasks": ["description"],
        "drafter": {"name": "openai", "base_url": fake_server, "model": "m"},
    }
    summary = build_store(
        [ImgvizReader(("arc2017",))], tmp_path / "s.db", config=config, progress=False
    )
    store = CandidateStore(tmp_path / "s.db")
    assert summary["tasks"] == {"description": 8}
    sample = next(store.candidates("description"))
    assert sample.references[0].startswith("A grey bottle on the table.")
    assert len(sample.references) == 3 and sample.meta["drafter"]["model"] == "m"
    # the measured facts travel in the prompt; the same text for every object is made unique
    prompt = _FakeChat.requests[-1]["body"]["messages"][0]["content"][1]["text"]
    assert '"named_colors"' in prompt and "do not contradict them" in prompt
    texts = [ref for s in store.candidates("description") for ref in s.references]
    assert len(texts) == len(set(texts))
    assert store.info()["builders"]["drafter:openai"] == "1.0"


def _measured(prompt: str) -> dict:
    """The facts a drafter's instruction carries (drafters.base.instruction)."""
    return json.loads(re.search(r"Measured \(JSON\): (\{.*\})\. A plain draft", prompt).group(1))


def _assert_flagged(store, color: str, drafter: str) -> None:
    """Each draft naming ``color`` is flagged exactly where the region lacks it."""
    flagged = 0
    for sample in store.candidates("description"):
        present = present_colors([tuple(c) for c in sample.meta["attributes"]["colors"]])
        expected = [] if color in present else [f"colour '{color}'"]
        flags = [f.split(" is not")[0] for f in sample.meta["flags"]]
        assert flags == expected, (sample.id, present, sample.meta["flags"])
        assert sample.meta["drafter"]["name"] == drafter
        flagged += bool(flags)
    assert flagged >= 3


def test_endpoint_draft_with_a_wrong_colour_is_flagged_on_the_candidate(fake_server, tmp_path):
    _FakeChat.content = "A bright green object with a grey lid."
    config = {
        "tasks": ["description"],
        "drafter": {"name": "openai", "base_url": fake_server, "model": "m"},
    }
    build_store([ImgvizReader(("arc2017",))], tmp_path / "s.db", config=config, progress=False)
    store = CandidateStore(tmp_path / "s.db")
    sent = [_measured(r["body"]["messages"][0]["content"][1]["text"]) for r in _FakeChat.requests]
    for sample in store.candidates("description"):
        claims = sample.meta["claims"]
        assert sample.references[0].startswith("A bright green object with a grey lid.")
        wanted = {k: claims[k] for k in ("category", "size", "position", "cut_sides")}
        assert any(all(facts.get(k, []) == v for k, v in wanted.items()) for facts in sent)
        present = present_colors([tuple(c) for c in sample.meta["attributes"]["colors"]])
        said = {"green", "gray"} - present
        assert len(sample.meta["flags"]) == len(said), (sample.meta["flags"], present)
    assert sum(bool(s.meta["flags"]) for s in store.candidates("description")) >= 3


def _tiny_llava(folder, always: str | None = None):
    """A tiny random LLaVA; with ``always``, greedy decoding writes that word at every step
    (it is token 0 and the output layer is zero, so every logit ties)."""
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from tokenizers import Tokenizer, models, pre_tokenizers

    words = ["<unk>", "<s>", "</s>", "<image>", "USER:", "ASSISTANT:"] + [
        f"w{i}" for i in range(58)
    ]
    if always:
        words = [always, *words[:-1]]
    backend = Tokenizer(models.WordLevel({w: i for i, w in enumerate(words)}, unk_token="<unk>"))
    backend.pre_tokenizer = pre_tokenizers.Whitespace()
    tokenizer = transformers.PreTrainedTokenizerFast(
        tokenizer_object=backend,
        unk_token="<unk>",
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<unk>",
    )
    tokenizer.add_special_tokens({"additional_special_tokens": ["<image>"]})
    template = (
        "{% for m in messages %}USER: {% for c in m['content'] %}"
        "{% if c['type'] == 'image' %}<image> {% else %}{{ c['text'] }}{% endif %}"
        "{% endfor %}{% endfor %} ASSISTANT:"
    )
    processor = transformers.LlavaProcessor(
        image_processor=transformers.CLIPImageProcessor(
            size={"shortest_edge": 28}, crop_size={"height": 28, "width": 28}
        ),
        tokenizer=tokenizer,
        patch_size=14,
        vision_feature_select_strategy="default",
        chat_template=template,
        num_additional_image_tokens=1,
    )
    config = transformers.LlavaConfig(
        vision_config=transformers.CLIPVisionConfig(
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            image_size=28,
            patch_size=14,
        ),
        text_config=transformers.LlamaConfig(
            vocab_size=len(tokenizer),
            hidden_size=16,
            intermediate_size=32,
            num_hidden_layers=1,
            num_attention_heads=2,
            num_key_value_heads=2,
        ),
        image_token_index=tokenizer.convert_tokens_to_ids("<image>"),
    )
    torch.manual_seed(0)
    model = transformers.LlavaForConditionalGeneration(config)
    if always:
        with torch.no_grad():
            model.lm_head.weight.zero_()
    model.save_pretrained(folder)
    processor.save_pretrained(folder)


def test_local_vlm_drafter_loads_from_a_folder(tmp_path, voc):
    _tiny_llava(tmp_path / "tiny")
    drafter = make_drafter({"name": "local", "path": str(tmp_path / "tiny"), "max_new_tokens": 6})
    text = drafter.draft(_request(voc))
    assert isinstance(text, str) and text.strip() and drafter.describe()["path"].endswith("tiny")


def test_local_vlm_draft_gets_the_measurement_and_a_wrong_colour_is_flagged(tmp_path, monkeypatch):
    import transformers

    _tiny_llava(tmp_path / "tiny", always="red")
    prompts = []
    original = transformers.LlavaProcessor.apply_chat_template

    def recording(self, messages, **kwargs):
        prompts.append(messages[0]["content"][1]["text"])
        return original(self, messages, **kwargs)

    monkeypatch.setattr(transformers.LlavaProcessor, "apply_chat_template", recording)
    drafter = {"name": "local", "path": str(tmp_path / "tiny"), "max_new_tokens": 3}
    config = {"tasks": ["description"], "drafter": drafter}
    build_store([ImgvizReader(("arc2017",))], tmp_path / "s.db", config=config, progress=False)
    store = CandidateStore(tmp_path / "s.db")
    sent = [_measured(p) for p in prompts]
    assert len(sent) == store.count("description")
    for sample in store.candidates("description"):
        claims = sample.meta["claims"]
        assert sample.references[0].startswith("red red red")
        assert any(
            f.get("named_colors", []) == claims["named_colors"]
            and f["category"] == claims["category"]
            and f["position"] == claims["position"]
            for f in sent
        )
    _assert_flagged(store, "red", "local")


def test_local_vlm_drafter_errors(tmp_path):
    with pytest.raises(DrafterError, match="config.json missing"):
        make_drafter({"name": "local", "path": str(tmp_path)})
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(DrafterError, match="cannot load an image-text-to-text model"):
        make_drafter({"name": "local", "path": str(tmp_path)})
