"""Registry: atomic saves, validation of entries, safe loading, deletion."""

from __future__ import annotations

import json
from pathlib import Path

import keras
import numpy as np
import pytest

from recexplore.data.loading import load_movielens
from recexplore.data.splits import make_split
from recexplore.models.towers import TowerConfig
from recexplore.store import atomic, entry_format, reading, registry
from recexplore.store.entry_format import RegistryError
from recexplore.training.trainer import TrainResult, train
from tests.conftest import registry_leftovers


@pytest.fixture(scope="module")
def result(ml_folder: Path) -> TrainResult:
    data = load_movielens(ml_folder)
    return train("towers", data, make_split(data), TowerConfig(layers=(8,), embedding_dim=4, batch_size=128, epochs=1))


def test_save_list_load_delete(result: TrainResult, tmp_path: Path) -> None:
    entry = registry.save(result, "demo", tmp_path)
    assert entry.ok and (tmp_path / "demo" / entry_format.MODEL_FILE).is_file()
    listed = registry.list_entries(tmp_path)
    assert [e.name for e in listed] == ["demo"] and listed[0].ok
    meta = listed[0].meta
    for key in ("config", "vocab", "data_fingerprint", "split", "metrics", "history", "versions"):
        assert key in meta
    signed = json.loads((tmp_path / "demo" / "manifest.json").read_text())
    assert sorted(signed["files"]) == ["meta.json", "model.keras"] and signed["signature"].startswith("hmac-sha256:")
    assert listed[0].digest == entry.digest and len(entry.digest) == 64
    loaded = registry.load("demo", tmp_path)
    assert loaded.kind == "towers" and loaded.config == result.config
    features = {k: np.zeros((2, *v.shape[1:]), v.dtype) for k, v in _candidate_example(loaded).items()}
    np.testing.assert_allclose(loaded.model.candidate_embeddings(features), result.model.candidate_embeddings(features))
    registry.delete("demo", tmp_path)
    assert registry.list_entries(tmp_path) == []


def _candidate_example(loaded: registry.LoadedModel) -> dict[str, np.ndarray]:
    n_genres = len(loaded.vocab.genres)
    return {
        "movie_id": np.zeros(1, np.int32),
        "title_tokens": np.zeros((1, 8), np.int32),
        "genres": np.zeros((1, n_genres), np.float32),
    }


@pytest.mark.parametrize("name", ["", "../evil", "a/b", "/abs", "x" * 65, "sp ace", "dot.dot", "..", "ünï"])
def test_unsafe_names_are_refused(result: TrainResult, tmp_path: Path, name: str) -> None:
    with pytest.raises(RegistryError, match="Invalid model name"):
        registry.save(result, name, tmp_path)
    with pytest.raises(RegistryError):
        registry.load(name, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_existing_name_needs_overwrite(result: TrainResult, tmp_path: Path) -> None:
    registry.save(result, "same", tmp_path)
    with pytest.raises(RegistryError, match="already exists"):
        registry.save(result, "same", tmp_path)
    registry.save(result, "same", tmp_path, overwrite=True)
    assert [e.name for e in registry.list_entries(tmp_path)] == ["same"]
    assert not registry_leftovers(tmp_path)


def test_failed_save_keeps_previous_entry(result: TrainResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.save(result, "keep", tmp_path)
    before = (tmp_path / "keep" / entry_format.META_FILE).read_text()

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(atomic, "write_file", disk_full)
    with pytest.raises(RegistryError, match="No space left"):
        registry.save(result, "keep", tmp_path, overwrite=True)
    assert (tmp_path / "keep" / entry_format.META_FILE).read_text() == before
    assert registry.list_entries(tmp_path)[0].ok
    assert not registry_leftovers(tmp_path)


def test_half_written_temp_folder_is_not_listed(result: TrainResult, tmp_path: Path) -> None:
    registry.save(result, "good", tmp_path)
    (tmp_path / ".tmp-good-deadbeef").mkdir()
    (tmp_path / ".tmp-good-deadbeef" / entry_format.MODEL_FILE).write_bytes(b"partial")
    assert [e.name for e in registry.list_entries(tmp_path)] == ["good"]


def test_tampered_model_is_listed_broken_and_refused(result: TrainResult, tmp_path: Path) -> None:
    registry.save(result, "victim", tmp_path)
    registry.save(result, "bystander", tmp_path)
    model_file = tmp_path / "victim" / entry_format.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes()[:1000])  # truncated
    entries = {e.name: e for e in registry.list_entries(tmp_path)}
    assert not entries["victim"].ok and "does not match the manifest" in entries["victim"].problem
    assert entries["bystander"].ok
    with pytest.raises(RegistryError, match="broken"):
        registry.load("victim", tmp_path)
    assert registry.load("bystander", tmp_path).kind == "towers"


@pytest.mark.parametrize("damage", ["missing_meta", "bad_json", "missing_model", "edited_meta"])
def test_damaged_entries_are_reported(result: TrainResult, tmp_path: Path, damage: str) -> None:
    registry.save(result, "hurt", tmp_path)
    folder = tmp_path / "hurt"
    if damage == "missing_meta":
        (folder / entry_format.META_FILE).unlink()
    elif damage == "bad_json":
        (folder / entry_format.META_FILE).write_text("{not json")
    elif damage == "missing_model":
        (folder / entry_format.MODEL_FILE).unlink()
    else:
        meta = json.loads((folder / entry_format.META_FILE).read_text())
        meta["metrics"]["hit_rate_at_10"] = 0.99
        (folder / entry_format.META_FILE).write_text(json.dumps(meta))
    (entry,) = registry.list_entries(tmp_path)
    assert not entry.ok and entry.problem
    with pytest.raises(RegistryError):
        registry.load("hurt", tmp_path)


def test_load_unknown_name(tmp_path: Path) -> None:
    with pytest.raises(RegistryError, match="No model named"):
        registry.load("nothing", tmp_path)


def test_loading_uses_safe_mode(result: TrainResult, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.save(result, "safe", tmp_path)
    seen: dict = {}
    real = keras.saving.load_model

    def spy(*args, **kwargs):
        seen.update(kwargs)
        return real(*args, **kwargs)

    monkeypatch.setattr(keras.saving, "load_model", spy)
    registry.load("safe", tmp_path)
    assert seen.get("safe_mode") is True


def test_a_file_as_the_models_folder_is_an_error(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "models"
    not_a_folder.write_text("x")
    with pytest.raises(entry_format.RegistryError, match="is a file, not a folder"):
        registry.list_entries(not_a_folder)


def test_listing_reuses_verified_entries_until_a_file_changes(
    tmp_path: Path, ml_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A listing hashes an entry's files once; later listings reuse the verdict while every file's
    stat is unchanged, and any change (here: same size, new bytes) is read and judged again."""
    import os

    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split
    from tests.conftest import tiny_towers_config

    data = load_movielens(ml_folder)
    registry.save(train("towers", data, make_split(data), tiny_towers_config()), "cached", tmp_path)
    monkeypatch.setattr(reading, "LISTING_SETTLE_S", 0.0)  # files written just now count as settled
    reads: list[str] = []
    real = reading.read_at
    monkeypatch.setattr(reading, "read_at", lambda folder, name, limit: reads.append(name) or real(folder, name, limit))
    first = registry.list_entries(tmp_path)
    assert [e.ok for e in first] == [True] and entry_format.MODEL_FILE in reads
    reads.clear()
    assert registry.list_entries(tmp_path)[0].digest == first[0].digest and reads == []
    registry.load("cached", tmp_path)
    assert entry_format.MODEL_FILE in reads  # a load re-hashes the bytes it loads, whatever the listing knows
    reads.clear()
    model = tmp_path / "cached" / entry_format.MODEL_FILE
    raw = bytearray(model.read_bytes())
    raw[-1] ^= 0xFF
    model.write_bytes(bytes(raw))
    os.utime(model, ns=(1, 1))  # even with an old mtime: the inode's ctime moved
    again = registry.list_entries(tmp_path)
    assert entry_format.MODEL_FILE in reads and not again[0].ok and "does not match" in again[0].problem
    with pytest.raises(entry_format.RegistryError):
        registry.load("cached", tmp_path)
