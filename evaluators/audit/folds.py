"""Cross-validation grouped by image, and the text-only classifier the blind baselines share.

API:
  group_folds(groups, n_splits=5) -> list[(train_idx, test_idx)]   no group on both sides;
                                     empty when fewer than two groups exist
  text_model() -> sklearn Pipeline  TF-IDF word 1-2-grams + char 2-4-grams -> logistic regression
  cross_val_labels(texts, labels, groups, progress=False) -> list[label]   out-of-fold
                                     predictions (a fold whose training side holds one label
                                     predicts that label)

Text only: nothing here sees an image, so whatever these models score is a shortcut.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from tqdm import tqdm

N_SPLITS = 5


def group_folds(groups: Sequence[str], n_splits: int = N_SPLITS) -> list[tuple[np.ndarray, ...]]:
    """GroupKFold splits of ``len(groups)`` rows; every group lies wholly on one side."""
    from sklearn.model_selection import GroupKFold

    k = min(n_splits, len(set(groups)))
    if k < 2:
        return []
    rows = np.zeros((len(groups), 1))
    return [(train, test) for train, test in GroupKFold(n_splits=k).split(rows, groups=groups)]


def text_model():
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline, make_union

    features = make_union(
        TfidfVectorizer(analyzer="word", ngram_range=(1, 2), token_pattern=r"[A-Za-z0-9<>]+"),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4)),
    )
    return make_pipeline(features, LogisticRegression(max_iter=1000))


def cross_val_labels(
    texts: Sequence[str],
    labels: Sequence[str],
    groups: Sequence[str],
    progress: bool = False,
    desc: str = "text-only folds",
) -> list[str] | None:
    """Out-of-fold predicted label of every row; None when there are fewer than two groups."""
    folds = group_folds(groups)
    if not folds:
        return None
    predicted: list[str] = [""] * len(texts)
    texts_array = np.asarray(texts, dtype=object)
    labels_array = np.asarray(labels, dtype=object)
    for train, test in tqdm(folds, desc=desc, disable=not progress, unit="fold"):
        seen = sorted(set(labels_array[train]))
        if len(seen) == 1:
            guesses = [seen[0]] * len(test)
        else:
            model = text_model().fit(list(texts_array[train]), list(labels_array[train]))
            guesses = model.predict(list(texts_array[test]))
        for row, guess in zip(test, guesses, strict=True):
            predicted[row] = str(guess)
    return predicted
