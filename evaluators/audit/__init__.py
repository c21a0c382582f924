"""The validity audit: how far a candidate store or a release can be trusted.

Modules (one concept each):
  stats           proportions and means with 95% intervals and n
  folds           GroupKFold by image; the text-only n-gram classifier
  mcq_items       MCQ items (rotations folded), answer-letter balance, repeated items
  mcq_blind       text-only MCQ baselines (heuristics + learned)
  vtres_geometry  the audit's own mask-based reading of V-T RES relations
  vtres           vacuity, target-count leakage, ambiguity re-check
  descriptions    duplicate references, wording diversity, reference counts
  lookfree        METEOR of a description written from the prompt's geometry alone
  review          review coverage, k-of-n, agreement
  gates           release gates and their thresholds (GateConfig)
  summary         manifest / card / printed forms of a report
  report          validity.json + validity.md + plots
  run             audit_store / audit_release / audit_path / release_gate
  cli             ``perbench audit``
"""
