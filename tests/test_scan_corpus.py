"""Precision and recall of the leak scanner on the seeded corpus, in every mode.

The corpus (tests/scan_corpus.py) is a git repository with credentials planted in ~40
forms and ~90 decoys; its answer key stays outside the scanned tree.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from scan_corpus import build_repo, score

from keysafe.scan import Options, scan_history, scan_paths, scan_staged
from keysafe.scan import runner

KEYSAFE = str(Path(sys.executable).with_name("keysafe"))
THRESHOLD = 0.98
SEEDS = (20260412, 7)


@pytest.fixture(scope="module", params=SEEDS)
def corpus(request, tmp_path_factory):
    base = tmp_path_factory.mktemp(f"corpus{request.param}")
    c = build_repo(base / "repo", request.param)
    c.save_answer_key(base / "answers.json")  # outside the tree
    return c


def _dicts(result):
    return [f.to_dict() for f in result.findings]


def _check(items, result, mode):
    precision, recall, missed, false = score(items, _dicts(result))
    detail = [f"missed {m.path} ({m.form})" for m in missed] + [f"false {f['path']}:{f['line']} {f['kind']}" for f in false]
    assert recall >= THRESHOLD and precision >= THRESHOLD, f"{mode}: P={precision:.3f} R={recall:.3f} {detail}"


def test_answer_key_stays_outside_the_tree(corpus):
    assert not list(corpus.root.rglob("answers*.json"))
    with pytest.raises(ValueError):
        corpus.save_answer_key(corpus.root / "answers.json")


def test_working_tree_precision_and_recall(corpus):
    assert len(corpus.worktree) >= 35 and corpus.decoys >= 80
    _check(corpus.worktree, scan_paths([], Options(), jobs=1, cwd=corpus.root), "worktree")


def test_staged_precision_and_recall(corpus):
    result = scan_staged(corpus.root, Options())
    _check(corpus.staged, result, "staged")
    assert {f.path for f in result.findings} == {"bot/new_feature.py", "bot/trader.py"}


def test_history_precision_and_recall_and_head_status(corpus):
    result = scan_history(corpus.root, Options())
    _check(corpus.history, result, "history")
    removed_fps = {x for item in corpus.removed for x in item.fps}
    for f in result.findings:
        assert f.commit and len(f.commit) == 40
        assert f.in_head is (not (set(f.fingerprints) & removed_fps)), f
    assert any(not f.in_head for f in result.findings)


def test_parallel_scan_finds_the_same_as_serial(corpus, monkeypatch):
    serial = scan_paths([], Options(), jobs=1, cwd=corpus.root)
    monkeypatch.setattr(runner, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(runner, "BATCH_BYTES", 4096)
    parallel = scan_paths([], Options(), jobs=2, cwd=corpus.root)
    assert _dicts(parallel) == _dicts(serial)


def test_cli_json_on_the_corpus_is_redacted_and_exits_1(corpus):
    proc = subprocess.run([KEYSAFE, "scan", "--format", "json"], cwd=corpus.root, capture_output=True, text=True)
    assert proc.returncode == 1, proc.stderr
    findings = json.loads(proc.stdout)
    precision, recall, _, _ = score(corpus.worktree, findings)
    assert precision >= THRESHOLD and recall >= THRESHOLD
    for f in findings:
        assert set(f) >= {"path", "line", "kind", "fingerprint", "commit", "severity"}
        assert "secret" not in f
    # No 64-character key text anywhere in the default output.
    planted = [line.split("=", 1)[1].strip().strip('"\'') for line in (corpus.root / ".env").read_text().splitlines()
               if line.startswith("BINANCE_")]
    assert planted and not any(p in proc.stdout for p in planted)
