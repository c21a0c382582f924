"""PerBench evaluators: read a submission, score it by a protocol, write results, rank them.

API (model authors and the CLI):
  api.evaluate(release, predictions_path, model, revision=None, protocol="strict",
               out_dir=None, allow_missing=False, tasks=None, shard=None) -> results dict
  api.merge_partials(partial_paths, out_dir=None) -> results dict   (--shard i/n, --merge)
  predictor.Predictor                     protocol: predict(sample) -> prediction
  predictor.predict_release(release, predictor, predictions_path, resume=True) -> Path
  predictor.predict_and_evaluate(release, predictor, predictions_path, model, ...) -> results
  baselines.BASELINES, baselines.run_baselines(release_path, out_dir, protocol) -> [Path]
  leaderboard.build_leaderboard(result_paths, out_dir) -> {"markdown", "csv", "html", "charts"}
  wordnet.setup_wordnet(nltk_data=None, source=None) -> Path   (perbench setup-wordnet)
  export_lmms.export_lmms(release, out_dir, protocol) -> [Path]     (perbench export lmms-eval)
  export_vlmevalkit.export_vlmevalkit(release, out_dir) -> [Path]   (perbench export vlmevalkit)
  export_vlmevalkit.convert_predictions(release, files, out_path) -> int
  hub_results.write_eval_results(result_paths, out_dir, dataset_id) -> [Path]

Parts:
  submission      streaming reader/checker of predictions (line numbers, sample ids)
  metric          sum-reducible metric state (shards add up exactly)
  protocols       PROTOCOLS["strict" | "official"][task] -> metric class; overall()
  text_metrics    METEOR: NLTK (official) and METEOR 1.5 via meteor_jvm (strict)
  caption_metrics the authors' post-processing, BLEU and CIDEr (official, secondary figures)
  lmms_tasks      lmms-eval task functions over the project's metrics
  mcq_metrics     substring rule (official); option extraction + circular (strict)
  mask_metrics    first-mask pairs (official); union vs union, P@0.5/0.7/0.9, N-acc/T-acc
  scoring         one shard of a release against a submission
  results         results JSON + per-sample JSONL, Table 3 print
  reported        the paper's Table 3 rows (reported, with citation)
  cli, leaderboard_cli, wordnet_cli, export_cli
                  ``perbench evaluate | leaderboard | setup-wordnet | export``

Abbreviations: METEOR (Metric for Evaluation of Translation with Explicit ORdering), Acc MCQ
accuracy, IoU intersection over union, cIoU cumulative IoU (sum I / sum U), gIoU mean
per-sample IoU, N-acc / T-acc no-target / target accuracy, P@t precision at IoU t.
"""
