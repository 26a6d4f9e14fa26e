"""Bad input on every page: one clear one-line message, no traceback, nothing lost (AppTest matrix).

Runs on the synthetic data with tiny models. Two kinds of bad input behave differently:

- A value outside a widget's own bounds (number input, slider, select box, radio) never reaches
  the page: the browser's widgets enforce their bounds, and Streamlit's backend resets such a
  value (as AppTest or session state can send it) to the widget's default. Those cases check that
  the page then shows and uses that default, says nothing misleading, raises nothing and queues
  no job.
- A value the widget accepts but the model config, the memory check or the registry refuses
  (layer lists, a zero learning rate, a job too big for the machine, save names, broken or
  deleted models) must get exactly one one-line message, and nothing may be queued or written.

Speed: several out-of-bounds values go into one run where the widgets are independent, the
registries are module-scoped (the breakable one is restored byte for byte after each test, so
cached models stay valid), and Streamlit's after-run Keras reset is skipped (see below).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app.data_views import ratings_per
from recexplore.data.features import Vocabularies
from recexplore.data.loading import load_movielens
from recexplore.data.movielens import MAX_SEED
from recexplore.data.splits import make_split
from recexplore.models.dlrm import DLRMConfig
from recexplore.models.towers import TowerConfig
from recexplore.store import registry
from recexplore.training.memory import estimate_training_bytes
from tests.conftest import save_tiny_models

PAGES = Path(__file__).resolve().parent.parent / "pages"
TIMEOUT = 120
DLRM_LABEL, TOWERS_LABEL = "DLRM (rating prediction)", "Two-tower (retrieval)"
LABELS = {"dlrm": DLRM_LABEL, "towers": TOWERS_LABEL}
DEFAULTS: dict[str, Any] = {"dlrm": DLRMConfig(), "towers": TowerConfig()}
FAKE_FREE_BYTES = 64 * 2**20  # the defaults fit in this on the synthetic data, a 1024-wide embedding does not


# ---------------------------------------------------------------- fixtures and helpers


@pytest.fixture(scope="module")
def registry_dir(ml_folder: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Tiny towers-1-layer and dlrm-default, plus a byte copy of each (towers-spare, dlrm-spare):
    a second loadable model of each kind without training again. Never changed by a test."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECEXPLORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        folder = save_tiny_models(
            tmp_path_factory.mktemp("bad-input-models"), ml_folder, {"towers-1-layer": (8,)}, "dlrm-default"
        )
    shutil.copytree(folder / "towers-1-layer", folder / "towers-spare")
    shutil.copytree(folder / "dlrm-default", folder / "dlrm-spare")
    return folder


@pytest.fixture
def env(ml_folder: Path, registry_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Pages read the synthetic data and the shared registry."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(registry_dir))
    return registry_dir


@pytest.fixture(scope="module")
def scratch_dir(registry_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("scratch") / "models"
    shutil.copytree(registry_dir, folder)
    return folder


@pytest.fixture
def scratch(ml_folder: Path, registry_dir: Path, scratch_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A registry a test may break; afterwards it is the pristine copy again (same path and bytes)."""
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(scratch_dir))
    yield scratch_dir
    shutil.rmtree(scratch_dir)
    shutil.copytree(registry_dir, scratch_dir)


def _page(name: str, **state: Any) -> AppTest:
    """A page's AppTest, with session state set before its first run (as code, not a browser, could)."""
    at = AppTest.from_file(str(PAGES / f"{name}.py"), default_timeout=TIMEOUT)
    for key, value in state.items():
        at.session_state[key] = value
    return at


def _problems(at: AppTest) -> list[str]:
    return [m.value for m in (*at.error, *at.warning)]


def _assert_clean(at: AppTest) -> None:
    """No traceback and no error or warning."""
    assert not at.exception, [e.value for e in at.exception]
    assert _problems(at) == []


def _assert_one_problem(at: AppTest, *fragments: str) -> str:
    """No traceback and exactly one error or warning, on one line, containing every fragment."""
    assert not at.exception, [e.value for e in at.exception]
    problems = _problems(at)
    assert len(problems) == 1, problems
    text = problems[0]
    assert "\n" not in text and all(f in text for f in fragments), text
    return text


def _assert_one_info(at: AppTest, fragment: str) -> None:
    """No traceback, no error or warning, and one info that says what to do."""
    _assert_clean(at)
    infos = [i.value for i in at.info]
    assert len(infos) == 1 and fragment in infos[0] and "\n" not in infos[0], infos


def _jobs(at: AppTest) -> list[Any]:
    """This AppTest session's training jobs in the process-wide queue."""
    from recexplore.app import session_workspace, training_jobs

    return training_jobs.job_manager().jobs_for(at.session_state[session_workspace.WORKSPACE_KEY])


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under a registry folder with its bytes (the registry's empty lock file aside)."""
    return {
        str(p.relative_to(folder)): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _truncate(entry: Path) -> None:
    """Cut an entry's model.keras in half: its recorded sha256 no longer matches (listed as broken)."""
    model = entry / "model.keras"
    model.write_bytes(model.read_bytes()[: model.stat().st_size // 2])


def _corrupt_keeping_sha(entry: Path) -> None:
    """Replace model.keras by junk and sign the result with the registry key (as its holder
    could): listed as fine, fails only to load."""
    from recexplore.store import manifest

    junk = b"PK\x03\x04 not a keras archive"
    (entry / "model.keras").write_bytes(junk)
    contents = {"meta.json": (entry / "meta.json").read_bytes(), "model.keras": junk}
    (entry / "manifest.json").write_text(json.dumps(manifest.build(contents)), encoding="utf-8")


def _assert_reset(at: AppTest, values: dict[tuple[str, str], Any], defaults: dict[str, Any]) -> None:
    """Set every (widget kind, key) to its out-of-bounds value in one run: each must come back as
    its default, silently and without a traceback."""
    for (kind, key), value in values.items():
        getattr(at, kind)(key=key).set_value(value)
    at.run()
    _assert_clean(at)
    for kind, key in values:
        shown = getattr(at, kind)(key=key).value
        assert shown == pytest.approx(defaults[key]), (key, values[kind, key], shown)
        assert at.session_state[key] == pytest.approx(defaults[key])


# ---------------------------------------------------------------- Train: settings


def _train_defaults(kind: str) -> dict[str, Any]:
    config = DEFAULTS[kind]
    values = {
        f"train_{f}_{kind}": getattr(config, f) for f in ("embedding_dim", "batch_size", "learning_rate", "epochs")
    }
    values["train_seed"] = 42
    values["train_temperature_towers" if kind == "towers" else "train_dropout_dlrm"] = (
        config.temperature if kind == "towers" else config.dropout
    )
    return values


def _train_widgets(kind: str, dim: Any, batch: Any, rate: Any, epochs: Any, seed: Any, extra: Any) -> dict:
    return {
        ("number_input", f"train_embedding_dim_{kind}"): dim,
        ("number_input", f"train_batch_size_{kind}"): batch,
        ("number_input", f"train_learning_rate_{kind}"): rate,
        ("slider", f"train_epochs_{kind}"): epochs,
        ("number_input", "train_seed"): seed,
        ("number_input", "train_temperature_towers") if kind == "towers" else ("slider", "train_dropout_dlrm"): extra,
    }


TRAIN_OUT_OF_BOUNDS = {  # embedding dim, batch size, learning rate, epochs, seed, temperature (towers) / dropout (dlrm)
    "zero": (0, 0, -0.001, 0, -1, {"towers": 0.0, "dlrm": -0.1}),
    "negative": (-8, -1, -1.0, -1, -5, {"towers": -1.0, "dlrm": -0.5}),
    "too-big": (1025, (1 << 16) + 1, 10.5, 51, MAX_SEED + 1, {"towers": 100.5, "dlrm": 0.95}),
    "absurd": (10**9, 10**12, math.inf, 10**6, 2**70, {"towers": math.nan, "dlrm": 1.0}),
}


@pytest.mark.parametrize("kind", ["dlrm", "towers"])
def test_train_out_of_bounds_settings_fall_back_to_the_default(env: Path, kind: str) -> None:
    """Embedding dim, batch size, learning rate, epochs, seed, temperature and dropout: zero,
    negative, too big, absurd and non-finite values all come back as the defaults the page shows
    and would train; nothing is queued."""
    at = _page("train", train_kind=LABELS[kind]).run()
    for dim, batch, rate, epochs, seed, extra in TRAIN_OUT_OF_BOUNDS.values():
        _assert_reset(at, _train_widgets(kind, dim, batch, rate, epochs, seed, extra[kind]), _train_defaults(kind))
        assert at.button(key="train_submit").disabled is False
    # a learning rate of 0 is inside the widget's bounds: the config refuses it, once, and Train is disabled
    at.number_input(key=f"train_learning_rate_{kind}").set_value(0.0).run()
    _assert_one_problem(at, "Invalid setting", "learning_rate must be a number in (0, 10]")
    assert at.button(key="train_submit").disabled
    assert _jobs(at) == []


def test_train_bound_values_are_accepted(env: Path) -> None:
    """The widgets' own extremes are valid configs: no message, Train enabled, values kept."""
    at = _page("train", train_kind=TOWERS_LABEL).run()
    extremes = [
        {
            "train_temperature_towers": 0.01,
            "train_distill_weight_towers": 0.0,
            "train_embedding_dim_towers": 1,
            "train_batch_size_towers": 1,
            "train_learning_rate_towers": 10.0,
            "train_seed": 0,
        },
        {
            "train_temperature_towers": 100.0,
            "train_distill_weight_towers": 10.0,
            "train_embedding_dim_towers": 1024,
            "train_batch_size_towers": 1 << 16,
            "train_learning_rate_towers": 0.0001,
            "train_seed": MAX_SEED,
        },
    ]
    for values in extremes:
        for key, value in values.items():
            at.number_input(key=key).set_value(value)
        at.run()
        _assert_clean(at)
        assert {k: at.number_input(key=k).value for k in values} == values
        assert at.button(key="train_submit").disabled is False
    assert _jobs(at) == []


@contextlib.contextmanager
def _page_env(ml_folder: Path, models: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The environment a module-scoped page runs in (function-scoped monkeypatch is not available)."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RECEXPLORE_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
        mp.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
        mp.setenv("RECEXPLORE_MODELS_DIR", str(models))
        yield


@pytest.fixture(scope="module")
def dlrm_form(ml_folder: Path, registry_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> AppTest:
    """One Train page (DLRM form) shared by the layer-list cases: each sets its own text."""
    with _page_env(ml_folder, registry_dir, tmp_path_factory):
        return _page("train").run()


BAD_LAYERS = {
    "letters": ("a,b", "whole numbers"),
    "negative": ("-3", "whole numbers"),
    "zero": ("0", "from 1 to 4096"),
    "empty-slot": ("8,,8", "whole numbers"),
    "trailing-comma": ("64,", "whole numbers"),
    "float": ("1e9", "whole numbers"),
    "huge": ("99999999", "from 1 to 4096"),
    "just-over": ("4097", "from 1 to 4096"),
    "5000-digits": ("9" * 5000, "from 1 to 4096"),
    "superscript": ("\u00b2", "whole numbers"),
    "arabic-digit": ("\u0663", "whole numbers"),
    "space-separated": ("8 8", "whole numbers"),
    "newline": ("8\n8", "whole numbers"),
    "nine-layers": (",".join(["8"] * 9), "at most 8 layers"),
}


@pytest.mark.parametrize(("text", "fragment"), BAD_LAYERS.values(), ids=BAD_LAYERS.keys())
def test_train_bad_layer_list_gets_one_error_and_no_job(
    env: Path, dlrm_form: AppTest, text: str, fragment: str
) -> None:
    at = dlrm_form
    at.text_input(key="train_top_layers_dlrm").set_value(text).run()
    message = _assert_one_problem(at, "Invalid setting", "top MLP widths", fragment)
    assert len(message) < 200 and "widths widths" not in message
    assert at.button(key="train_submit").disabled
    assert _jobs(at) == []


@pytest.mark.parametrize("text", ["", " 64 , 32 ", "64;0032", "4096"])
def test_train_layer_lists_that_are_valid(env: Path, dlrm_form: AppTest, text: str) -> None:
    """Whitespace, ';' and leading zeros are fine; an empty top MLP is allowed by design (the DLRM
    then maps the interactions straight to a rating). Run after the bad texts on the same page, each
    also shows that a valid text clears the earlier error."""
    at = dlrm_form
    at.text_input(key="train_top_layers_dlrm").set_value(text).run()
    _assert_clean(at)
    assert at.button(key="train_submit").disabled is False
    assert _jobs(at) == []


@pytest.mark.parametrize("kind", ["dlrm", "towers"])
def test_train_embedding_too_big_for_memory_gets_one_error_and_no_job(
    env: Path, ml_folder: Path, kind: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import psutil

    data = load_movielens(ml_folder)
    sizes, rows = Vocabularies.build(data).sizes(), len(make_split(data).train)
    wide = DLRMConfig(embedding_dim=1024) if kind == "dlrm" else TowerConfig(embedding_dim=1024)
    # the refusal is the embedding's doing: the defaults fit in the same memory
    assert estimate_training_bytes(kind, DEFAULTS[kind], sizes, rows) < FAKE_FREE_BYTES
    assert estimate_training_bytes(kind, wide, sizes, rows) > FAKE_FREE_BYTES
    monkeypatch.setattr(psutil, "virtual_memory", lambda: SimpleNamespace(available=FAKE_FREE_BYTES))
    at = _page("train", train_kind=LABELS[kind], **{f"train_embedding_dim_{kind}": 1024}).run()
    _assert_clean(at)
    at.button(key="train_submit").click().run()
    _assert_one_problem(at, "not enough memory", "64 MiB", "embedding dim")
    assert _jobs(at) == []
    assert at.number_input(key=f"train_embedding_dim_{kind}").value == 1024  # the setting is kept to edit


@pytest.mark.parametrize(
    ("state", "shown"),
    [
        ({"train_kind": "SVD", "train_split": "u9"}, {"train_kind": DLRM_LABEL, "train_split": "random"}),
        ({"train_kind": TOWERS_LABEL, "train_preset_towers": "9-layer"}, {"train_preset_towers": "1-layer"}),
    ],
    ids=["kind-and-split", "preset"],
)
def test_train_unknown_choices_fall_back_to_the_default(env: Path, state: dict, shown: dict) -> None:
    at = _page("train", **state).run()
    _assert_clean(at)
    for key, value in shown.items():
        assert (at.radio(key=key) if key == "train_kind" else at.selectbox(key=key)).value == value
    assert _jobs(at) == []


# ---------------------------------------------------------------- Train: save names


BAD_NAMES = ["", " ", "../x", "a/b", "/abs", "..", "x" * 65, "\u00fcn\u00ef", "dot.dot", "a b", "name\n2"]


@pytest.fixture(scope="module")
def save_registry(registry_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A registry the save tests write to: 'taken' (to test overwriting) and 'bystander'."""
    folder = tmp_path_factory.mktemp("save-models")
    registry.open_registry(folder, create=True)
    for name in ("taken", "bystander"):
        shutil.copytree(registry_dir / "towers-1-layer", folder / name)
    return folder


@pytest.fixture(scope="module")
def trained_page(
    ml_folder: Path, save_registry: Path, tmp_path_factory: pytest.TempPathFactory, ray_engine: None
) -> AppTest:
    """A Train page whose session has one finished tiny two-tower job (layers 32, dim 4, 1 epoch)."""
    from recexplore.engine.jobs import FINISHED

    with _page_env(ml_folder, save_registry, tmp_path_factory):
        at = _page(
            "train",
            train_kind=TOWERS_LABEL,
            train_preset="1-layer",
            train_embedding_dim_towers=4,
            train_epochs_towers=1,
            train_batch_size_towers=256,
        ).run()
        at.button(key="train_submit").click().run()
        (job,) = _jobs(at)
        deadline = time.time() + 180
        while job.status not in FINISHED and time.time() < deadline:
            time.sleep(0.1)
        at.run()
        assert job.status == "done" and not at.exception and at.text_input(key="train_save_name").value
    return at


@pytest.fixture
def save_page(trained_page: AppTest, ml_folder: Path, save_registry: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml_folder))
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(save_registry))
    return trained_page


def _save(at: AppTest, name: str, overwrite: bool) -> None:
    at.text_input(key="train_save_name").set_value(name)
    at.checkbox(key="train_overwrite").set_value(overwrite)
    at.button(key="train_save").click().run()


SAVE_CASES = [(n, False) for n in BAD_NAMES] + [(n, True) for n in ("../x", "..", "")]


@pytest.mark.parametrize(
    ("name", "overwrite"), SAVE_CASES, ids=[repr(n) + ("-overwrite" if o else "") for n, o in SAVE_CASES]
)
def test_save_bad_name_gets_one_error_and_writes_nothing(
    save_page: AppTest, save_registry: Path, name: str, overwrite: bool
) -> None:
    before = _snapshot(save_registry)
    _save(save_page, name, overwrite)
    _assert_one_problem(save_page, "Invalid model name", "letters, digits")
    assert not save_page.success
    assert _snapshot(save_registry) == before
    (job,) = _jobs(save_page)
    assert job.status == "done" and job.result is not None  # the model is still there to save
    assert save_page.text_input(key="train_save_name").value == name  # and the typed name to correct


def _own(at: AppTest, save_registry: Path) -> str:
    """This page's workspace folder, relative to the registry (saves from the app land there)."""
    from recexplore.app import session_workspace
    from recexplore.store import workspaces

    token = at.session_state[session_workspace.WORKSPACE_KEY]
    return str(workspaces.workspace_dir(token).relative_to(save_registry)) + "/"


@pytest.mark.parametrize("overwrite", [False, True])
def test_save_over_a_shared_entry_is_refused_even_when_ticked(
    save_page: AppTest, save_registry: Path, overwrite: bool
) -> None:
    before = _snapshot(save_registry)
    _save(save_page, "taken", overwrite=overwrite)
    _assert_one_problem(save_page, "'taken' is a shared model", "another name")
    assert not save_page.success and _snapshot(save_registry) == before


def test_save_own_name_asks_first_and_overwrites_only_when_ticked(save_page: AppTest, save_registry: Path) -> None:
    own = _own(save_page, save_registry)
    _save(save_page, "mine", overwrite=True)  # first save (or a replacement of an earlier test's)
    _assert_clean(save_page)
    before = _snapshot(save_registry)
    for _ in range(2):  # asking twice changes nothing either
        _save(save_page, "mine", overwrite=False)
        _assert_one_problem(save_page, "'mine' already exists", "overwrite")
        assert not save_page.success and _snapshot(save_registry) == before
    _save(save_page, "mine", overwrite=True)
    _assert_clean(save_page)
    assert any("Saved as 'mine'" in s.value for s in save_page.success)
    after = _snapshot(save_registry)
    assert sorted(after) == sorted(before)  # same files: no second entry, no hidden leftovers
    assert json.loads(after[own + "mine/meta.json"])["config"]["layers"] == [32]
    shared = {k: v for k, v in before.items() if not k.startswith(own)}
    assert {k: v for k, v in after.items() if not k.startswith(own)} == shared  # shared entries untouched


def test_save_good_name_after_refusals_keeps_everything_else(save_page: AppTest, save_registry: Path) -> None:
    own = _own(save_page, save_registry)
    _save(save_page, "../x", overwrite=False)
    _assert_one_problem(save_page, "Invalid model name")
    before = _snapshot(save_registry)
    _save(save_page, " fresh_1 ", overwrite=False)  # surrounding spaces are trimmed
    _assert_clean(save_page)
    assert any("Saved as 'fresh_1'" in s.value for s in save_page.success)
    after = _snapshot(save_registry)
    assert {k: v for k, v in after.items() if not k.startswith(own + "fresh_1/")} == before
    assert sorted(k for k in after if k.startswith(own + "fresh_1/")) == [
        own + "fresh_1/manifest.json",
        own + "fresh_1/meta.json",
        own + "fresh_1/model.keras",
    ]


# ---------------------------------------------------------------- model selectors: broken, deleted, wrong


def _recommend_works(at: AppTest) -> bool:
    return bool(at.subheader) and at.subheader[0].value == "Top 10 for user 1" and len(at.dataframe[0].value) == 10


def _map_works(at: AppTest) -> bool:
    return len(at.get("plotly_chart")) == 1 and any(s.value.startswith("Nearest 10") for s in at.subheader)


def _interactions_works(at: AppTest) -> bool:
    return {"User", "Actual stars", "Predicted stars"} <= {m.label for m in at.metric}


def _train_works(at: AppTest) -> bool:
    return at.button(key="train_submit").disabled is False and any("parameters" in c.value for c in at.caption)


def _rerank_off_works(at: AppTest) -> bool:
    return _recommend_works(at) and "predicted stars" not in at.dataframe[0].value.columns


SELECTORS = {  # page, selectbox key, the model to break, check that the page works with the fallback
    "recommend-model": ("recommend", "recommend_model", "towers-spare", _recommend_works),
    "recommend-rerank": ("recommend", "recommend_rerank", "dlrm-spare", _rerank_off_works),
    "map-model": ("movie_map", "map_model", "towers-spare", _map_works),
    "interactions-model": ("interactions", "interactions_model", "dlrm-spare", _interactions_works),
    "train-load": ("train", "train_load_model", "towers-spare", _train_works),
}
BREAKS = [(*SELECTORS[s], "truncated") for s in SELECTORS] + [
    (*SELECTORS[s], "deleted") for s in ("recommend-model", "train-load")
]


@pytest.mark.parametrize(
    ("page", "key", "victim", "works", "damage"),
    BREAKS,
    ids=[f"{k}-truncated" for k in SELECTORS] + ["recommend-model-deleted", "train-load-deleted"],
)
def test_a_picked_model_that_breaks_gets_one_warning_and_others_still_work(
    scratch: Path, page: str, key: str, victim: str, works: Any, damage: str
) -> None:
    at = _page(page, **{key: victim}).run()
    _assert_clean(at)
    assert at.selectbox(key=key).value == victim
    others = {k: v for k, v in _snapshot(scratch).items() if not k.startswith(f"{victim}/")}
    if damage == "truncated":
        _truncate(scratch / victim)
    else:
        shutil.rmtree(scratch / victim)
    at.run()
    reason = "is broken (model.keras" if damage == "truncated" else "is not in the models folder"
    _assert_one_problem(at, f"Model {victim!r}", reason)
    assert victim not in at.selectbox(key=key).options and at.selectbox(key=key).value != victim
    assert works(at)
    at.run()  # said once, when the model went away
    _assert_clean(at)
    assert {k: v for k, v in _snapshot(scratch).items() if not k.startswith(f"{victim}/")} == others


UNLOADABLE = {k: v for k, v in SELECTORS.items() if k != "train-load"}  # the Train page reads only meta.json


@pytest.mark.parametrize(("page", "key", "victim", "works"), UNLOADABLE.values(), ids=UNLOADABLE.keys())
def test_a_model_that_cannot_be_loaded_gets_one_error_and_others_still_work(
    scratch: Path, page: str, key: str, victim: str, works: Any
) -> None:
    _corrupt_keeping_sha(scratch / victim)
    at = _page(page, **{key: victim}).run()
    _assert_one_problem(at, repr(victim))
    good = next(o for o in at.selectbox(key=key).options if o != victim)
    at.selectbox(key=key).set_value(good).run()
    _assert_clean(at)
    assert works(at)


SET_FROM_CODE = {  # page, key, value put in session state, what the one message says
    "gone": ("recommend", "recommend_model", "gone", "is not in the models folder"),
    "path-like": ("movie_map", "map_model", "../towers-1-layer", "is not in the models folder"),
    "dlrm-as-towers": ("recommend", "recommend_model", "dlrm-default", "is a dlrm model"),
    "towers-as-dlrm": ("interactions", "interactions_model", "towers-1-layer", "is a towers model"),
    "train-load-gone": ("train", "train_load_model", "gone", "is not in the models folder"),
}


@pytest.mark.parametrize(("page", "key", "value", "reason"), SET_FROM_CODE.values(), ids=SET_FROM_CODE.keys())
def test_a_model_name_that_is_not_offered_gets_one_warning(
    env: Path, page: str, key: str, value: str, reason: str
) -> None:
    at = _page(page, **{key: value}).run()
    _assert_one_problem(at, f"Model {value!r}", reason)
    assert at.selectbox(key=key).value != value


NOTHING_PICKED = {  # a select box or radio set to None from code (the browser cannot clear them)
    "recommend-user": ("recommend", "recommend_user", "Pick a user id"),
    "map-movie": ("movie_map", "map_movie", "Pick a movie"),
    "train-load": ("train", "train_load_model", "Pick a saved model"),
    "train-kind": ("train", "train_kind", "Pick a model family"),
    "compare-k": ("compare_towers", "compare_k", "Pick a hit-rate cutoff"),
}


@pytest.mark.parametrize(("page", "key", "fragment"), NOTHING_PICKED.values(), ids=NOTHING_PICKED.keys())
def test_nothing_picked_says_what_to_do(env: Path, page: str, key: str, fragment: str) -> None:
    _assert_one_info(_page(page, **{key: None}).run(), fragment)


@pytest.mark.parametrize("key", ["recommend_model", "recommend_rerank"])
def test_no_model_name_gets_one_error(env: Path, key: str) -> None:
    _assert_one_problem(_page("recommend", **{key: None}).run(), "No model named None")


# ---------------------------------------------------------------- Recommend


@pytest.mark.parametrize("k", [1, 50])
def test_recommend_k_extremes(env: Path, ml_folder: Path, k: int) -> None:
    at = _page("recommend", recommend_k=k).run()
    _assert_clean(at)
    data = load_movielens(ml_folder)
    train = make_split(data).train  # the model's split: its training part is what is never recommended
    unseen = data.movies["movie_id"].nunique() - train.loc[train["user_id"] == 1, "movie_id"].nunique()
    expected = min(k, unseen)  # never more than the movies user 1 has no training rating of; the title says how many
    assert len(at.dataframe[0].value) == expected and at.subheader[0].value == f"Top {expected} for user 1"


@pytest.mark.parametrize(("k", "user"), [(0, 99999), (51, "abc")], ids=repr)
def test_recommend_k_and_user_out_of_bounds_fall_back(env: Path, k: int, user: Any) -> None:
    """A k outside 1..50 comes back as 10, a user id not in the data as the first user."""
    at = _page("recommend", recommend_user=user).run()
    _assert_clean(at)
    assert at.selectbox(key="recommend_user").value == 1
    at.slider(key="recommend_k").set_value(k).run()
    _assert_clean(at)
    assert at.slider(key="recommend_k").value == 10 and at.selectbox(key="recommend_user").value == 1
    assert _recommend_works(at)


def test_recommend_new_user_without_ratings_says_what_to_do(env: Path) -> None:
    at = _page("recommend", recommend_mode="A new user", recommend_rerank="dlrm-default").run()
    _assert_one_info(at, "Pick at least one movie")
    assert not at.dataframe


def test_recommend_new_user_with_too_many_picks_keeps_twenty(env: Path) -> None:
    at = _page("recommend", recommend_mode="A new user").run()
    options = at.multiselect(key="recommend_new_movies").options
    at.multiselect(key="recommend_new_movies").set_value(options[:25]).run()
    _assert_one_problem(at, "At most 20 movies", "25")
    assert at.multiselect(key="recommend_new_movies").value == options[:20]
    table = at.dataframe[0].value
    assert len(table) == 10 and not set(options[:20]) & set(table["movie_title"])
    stars = [s for s in at.slider if s.key.startswith("recommend_new_")]
    assert len(stars) == 20
    stars[0].set_value(0)
    stars[1].set_value(6)  # star ratings outside 1..5 come back as the default 4
    at.run()
    _assert_clean(at)
    assert [s.value for s in at.slider if s.key.startswith("recommend_new_")][:2] == [4, 4]
    assert len(at.dataframe[0].value) == 10


# ---------------------------------------------------------------- Movie map, Feature interactions


@pytest.mark.parametrize(("k", "movie"), [(0, 99999), (31, "abc")], ids=repr)
def test_movie_map_out_of_bounds_fall_back_to_the_default(env: Path, ml_folder: Path, k: int, movie: Any) -> None:
    """Neighbours outside 5..30 come back as 10, a movie not in the catalogue as the most-rated one."""
    most_rated = int(ratings_per(load_movielens(ml_folder).ratings, "movie_id")["movie_id"].iloc[0])
    at = _page("movie_map", map_movie=movie).run()
    _assert_clean(at)
    at.slider(key="map_k").set_value(k).run()
    _assert_clean(at)
    assert at.slider(key="map_k").value == 10 and at.selectbox(key="map_movie").value == most_rated
    assert _map_works(at) and len(at.dataframe[0].value) == 10


def test_interactions_out_of_bounds_fall_back_to_the_default(env: Path) -> None:
    at = _page("interactions").run()
    last = int(at.number_input(key="interactions_row").max)  # the last held-out row number
    defaults = {"interactions_sample": 2000, "interactions_row": 0}
    for sample, row in [(0, -1), (5001, last + 1)]:
        _assert_reset(
            at, {("slider", "interactions_sample"): sample, ("number_input", "interactions_row"): row}, defaults
        )
        assert _interactions_works(at)
    at.number_input(key="interactions_row").set_value(last).run()  # the last row itself is fine
    _assert_clean(at)
    assert _interactions_works(at)


# ---------------------------------------------------------------- Compare, Data


def test_compare_out_of_bounds_fall_back_and_queue_nothing(env: Path) -> None:
    at = _page("compare_towers", compare_source="Train all three now", compare_split="u9", compare_k="@1000").run()
    _assert_clean(at)
    assert at.selectbox(key="compare_split").value == "random" and at.radio(key="compare_k").value == "@100"
    at.checkbox(key="compare_same").check().run()  # the epochs slider is live only then
    defaults = {"compare_epochs": TowerConfig().epochs, "compare_seed": 42}
    for epochs, seed in [(0, -1), (31, 2**70)]:
        _assert_reset(at, {("slider", "compare_epochs"): epochs, ("number_input", "compare_seed"): seed}, defaults)
        assert at.button(key="compare_train").disabled is False
    assert _jobs(at) == [] and "compare_job_ids" not in at.session_state


def test_compare_broken_preset_entry_gets_one_warning_and_the_others_are_shown(scratch: Path) -> None:
    shutil.copytree(scratch / "towers-1-layer", scratch / "towers-2-layer")
    _truncate(scratch / "towers-2-layer")
    at = _page("compare_towers").run()
    _assert_one_problem(at, "towers-2-layer", "broken", "does not match the manifest")
    assert list(at.dataframe[0].value["preset"]) == ["1-layer", "EASE (linear baseline)"]
    captions = [c.value for c in at.caption]
    assert "Not saved yet: towers-3-layer." in captions and not any("towers-2-layer" in c for c in captions)


def test_data_out_of_bounds_fall_back_to_the_default(env: Path) -> None:
    at = _page("data", data_tail="nonsense", data_seed=-1).run()
    _assert_clean(at)
    assert at.radio(key="data_tail").value == "Ratings per user" and at.number_input(key="data_seed").value == 0
    for rows, seed in [(0, 10**7), (21, 2**70)]:
        _assert_reset(
            at, {("slider", "data_rows"): rows, ("number_input", "data_seed"): seed}, {"data_rows": 5, "data_seed": 0}
        )
    assert [len(t.value) for t in at.dataframe[2:]] == [5, 5, 5]


# ---------------------------------------------------------------- a forged entry on every page

FORGED = "towers-spare"
PAGE_WORKS = {  # page file -> what it shows when it works
    "home": lambda at: any(m.label == "Ratings" for m in at.metric),
    "data": lambda at: len(at.get("plotly_chart")) > 0,
    "train": lambda at: at.button(key="train_submit") is not None,
    "interactions": _interactions_works,
    "compare_towers": lambda at: len(at.dataframe) == 2,  # the results and the paired tests
    "beyond": lambda at: len(at.get("plotly_chart")) == 3,
    "recommend": _recommend_works,
    "movie_map": _map_works,
}


def _all_text(at: AppTest) -> str:
    parts = [
        str(getattr(e, "value", ""))
        for kind in ("markdown", "caption", "info", "warning", "error", "success", "subheader", "title", "text")
        for e in getattr(at, kind)
    ]
    return "\n".join(parts)


@pytest.mark.parametrize("page", sorted(PAGE_WORKS))
def test_every_page_with_a_forged_entry_says_it_once_and_shows_no_path(
    scratch: Path, page: str, tmp_path: Path
) -> None:
    """metrics edited in meta.json, hashes recomputed, signed with a key this server does not hold."""
    import hmac

    from recexplore.store import manifest

    folder = scratch / FORGED
    meta = json.loads((folder / "meta.json").read_text())
    meta["metrics"]["hit_rate_at_10"] = 0.99
    (folder / "meta.json").write_text(json.dumps(meta))
    contents = {n: (folder / n).read_bytes() for n in ("meta.json", "model.keras")}
    signed = manifest.build(contents)
    signed["signature"] = (
        "hmac-sha256:"
        + hmac.new(b"not-this-servers-key" * 2, manifest.digest(signed["files"]).encode(), hashlib.sha256).hexdigest()
    )
    (folder / "manifest.json").write_text(json.dumps(signed))
    at = _page(page).run()
    assert not at.exception, [e.value for e in at.exception]
    about = [p for p in _problems(at) if FORGED in p]
    if page == "home":  # the models overview names it, once, with the reason
        assert len(about) == 1 and "signature does not match" in about[0], about
    else:  # elsewhere it is simply not offered
        assert about == [] and _problems(at) == []
    assert PAGE_WORKS[page](at)
    text = _all_text(at)
    assert str(scratch) not in text and str(tmp_path.parent) not in text and "/tmp/" not in text
