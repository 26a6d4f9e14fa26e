"""Session state and caches of the app: data, models, the job queue, workspaces, one-line messages."""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlencode

import streamlit as st

from recexplore.app.metric_names import RATING_BASELINES, label
from recexplore.app.runs import split_key
from recexplore.data.features import FeatureSpace, Vocabularies
from recexplore.data.movielens import (
    DATA_ENV,
    DataError,
    DataUnavailable,
    MovieLens,
    Split,
    chosen_dataset,
    download_progress,
    load_movielens,
    locate,
    make_split,
    needs_download,
    present_datasets,
)
from recexplore.data.sources import DATASET_ENV, DEFAULT_DATASET, source
from recexplore.families import INTERACTIONS, NEXT_MOVIE, RATING, RECOMMEND, RETRIEVAL, families, family
from recexplore.store import registry, workspaces
from recexplore.store.registry import RegistryError

WORKSPACE_KEY = "recexplore_workspace"  # session state: this session's workspace token
DATASET_KEY = "recexplore_dataset"  # session state: the data set this session chose in the sidebar
# The views whose families' pretrained entries are prepared in the background at start-up: the
# Recommend, Movie map and Feature interactions pages then open without loading anything.
WARM_VIEWS = (RECOMMEND, INTERACTIONS)
KERAS_WAIT_S = 60.0
_LOG = logging.getLogger("recexplore.app")


@dataclass
class ReadyModel:
    """A registry model prepared for use: loaded, with its feature space and split rebuilt."""

    name: str
    kind: str
    model: Any
    meta: dict[str, Any]
    vocab: Vocabularies
    space: FeatureSpace
    split: Split
    digest: str  # the manifest's digest: identifies this exact save (the cache key)


def through_the_entrypoint() -> None:
    """Every page calls this first. A shared link to a page (/recommend, /train) that is a fresh
    server's first request makes Streamlit run the page file alone, in its legacy multipage mode
    (it sees a pages/ folder and streamlit_app.py has not called st.navigation yet): file names
    in the menu, no sidebar, no warm-up, no Keras guard. Leave that mode and rerun: the same URL
    then runs streamlit_app.py, whose navigation shows this page properly. A no-op otherwise
    (and under AppTest, which runs page files as their own apps)."""
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False  # what st.navigation itself sets on its first call
        st.rerun()


_ABSOLUTE_PATH = re.compile(r"(?<![\w.~-])(?:~|/)[^\s'\"`:,;()]*/[^\s'\"`:,;()]*|(?<![\w.~-])/[A-Za-z0-9_.-]+")


def for_visitors(message: str) -> str:
    """`message` without server paths: each absolute path becomes its last component."""
    return _ABSOLUTE_PATH.sub(lambda m: f"'{Path(m.group(0).rstrip('/.')).name or 'a folder'}'", str(message))


def say(message: str, kind: str = "info") -> None:
    """Show one message to the visitor (info, warning, error, success), server paths removed."""
    getattr(st, kind)(for_visitors(message))


def stop_with(message: str, kind: str = "info") -> NoReturn:
    """Show one message with a way forward and end this page run (no traceback)."""
    say(message, kind)
    st.stop()
    raise SystemExit  # unreachable: st.stop raises


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


@st.cache_data(show_spinner="Fitting EASE, the linear baseline (once per split) ...", max_entries=16)
def ease_baseline(split_name: str, seed: int, fingerprint: str) -> dict[str, float] | None:
    """EASE's hit-rates on a split (cached on disk too), or None when the split cannot be made."""
    from recexplore.models.ease import cached_report

    data = load_data()
    try:
        return cached_report(data, make_split(data, split_name, seed=seed), seed)
    except DataError:
        return None


@st.cache_data(show_spinner="Fitting EASE, the linear baseline (once per split) ...", max_entries=16)
def ease_per_user(split_name: str, seed: int, fingerprint: str) -> dict[str, list[float]] | None:
    """EASE's per-user values on a split (for paired tests), or None when the split cannot be made."""
    from recexplore.models.ease import cached_report_with_users

    data = load_data()
    try:
        return cached_report_with_users(data, make_split(data, split_name, seed=seed), seed)[1]
    except DataError:
        return None


@st.cache_data(show_spinner=False, max_entries=32)
def split_rating_baselines(split_name: str, seed: int, fingerprint: str) -> dict[str, float] | None:
    """Global-mean and bias-only RMSE on a split of the loaded data, or None when the split
    cannot be made or the data is not the one named by `fingerprint`."""
    from recexplore.models.biases import rating_baselines

    data = load_data()
    if data.fingerprint != fingerprint:
        return None
    try:
        split = make_split(data, split_name, seed=seed)
    except DataError:
        return None
    found = rating_baselines(split.train, split.test, seed)
    return {k: found[k] for k in RATING_BASELINES}


@st.cache_data(show_spinner=False, max_entries=64)
def architecture_rows(kind: str, config: dict[str, Any], vocab_sizes: dict[str, int]) -> list[dict[str, Any]]:
    """The layer table of the model a (kind, config) builds for these vocabulary sizes."""
    from recexplore.serving.architecture import architecture_of_config

    return architecture_of_config(kind, family(kind).config.from_saved(config), vocab_sizes)


@st.cache_data(show_spinner=False, max_entries=4)
def _vocab_sizes(fingerprint: str) -> dict[str, int]:
    return Vocabularies.build(load_data()).sizes()


def vocab_sizes(meta: dict[str, Any] | None = None) -> dict[str, int]:
    """Vocabulary sizes of a saved entry's meta, or of the loaded data (what a new job gets)."""
    if meta is not None:
        return Vocabularies.from_dict(meta["vocab"]).sizes()
    return _vocab_sizes(load_data().fingerprint)


def show_architecture(kind: str, config: dict[str, Any], vocab_sizes: dict[str, int], key: str) -> None:
    """An expander with the model's layers, measured output shapes and parameters."""
    with st.expander("Architecture: layers, output shapes, parameters"):
        rows = architecture_rows(kind, config, vocab_sizes)
        shown = [{**r, "layer": "\u2003" * r["depth"] + r["layer"].rsplit("/", 1)[-1]} for r in rows]
        st.dataframe(
            shown,
            hide_index=True,
            key=key,
            width="stretch",
            column_order=("layer", "type", "output shape", "parameters", "role"),
        )
        total = sum(r["parameters"] for r in rows if r["depth"] == 0)
        where = family(kind).architecture_note
        st.caption(
            f"{total:,} trainable parameters. {where}. Shapes are measured by running the model once on a dummy batch."
        )


def rating_lines(split: tuple[str, int, str]) -> dict[str, float]:
    """The rating baselines of a (split, seed, data fingerprint) under their plain names: chart lines."""
    found = split_rating_baselines(*split) or {}
    return {label(k): found[k] for k in RATING_BASELINES if k in found}


def ease_if_ready(meta: dict[str, Any]) -> dict[str, float] | None:
    """EASE's figures for a saved model's split if they are already cached (never computes)."""
    from recexplore.models.ease import cached_report_if_ready

    seed = int(meta.get("seed", 42))  # the saved model's split seed, and its validation seed
    return cached_report_if_ready(load_data(), str(meta.get("split", {}).get("name", "random")), seed, seed)


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
    size_mb = wanted.zip_size / 2**20
    bar = st.progress(0.0, text=f"Downloading {wanted.title} from GroupLens ({size_mb:.1f} MB, once) ...")
    while thread.is_alive():
        done = min(download_progress() / wanted.zip_size, 1.0)
        bar.progress(done, text=f"Downloading {wanted.title} from GroupLens: {done * size_mb:.1f} of {size_mb:.1f} MB")
        time.sleep(0.25)
    bar.empty()
    if state["error"] is not None:
        raise state["error"]


def models_dir() -> str:
    """The registry folder in use."""
    return str(registry.models_dir())


def list_models(view: str | tuple[str, ...] | None = None, only_ok: bool = True) -> list[registry.Entry]:
    """The shared entries plus this workspace's own (optionally only those whose family offers
    `view`, or one of several views, optionally only loadable ones); a message and a stopped
    page when the registry folder itself is unusable."""
    try:
        entries = workspaces.visible_entries(workspace())
    except RegistryError as err:
        stop_with(str(err), "error")
    views = (view,) if isinstance(view, str) else view
    here = _current_dataset()
    return [
        e
        for e in entries
        if (views is None or any(offers(e.kind, v) for v in views))
        and (e.ok or not only_ok)
        and (here is None or e.meta.get("dataset", DEFAULT_DATASET) == here)
    ]


def _current_dataset() -> str | None:
    """The loaded data set's name (models trained on another data set are not offered), or None
    when no data set loads."""
    try:
        return load_data().dataset
    except DataError:
        return None


def offers(kind: str, view: str) -> bool:
    """Whether the family `kind` offers `view` (False for a kind no family has)."""
    try:
        return family(kind).offers(view)
    except ValueError:
        return False


def task_of(kind: str) -> str | None:
    """The task ('rating', 'retrieval') of the family `kind`, or None for a kind no family has."""
    try:
        return family(kind).task.name
    except ValueError:
        return None


def model_names_or_stop(*views: str) -> list[str]:
    """Names of the loadable models that offer one of `views`, or a message saying how to get one
    and a stopped page."""
    names = [e.name for e in list_models(views)]
    if not names:
        titles = " or ".join(f.title for v in views for f in families(view=v))
        stop_with(
            f"No model for this page is saved yet ({titles}): run `python -m recexplore pretrain` or use the Train page."
        )
    return names


def note_gone(key: str, options: list[str]) -> None:
    """One warning when the model picked under widget `key` on an earlier run is no longer among
    `options` (deleted, broken or of another kind): call it before drawing the selectbox, which
    otherwise falls back to its default without saying why."""
    previous = st.session_state.get(key)
    if not isinstance(previous, str) or previous in options:
        return
    entry = next((e for e in list_models(only_ok=False) if e.name == previous), None)
    if entry is None:
        why = "is not in the models folder"
    elif not entry.ok:
        why = f"is broken ({entry.problem})"
    else:
        why = f"is a {entry.kind} model and cannot be used here"
    st.warning(f"Model {previous!r} {why}, so it is no longer offered here.")


def forget_widgets(keys: tuple[str, ...]) -> None:
    """Drop these widgets' values (an on_change callback): on the next run they show their
    defaults again, e.g. the chosen tower depth's own epochs and learning rate."""
    for key in keys:
        st.session_state.pop(key, None)


def preferred_entry(view: str) -> str | None:
    """The pretrained default of the first family offering `view`."""
    return next((f.default_entry for f in families(view=view)), None)


def preferred_index(names: list[str], view: str) -> int:
    """Position of the first pretrained default of the families offering `view` in `names` (0 when none is there)."""
    preferred = [f.default_entry for f in families(view=view)]
    return next((names.index(p) for p in preferred if p in names), 0)


@st.cache_resource(show_spinner="Loading model ...", max_entries=16)
def _cached_model(name: str, directory: str, digest: str, fingerprint: str) -> ReadyModel:
    from recexplore.evaluation.scoring import prepare_loaded

    loaded = registry.load(name, directory)
    data = load_data()
    space, split = prepare_loaded(loaded.kind, loaded.model, loaded.meta, data, loaded.vocab)
    return ReadyModel(name, loaded.kind, loaded.model, loaded.meta, loaded.vocab, space, split, loaded.digest)


def ready_model(name: str) -> ReadyModel:
    """A prepared model (shared or this workspace's own), cached per (folder, manifest digest);
    raises RegistryError/DataError."""
    return _ready(_visible_entry(name))


def _ready(entry: registry.Entry) -> ReadyModel:
    """The cached, prepared model of a visible entry."""
    return _cached_model(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint)


def _visible_entry(name: str) -> registry.Entry:
    """The loadable entry `name` that this workspace sees; RegistryError otherwise."""
    entry = next((e for e in workspaces.visible_entries(workspace()) if e.name == name), None)
    if entry is None:
        raise RegistryError(f"No model named {name!r}: pick another one or train it on the Train page.")
    if not entry.ok:
        raise RegistryError(f"Model {name!r} is broken ({entry.problem}); pick another one.")
    return entry


def model_or_stop(name: str) -> ReadyModel:
    """`ready_model`, or a clear message and a stopped page."""
    try:
        return ready_model(name)
    except (RegistryError, DataError) as err:
        stop_with(str(err), "error")


@st.cache_resource(show_spinner="Building the retrieval index ...", max_entries=8)
def _cached_recommender(name: str, directory: str, digest: str, fingerprint: str) -> Any:
    from recexplore.serving.recommend import Recommender

    ready = _cached_model(name, directory, digest, fingerprint)
    return Recommender.build(ready.model, ready.vocab, load_data(), ready.split, ready.space)


def recommender(name: str) -> Any:
    """A cached Recommender over a registry two-tower model."""
    entry = _visible_entry(name)  # one registry listing for both lookups
    ready = _ready(entry)
    if not offers(ready.kind, RECOMMEND):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a retrieval model.")
    return _cached_recommender(name, str(entry.path.parent), entry.digest, load_data().fingerprint)


@st.cache_resource(show_spinner="Fitting EASE on this model's split (once) ...", max_entries=8)
def _ease_weights(name: str, directory: str, digest: str, fingerprint: str, lam: float) -> Any:
    """EASE fitted on a saved model's training part (`ease.fit_ease`: on the most-rated movies of a
    large catalogue), for its Beyond view and the Recommend page's EASE list."""
    from recexplore.models.ease import fit_ease

    ready = _cached_model(name, directory, digest, fingerprint)
    return fit_ease(ready.space.interaction_csr(ready.split.train), lam)


def _ease_lambda(meta: dict[str, Any]) -> float | None:
    """EASE's lambda on a saved model's split, chosen on its validation slice (once per split,
    cached); None when that split cannot be made."""
    ease = ease_baseline(*split_key(meta)[:2], load_data().fingerprint)
    return None if ease is None else float(ease["ease_lambda"])


@st.cache_data(show_spinner="Measuring the lists beyond hit rate (once per model) ...", max_entries=32)
def _beyond(name: str, directory: str, digest: str, fingerprint: str, ease_lambda: float | None) -> dict[str, Any]:
    from recexplore.evaluation.scoring import beyond_view

    ready = _cached_model(name, directory, digest, fingerprint)
    weights = None if ease_lambda is None else _ease_weights(name, directory, digest, fingerprint, ease_lambda)
    return beyond_view(ready.model, ready.space, ready.split, weights)


def beyond(name: str) -> dict[str, Any]:
    """A retrieval model's Beyond accuracy view on its own split (scoring.beyond_view), with EASE
    fitted on that split; raises RegistryError/DataError."""
    entry = _visible_entry(name)
    ready = _ready(entry)
    if not offers(ready.kind, RECOMMEND):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a retrieval model.")
    return _beyond(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint, _ease_lambda(ready.meta))


@st.cache_resource(show_spinner="Reading every user's history ...", max_entries=4)
def _cached_next(name: str, directory: str, digest: str, fingerprint: str) -> Any:
    from recexplore.serving.next_movie import NextMovieRecommender

    ready = _cached_model(name, directory, digest, fingerprint)
    return NextMovieRecommender.build(ready.model, load_data(), ready.split, ready.space)


def next_recommender(name: str) -> Any:
    """A cached NextMovieRecommender over a registry next-movie model; raises RegistryError/DataError."""
    entry = _visible_entry(name)
    ready = _ready(entry)
    if not offers(ready.kind, NEXT_MOVIE):
        raise RegistryError(f"Model {name!r} is a {ready.kind} model; choose a next-movie model.")
    return _cached_next(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint)


POPULARITY_LIST, EASE_LIST = "popularity (the most-rated movies)", "EASE (linear item-to-item)"


def second_list(model_name: str, other: str, user_id: int, k: int) -> Any:
    """The list Recommend sets beside `model_name`'s for a user: another retrieval model's, or the
    popularity or EASE baseline's on `model_name`'s split; raises RegistryError/RecommendError."""
    from recexplore.serving.recommend import ease_recommendations, popularity_recommendations

    rec = recommender(model_name)
    if other == POPULARITY_LIST:
        return popularity_recommendations(rec, user_id, k)
    if other == EASE_LIST:
        entry = _visible_entry(model_name)
        lam = _ease_lambda(entry.meta)
        if lam is None:
            raise RegistryError(f"EASE cannot be fitted on the split of {model_name!r}; pick another list.")
        weights = _ease_weights(entry.name, str(entry.path.parent), entry.digest, load_data().fingerprint, lam)
        return ease_recommendations(rec, weights, user_id, k)
    return recommender(other).recommend(user_id, k)


def save_job(manager: Any, job: Any, name: str, overwrite: bool) -> str | None:
    """Save a finished job's model into this workspace as `name`; None, or why it was refused."""
    try:
        workspaces.save(
            workspace(), manager.model_bytes(job), job.result.meta, name, overwrite, manager.settings.max_saved_models
        )
    except (RegistryError, ValueError) as err:
        return str(err)
    clear_model_caches()
    return None


def entry_metrics(entry: registry.Entry) -> dict[str, Any]:
    """An entry's saved metrics, plus its split's baselines: EASE's once computed (never computed
    here: Compare towers and the CLI do, once per split, into the cache), and the rating
    baselines for a DLRM saved before they were stored (a fraction of a second, cached)."""
    metrics = dict(entry.meta.get("metrics", {}))
    task = task_of(entry.kind)
    if task == RETRIEVAL.name:
        metrics.update(ease_if_ready(entry.meta) or {})
    elif task == RATING.name and "bias_only_rmse" not in metrics:
        metrics.update(split_rating_baselines(*split_key(entry.meta)) or {})
    return metrics


def clear_model_caches() -> None:
    """Forget cached models and indexes (after a save or delete)."""
    _cached_model.clear()
    _cached_recommender.clear()
    _cached_next.clear()
    _ease_weights.clear()


def workspace() -> str:
    """This session's workspace token. Signed in (sign-in configured): derived from the identity,
    the same on every device. Otherwise the browser's own, from the HttpOnly cookie the server
    sets on the first page load (`workspace_cookie.py`): a reload or a second tab finds the same
    jobs and saved models, and a copied address opens the page in the visitor's own workspace.
    Where no cookie came (cookies blocked, page tests) the workspace lasts for this session. The
    token is never put in the page's address: a `?ws=` parameter from an old link is removed unread."""
    from recexplore.app import sign_in

    signed_in = sign_in.identity_workspace()
    token = signed_in or browser_cookie() or st.session_state.get(WORKSPACE_KEY)
    if not workspaces.is_token(token):
        token = workspaces.new_token()
    if signed_in is not None:  # the teacher's view names the person beside the label
        workspace_names()[signed_in] = sign_in.who(sign_in.signed_in_user() or {})
    st.session_state[WORKSPACE_KEY] = token
    if workspaces.LEGACY_PARAM in st.query_params:
        del st.query_params[workspaces.LEGACY_PARAM]
    return str(token)


@st.cache_resource(show_spinner=False)
def workspace_names() -> dict[str, str]:
    """Signed-in people's names by workspace token, for the teacher's view (this server process)."""
    return {}


def browser_cookie() -> str | None:
    """The workspace token of this browser's cookie, when it sent a valid one."""
    try:
        found = st.context.cookies.get(workspaces.COOKIE_NAME)
    except Exception:  # no browser behind this run (bare script runs)
        return None
    return found if workspaces.is_token(found) else None


def workspace_panel(token: str) -> None:
    """Where this workspace lives, in an expander: signed in, kept by this browser (with the private
    link that opens it on another device), or for this session only."""
    from recexplore.app import sign_in

    with st.expander(f"Your workspace ({workspaces.label(token)})", icon=":material/lock:"):
        if sign_in.identity_workspace() is not None:
            st.write("It belongs to your sign-in: sign in on another device to find the same jobs and models there.")
            return
        if not workspace_is_kept():
            st.write(
                "This browser did not keep the workspace's cookie, so it lasts until you close or reload this tab."
            )
            return
        st.write(
            "It is kept by this browser: a reload or a second tab finds it, and a link you copy from the "
            "address bar opens only the page. To continue on another device, open this link there."
        )
        link = resume_link(token)
        if link is not None and st.toggle("Show my private link", key="workspace_show_resume"):
            st.warning("Private: anyone with this link can see and cancel your jobs and use your saved models.")
            st.code(link, language=None, wrap_lines=True)


# Page choices a link may carry (`?model=...&user=...`): a shared link reopens them, never an identity.
LINK_PARAMS = ("model", "user")


def linked_index(param: str, options: list[Any], fallback: int) -> int:
    """The position in `options` of the link's `?param=` value, or `fallback` when it names none."""
    found = st.query_params.get(param)
    values = [str(o) for o in options]
    return values.index(found) if found in values else fallback


def link_choice(param: str, value: object) -> None:
    """Keep a page choice in its address (`?param=value`), so that its link reopens it."""
    if value is None:
        st.query_params.pop(param, None)
    elif st.query_params.get(param) != str(value):
        st.query_params[param] = str(value)


def choose_model(where: Any, title: str, names: list[str], view: str, key: str) -> str | None:
    """A model selectbox in `where` (a column, the page) that opens on the link's `?model=`, else
    on the pretrained default of `view`, and keeps the choice in the page's address (None only
    when code cleared the box: the page's own checks say so)."""
    name = where.selectbox(title, names, index=linked_index("model", names, preferred_index(names, view)), key=key)
    link_choice("model", name)
    return name


def page_link() -> str | None:
    """This page's shareable address: the page and its chosen user and model, no identity (None
    where no browser sent its address, as in page tests)."""
    base = st.context.url
    if not base:
        return None
    kept = {k: st.query_params[k] for k in LINK_PARAMS if k in st.query_params}
    return base + (f"?{urlencode(kept)}" if kept else "")


def resume_link(token: str) -> str | None:
    """The private link that opens workspace `token` in another browser (None without a browser address)."""
    base = st.context.url
    return f"{base}?{urlencode({workspaces.RESUME_PARAM: token})}" if base else None


def workspace_is_kept() -> bool:
    """True when this workspace outlives the session: signed in, or held by the browser's cookie."""
    from recexplore.app import sign_in

    return sign_in.identity_workspace() is not None or browser_cookie() == st.session_state.get(WORKSPACE_KEY)


@st.cache_resource(show_spinner=False)
def job_manager() -> Any:
    """The process-wide training jobs (on Ray; nothing starts until the first submit)."""
    from recexplore.engine.jobs import JobManager

    return JobManager()


def job_manager_or_stop() -> Any:
    """`job_manager`, or one line and a stopped page when an engine setting is invalid."""
    from recexplore.engine.settings import SettingsError

    try:
        return job_manager()
    except SettingsError as err:
        stop_with(f"Training is unavailable: {err}.", "error")


@st.cache_resource(show_spinner=False)
def device_summary() -> dict[str, str]:
    """Device and backend facts for the sidebar (computed once per process; imports Keras)."""
    import keras

    from recexplore.training.device import device_description

    return {"device": device_description(), "backend": keras.backend.backend()}


class WarmUp:
    """Imports Keras and prepares the default pretrained models on a background thread.

    Importing TensorFlow alone takes about 4 s on a 2-core CPU; doing it here keeps it off the
    first page's critical path. Cached functions share per-key locks, so a page that asks for a
    model while the warm-up is loading it waits for that one load instead of starting another.
    """

    def __init__(self) -> None:
        self.device: dict[str, str] | None = None
        self.error: str | None = None
        # Set once Keras is imported (`device` known) or the warm-up has given up (`error` set).
        self.keras_settled = threading.Event()
        self.thread = threading.Thread(target=self._run, name="recexplore-warm-up", daemon=True)

    def _run(self) -> None:
        started = time.perf_counter()
        try:
            self.device = device_summary()
            self.keras_settled.set()
            _LOG.info("warm-up: Keras loaded in %.1f s", time.perf_counter() - started)
            names = {e.name for e in list_models()}
            for view in WARM_VIEWS:
                entry = next((f.default_entry for f in families(view=view) if f.default_entry in names), None)
                if entry is not None:
                    recommender(entry) if view == RECOMMEND else ready_model(entry)
        except Exception as err:  # never fatal: the pages load on demand and report their own errors
            self.error = str(err)
            _LOG.warning("warm-up stopped: %s", err)
        finally:
            self.keras_settled.set()


def wait_for_keras() -> None:
    """Block, with a spinner, until the warm-up has imported Keras (only right after start-up)."""
    warm = warm_up()
    if not warm.keras_settled.is_set():
        with st.spinner("Starting Keras and TensorFlow (once per server start, a few seconds) ..."):
            warm.keras_settled.wait(KERAS_WAIT_S)  # bounded: never hang a page on the warm-up


@st.cache_resource(show_spinner=False)
def warm_up() -> WarmUp:
    """Start the process-wide warm-up once (the first page view of the server process)."""
    # Cached calls on this thread have no page to draw their spinners on; Streamlit would warn
    # about the missing script context once per call.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)
    job = WarmUp()
    job.thread.start()
    return job
