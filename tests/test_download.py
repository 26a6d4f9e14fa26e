"""The TFDS download path, without a network: fast failure and checksum verification."""

from __future__ import annotations

import dataclasses
import socket
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from recexplore.data import download, locate
from recexplore.data.hashing import sha256_file
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import DataError


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


def _official_checksum_is(monkeypatch: pytest.MonkeyPatch, zip_path: Path) -> None:
    """Make `zip_path` the official ml-100k.zip as far as the sources table's size and sha256 go."""
    real = locate.source
    fake = dataclasses.replace(real("ml-100k"), zip_size=zip_path.stat().st_size, zip_sha256=sha256_file(zip_path))
    for module in (locate, download):  # where a data set's row is looked up
        monkeypatch.setattr(module, "source", lambda name: fake if name == "ml-100k" else real(name))


def _zip_folder(folder: Path, target: Path) -> Path:
    with zipfile.ZipFile(target, "w") as archive:
        for name in ("u.data", "u.item", "u.user"):
            archive.write(folder / name, f"ml-100k/{name}")
    return target


def test_download_with_wrong_checksum_is_refused(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_download(monkeypatch, _zip_folder(ml_folder, tmp_path / "ml-100k.zip"))
    with pytest.raises(DataError, match="checksum"):
        load_movielens()


def test_download_with_matching_checksum_is_used(
    ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    zip_path = _zip_folder(ml_folder, tmp_path / "ml-100k.zip")
    _official_checksum_is(monkeypatch, zip_path)
    _fake_download(monkeypatch, zip_path)
    first = load_movielens()
    assert len(first.users) == 60
    monkeypatch.setattr(socket, "create_connection", lambda *a, **k: pytest.fail("downloaded twice"))
    assert load_movielens().fingerprint == first.fingerprint  # the cached copy is reused


@pytest.fixture
def local_zip_server(ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """An HTTP server on 127.0.0.1 serving a synthetic ml-100k.zip; the official URL, size and
    checksum point at it, so the real TFDS download path runs with no internet."""
    import functools
    import http.server
    import threading

    served = tmp_path / "served"
    served.mkdir()
    zip_path = _zip_folder(ml_folder, served / "ml-100k.zip")
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    handler.log_message = lambda *args: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_address[1]}/ml-100k.zip"
    monkeypatch.setenv(download.mirror_env("ml-100k"), url)
    _official_checksum_is(monkeypatch, zip_path)
    try:
        yield url
    finally:
        server.shutdown()


def test_the_real_tfds_download_from_a_local_server_is_verified_and_kept(local_zip_server: str) -> None:
    assert locate.needs_download()
    first = load_movielens()
    assert len(first.users) == 60 and not locate.needs_download()
    assert download.download_progress() > 0


HOME = str(Path(__file__).resolve().parent.parent / "pages" / "home.py")


def test_the_app_downloads_on_first_start(local_zip_server: str) -> None:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(HOME, default_timeout=120).run()
    assert not at.exception and not at.warning and not at.error
    assert not locate.needs_download()  # downloaded once, kept for every later start
    assert any(m.value == "1,800" for m in at.metric)


def test_offline_first_start_says_what_to_do_in_the_apps_terms(monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    def refuse(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable")

    monkeypatch.setattr(socket, "create_connection", refuse)
    at = AppTest.from_file(HOME, default_timeout=60).run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "\n" not in warning and "RECEXPLORE_DATA_DIR" in warning and "python -m recexplore data" in warning
    assert "--data" not in warning  # a flag `streamlit run` does not take
