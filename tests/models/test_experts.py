"""The SAM2 and Mask2Former adapters on random tiny transformers models: shapes, loading from a
local folder, and their features feeding the distillation loss."""

from __future__ import annotations

import pytest
import torch

from models.experts import load_expert
from models.model import PixelSAIL
from perbench.errors import PerBenchError

SIDE = 64


def tiny_sam2():
    from transformers import Sam2Config, Sam2Model
    from transformers.models.sam2.configuration_sam2 import Sam2HieraDetConfig, Sam2VisionConfig

    backbone = Sam2HieraDetConfig(
        hidden_size=16,
        image_size=[SIDE, SIDE],
        blocks_per_stage=[1, 1, 1, 1],
        embed_dim_per_stage=[16, 32, 64, 128],
        num_attention_heads_per_stage=[1, 1, 1, 1],
        window_size_per_stage=[4, 4, 4, 4],
        global_attention_blocks=[],
        window_positional_embedding_background_size=[4, 4],
    )
    sizes = [[SIDE // 4] * 2, [SIDE // 8] * 2, [SIDE // 16] * 2]
    vision = Sam2VisionConfig(
        backbone_config=backbone,
        backbone_channel_list=[128, 64, 32, 16],
        backbone_feature_sizes=sizes,
        fpn_hidden_size=8,
    )
    config = Sam2Config(
        vision_config=vision,
        prompt_encoder_config=dict(hidden_size=8, image_size=SIDE, patch_size=16),
        mask_decoder_config=dict(
            hidden_size=8, mlp_dim=16, num_attention_heads=2, iou_head_hidden_dim=8
        ),
    )
    return Sam2Model(config)


def tiny_mask2former():
    from transformers import Mask2FormerConfig, Mask2FormerModel

    backbone = dict(
        model_type="swin",
        embed_dim=8,
        depths=[1, 1, 1, 1],
        num_heads=[1, 1, 1, 1],
        image_size=SIDE,
        window_size=2,
        out_features=["stage1", "stage2", "stage3", "stage4"],
    )
    config = Mask2FormerConfig(
        backbone_config=backbone,
        feature_size=32,  # its pixel decoder's GroupNorm has 32 groups
        mask_feature_size=32,
        hidden_dim=32,
        encoder_feedforward_dim=12,
        encoder_layers=1,
        decoder_layers=1,
        num_queries=2,
        dim_feedforward=12,
        num_attention_heads=2,
    )
    return Mask2FormerModel(config)


@pytest.fixture(scope="module")
def expert_folders(tmp_path_factory):
    root = tmp_path_factory.mktemp("experts")
    tiny_sam2().save_pretrained(root / "sam2")
    tiny_mask2former().save_pretrained(root / "m2f")
    return root


def test_sam2_and_mask2former_adapters_give_encoder_and_pixel_decoder_features(expert_folders):
    pixels = torch.randn(2, 3, 48, 80)
    sam2 = load_expert(f"sam2:{expert_folders / 'sam2'}")
    assert sam2.features(pixels, [])["patch"].shape == (2, 8, SIDE // 16, SIDE // 16)
    both = load_expert([f"sam2:{expert_folders / 'sam2'}", f"mask2former:{expert_folders / 'm2f'}"])
    features = both.features(pixels, [])
    # shortest edge 800 with the aspect kept (48x80 -> 800x1333, padded to 800x1344), cropped
    assert features["pixel"].shape == (2, 32, 200, 333)
    assert not any(p.requires_grad for p in both.module.parameters())
    assert not both.module.training


def test_expert_features_feed_the_distillation_loss(
    expert_folders, samples, codec, make_micro, make_batch
):
    config = make_micro("full", expert_patch_dim=8, expert_pixel_dim=32)
    batch = make_batch(config, codec, samples[:4])
    expert = load_expert(
        [f"sam2:{expert_folders / 'sam2'}", f"mask2former:{expert_folders / 'm2f'}"]
    )
    losses = PixelSAIL(config, codec)(batch, expert.features(batch["pixel_values"], []))
    assert losses["distill"] > 0
    losses["loss"].backward()


def test_bad_expert_specs_are_clear_errors(tmp_path):
    with pytest.raises(PerBenchError, match="unknown expert spec"):
        load_expert("dino:/x")
    with pytest.raises(PerBenchError, match="config.json missing"):
        load_expert(f"sam2:{tmp_path}")


def test_mask2former_input_keeps_the_aspect_at_shortest_edge_800():
    from models.experts import shortest_edge_size

    assert shortest_edge_size(480, 640, 800, 1333, 32) == ((800, 1067), (800, 1088))
    assert shortest_edge_size(1024, 256, 800, 1333, 32) == ((1333, 333), (1344, 352))
