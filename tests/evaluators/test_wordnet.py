"""setup-wordnet builds NLTK's WordNet 3.0 offline; without it the official METEOR says so."""

from __future__ import annotations

import nltk.data
import pytest

from evaluators import wordnet as wn
from evaluators.text_metrics import OfficialMeteor
from perbench.cli import main
from perbench.errors import DependencyError


def test_built_wordnet_serves_meteor(wordnet):
    reader = wn.wordnet_reader()
    assert reader.get_version() == "3.0"
    assert "chair" in {lemma.name() for s in reader.synsets("chair") for lemma in s.lemmas()}
    lexnames = (wordnet / "corpora" / "wordnet" / "lexnames").read_text().splitlines()
    assert len(lexnames) == 45 and lexnames[3] == "03\tnoun.Tops\t1"
    assert not (wordnet / "corpora" / "omw-1.4").exists()  # METEOR needs no omw data


def test_missing_wordnet_is_a_clear_error(monkeypatch, tmp_path, samples):
    monkeypatch.setattr(nltk.data, "path", [str(tmp_path)])
    with pytest.raises(DependencyError, match="perbench setup-wordnet"):
        wn.wordnet_reader()
    metric = OfficialMeteor()
    sample = next(s for s in samples if s.task == "description")
    with pytest.raises(DependencyError, match="WordNet 3.0 is not installed"):
        metric.update(sample, "a chair")


def test_cli_reports_missing_debian_files(tmp_path, capsys):
    code = main(["setup-wordnet", "--nltk-data", str(tmp_path), "--source", str(tmp_path)])
    assert code == 2
    err = capsys.readouterr().err
    assert "apt-get install wordnet-base wordnet-sense-index" in err and "Traceback" not in err


def test_cli_builds(tmp_path, capsys):
    assert main(["setup-wordnet", "--nltk-data", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "WordNet 3.0 written" in out and f"NLTK_DATA={tmp_path}" in out
    assert (tmp_path / "corpora" / "wordnet" / "index.sense").is_file()
