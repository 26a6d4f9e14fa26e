"""The data set the app serves: this session's choice, the shared load, and the first start's download."""

from __future__ import annotations

import os
import threading
import time
from typing import Any

import streamlit as st

from recexplore.app.messages import stop_with
from recexplore.config.text import byte_size
from recexplore.data.download import DataUnavailable, download_progress
from recexplore.data.loading import load_movielens
from recexplore.data.locate import locate, needs_download, present_datasets
from recexplore.data.movielens import DATA_ENV, DataError, MovieLens, chosen_dataset
from recexplore.data.sources import DATASET_ENV, DEFAULT_DATASET, source

DATASET_KEY = "recexplore_dataset"  # session state: the data set this session chose in the sidebar


@st.cache_resource(show_spinner="Loading the data set ...", max_entries=4)
def _cached_data(path: str | None, dataset: str | None) -> MovieLens:
    return load_movielens(path, download=False, dataset=dataset)


def data_source() -> str | None:
    """The configured data path (RECEXPLORE_DATA_DIR) or None for the default search."""
    return os.environ.get(DATA_ENV) or None


@st.cache_data(ttl=30, show_spinner=False)
def present(path: str | None) -> list[str]:
    """The data sets that load without a download (re-checked every 30 s)."""
    return present_datasets(path)


def dataset_choice() -> str | None:
    """The data set this session uses: its sidebar choice, else RECEXPLORE_DATASET, else None
    (the path's own data set, or ml-100k where there is a choice)."""
    chosen = st.session_state.get(DATASET_KEY)
    if isinstance(chosen, str) and chosen in present(data_source()):
        return chosen
    try:
        return chosen_dataset()
    except DataError:
        return None  # an unknown RECEXPLORE_DATASET: load_data says so


def dataset_choices() -> list[str]:
    """The data sets the sidebar offers (a choice only when more than one is present)."""
    return present(data_source())


def dataset_title(name: str) -> str:
    """How the app names a data set."""
    return source(name).title


def data_description(data: MovieLens) -> str:
    """Where the data came from, for the sidebar, without the server's path."""
    origin = f"{DATA_ENV} ({data.folder.name})" if data_source() else "the official download, verified"
    lacks = f" · no {', '.join(data.missing_features)}" if data.missing_features else ""
    return f"{data.source.title} · {len(data.ratings):,} ratings{lacks} · from {origin}"


def load_data() -> MovieLens:
    """The data set, shared by every session (read-only); raises DataError."""
    return _cached_data(data_source(), dataset_choice())


def data_or_stop() -> MovieLens:
    """The data set, or a clear message and a stopped page when it is unavailable. On a first
    start with nothing configured, the official zip is downloaded (verified, once) with a progress bar."""
    try:
        if needs_download(data_source(), dataset_choice()):
            _download_with_progress()
            st.rerun()  # everything on the page (the sidebar too) now sees the data
        return load_data()
    except DataUnavailable as err:
        stop_with(unavailable_message(err.reason, err.source.title), "warning")
    except DataError as err:
        stop_with(f"{err} Then reload this page.", "warning")


def unavailable_message(reason: str, title: str = "MovieLens 100K") -> str:
    """What to do when MovieLens is missing, in the app's terms (the CLI's message names --data)."""
    return (
        f"{title} is not available ({reason}). Set {DATA_ENV} to its folder or zip (or a folder of data-set "
        f"folders such as ml-100k/ and ml-1m/; {DATASET_ENV} picks one) and restart the app, or run "
        "`python -m recexplore data` once on a machine with network access; then reload this page."
    )


@st.cache_resource(show_spinner=False)
def _download_state() -> dict[str, Any]:
    """The server's one download of the official zip (sessions that arrive meanwhile wait for it)."""
    return {"lock": threading.Lock(), "thread": None, "error": None}


def _download_with_progress() -> None:
    """Download the official zip in a background thread (TFDS, checksum verified) while a
    progress bar follows the bytes on disk; raises what the download raised."""
    wanted = source(dataset_choice() or DEFAULT_DATASET)
    state = _download_state()
    with state["lock"]:
        if state["thread"] is None or not state["thread"].is_alive():
            state["error"] = None

            def fetch() -> None:
                try:
                    locate(None, wanted.name, download=True)
                except DataError as err:
                    state["error"] = err

            state["thread"] = threading.Thread(target=fetch, name="recexplore-download", daemon=True)
            state["thread"].start()
        thread = state["thread"]
    size = byte_size(wanted.zip_size)
    bar = st.progress(0.0, text=f"Downloading {wanted.title} from GroupLens ({size}, once) ...")
    while thread.is_alive():
        got = min(download_progress(), wanted.zip_size)
        text = f"Downloading {wanted.title} from GroupLens: {byte_size(got)} of {size}"
        bar.progress(got / wanted.zip_size, text=text)
        time.sleep(0.25)
    bar.empty()
    if state["error"] is not None:
        raise state["error"]
