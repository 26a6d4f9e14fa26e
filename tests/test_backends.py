"""The models train, save and reload under the JAX and PyTorch backends (skipped when not installed)."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = """
import json, sys, tempfile, keras
from recexplore.store import registry
from recexplore.data import load_movielens, make_split
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig
from recexplore.training.trainer import train
from recexplore.evaluation.scoring import evaluate_loaded
data = load_movielens(sys.argv[1]); split = make_split(data)
out = {"backend": keras.backend.backend()}
with tempfile.TemporaryDirectory() as tmp:
    for kind, config in (("dlrm", DLRMConfig(embedding_dim=8, top_layers=(8,), epochs=1)),
                         ("towers", TowerConfig(layers=(8,), embedding_dim=8, batch_size=128, epochs=1))):
        result = train(kind, data, split, config)
        registry.save(result, kind, tmp)
        loaded = registry.load(kind, tmp)
        again = evaluate_loaded(kind, loaded.model, loaded.meta, data, loaded.vocab)
        key = "test_rmse" if kind == "dlrm" else "hit_rate_at_100"
        out[kind] = [result.metrics[key], again[key]]
print(json.dumps(out))
"""


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_backend_trains_saves_and_reloads(backend: str, ml_folder: Path) -> None:
    if importlib.util.find_spec(backend) is None:
        pytest.skip(f"{backend} is not installed")
    env = {**os.environ, "KERAS_BACKEND": backend, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(ml_folder)], capture_output=True, text=True, env=env, timeout=600
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    assert out["backend"] == backend
    for kind in ("dlrm", "towers"):
        trained, reloaded = out[kind]
        assert reloaded == pytest.approx(trained, abs=1e-5)
