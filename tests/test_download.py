"""The TFDS download path, without a network: fast failure and checksum verification."""

from __future__ import annotations

import socket
import zipfile
from pathlib import Path

import pytest

from recexplore import data as data_module
from recexplore.data import DataError, load_movielens


def test_unreachable_host_fails_fast_with_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    with pytest.raises(DataError) as info:
        load_movielens()
    message = str(info.value)
    assert "\n" not in message and "--data" in message and "RECEXPLORE_DATA_DIR" in message


def _fake_download(monkeypatch: pytest.MonkeyPatch, zip_path: Path) -> None:
    import tensorflow_datasets as tfds

    class FakeConnection:
        def close(self) -> None:
            pass

    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: FakeConnection())
    monkeypatch.setattr(tfds.download.DownloadManager, "download", lambda self, url: str(zip_path))


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("u.data", "u.item", "u.user"):
            archive.write(folder / name, f"ml-100k/{name}")
    return target


def test_download_with_wrong_checksum_is_refused(ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _fake_download(monkeypatch, _zip_folder(ml_folder, tmp_path / "ml-100k.zip"))
    with pytest.raises(DataError, match="checksum"):
        load_movielens()


def test_download_with_matching_checksum_is_used(ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    zip_path = _zip_folder(ml_folder, tmp_path / "ml-100k.zip")
    monkeypatch.setattr(data_module, "ML100K_ZIP_SIZE", zip_path.stat().st_size)
    monkeypatch.setattr(data_module, "ML100K_ZIP_SHA256", data_module.sha256_file(zip_path))
    _fake_download(monkeypatch, zip_path)
    first = load_movielens()
    assert len(first.users) == 60
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("downloaded twice"))
    assert load_movielens().fingerprint == first.fingerprint  # the cached copy is reused
