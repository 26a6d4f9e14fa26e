"""Preparing a data set in one click: the plan (engine/prepare.py), its jobs (engine/preparation.py,
with a stand-in job manager and on the test run's Ray), and the offer and progress on Home (AppTest)."""

from __future__ import annotations

import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.config.memory import ResourceError
from recexplore.data.loading import load_movielens
from recexplore.data.synth import write_synthetic
from recexplore.engine import prepare
from recexplore.engine.jobs import CANCELLED, DONE, FAILED, FINISHED, QUEUED, RUNNING, JobLimitError
from recexplore.engine.preparation import SAVED, WAITING, ModelState, Preparation, Preparations, Target
from recexplore.families import family, pretrained_entries
from recexplore.store import registry, workspaces
from recexplore.store.data_presets import keep_preset
from recexplore.store.entry_format import RegistryError
from tests.conftest import save_tiny_models, tiny_towers_config

ROOT = Path(__file__).resolve().parent.parent
HOME = str(ROOT / "pages" / "home.py")
TIMEOUT = 120
SMALL_ML1M = {"n_ratings": 3000, "n_users": 60, "n_movies": 150}


@pytest.fixture(scope="module")
def ml1m_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic data set in the ML-1M layout: a release other than the shipped one."""
    folder = tmp_path_factory.mktemp("prepare") / "ml-1m"
    write_synthetic(folder, "ml-1m", **SMALL_ML1M)
    return folder


@pytest.fixture(scope="module")
def ml1m(ml1m_folder: Path) -> Any:
    return load_movielens(ml1m_folder, download=False)


# ---------------------------------------------------------------- the plan


def test_the_plan_is_every_pretrained_entry_named_for_the_data_set(ml1m: Any, ml_folder: Path) -> None:
    planned = prepare.plan(ml1m, ())
    wanted = pretrained_entries()
    assert [p.entry for p in planned] == list(wanted)  # the one list of what the lesson pages open with
    for p in planned:
        fam = family(p.kind)
        assert (p.kind, p.preset) == wanted[p.entry] and not p.tuned
        assert p.name == f"{p.entry}-ml-1m"  # another release's defaults never replace the shipped ones
        assert p.split == fam.default_split
        assert p.config == fam.make_config(p.preset)  # 3,000 ratings: the preset's own epochs
        request = p.request()
        assert (request.kind, request.split, request.seed) == (p.kind, p.split, prepare.SEED)
        assert p.name in request.label
    shipped = prepare.plan(load_movielens(ml_folder), ())
    assert [p.name for p in shipped] == list(wanted)  # on ML-100K the entries keep their own names


def test_a_kept_preset_trains_the_entry_of_its_base(ml1m: Any, tmp_path: Path) -> None:
    record = {
        "kind": "towers",
        "preset": "2-layer",
        "data_fingerprint": ml1m.fingerprint,
        "best": {"settings": {"learning_rate": 0.0031}, "validation": 0.2},
        "metric": "hit_rate_at_10",
    }
    keep_preset(record, "tuned-a", tmp_path)
    planned = {p.entry: p for p in prepare.plan(ml1m, (tmp_path,))}
    tuned = planned["towers-2-layer"]
    assert tuned.tuned and tuned.preset == "tuned-a"
    assert tuned.config.learning_rate == pytest.approx(0.0031)
    assert tuned.config.layers == family("towers").make_config("2-layer").layers
    assert "tuned preset tuned-a" in tuned.label
    assert not planned["towers-1-layer"].tuned and not planned["dlrm-default"].tuned
    # kept for another data set: not offered here
    other = SimpleNamespace(dataset="ml-1m", fingerprint="0" * 16, ratings=ml1m.ratings)
    assert not any(p.tuned for p in prepare.plan(other, (tmp_path,)))


def test_names_on_a_data_set_and_what_is_missing() -> None:
    assert prepare.entry_name("dlrm-default", "ml-100k") == "dlrm-default"
    assert prepare.entry_names("dlrm-default", "ml-25m") == ("dlrm-default-ml-25m", "dlrm-default")
    names = ["dlrm-default", "dlrm-default-ml-25m", "mine"]
    assert prepare.find_entry("dlrm-default", "ml-25m", names) == "dlrm-default-ml-25m"  # its own name first
    assert prepare.find_entry("dlrm-default", "ml-25m", ["dlrm-default"]) == "dlrm-default"  # an operator's folder
    assert prepare.find_entry("dcn-default", "ml-25m", names) is None
    data = SimpleNamespace(dataset="ml-25m", fingerprint="f" * 16, ratings=range(10))
    left = prepare.missing(prepare.plan(data, ()), "ml-25m", names)
    assert [p.entry for p in left] == [e for e in pretrained_entries() if e != "dlrm-default"]


def test_a_name_holding_another_data_sets_model_is_never_replaced() -> None:
    model = prepare.plan(SimpleNamespace(dataset="ml-1m", fingerprint="a" * 16, ratings=range(5)), ())[0]
    assert prepare.name_problem(model, "ml-1m", None) is None
    assert prepare.name_problem(model, "ml-1m", SimpleNamespace(ok=False, meta={})) is None  # broken: replaced
    assert prepare.name_problem(model, "ml-1m", SimpleNamespace(ok=True, meta={"dataset": "ml-1m"})) is None
    problem = prepare.name_problem(model, "ml-1m", SimpleNamespace(ok=True, meta={"dataset": "ml-20m"}))
    assert problem is not None and "ml-20m" in problem and "\n" not in problem


def test_where_the_models_go_and_why_they_cannot(
    ml1m: Any, ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared"
    save_tiny_models(shared, ml_folder, {}, "dlrm-default-ml-1m")  # an ML-100K model under ML-1M's name
    token = workspaces.new_token()
    planned = prepare.plan(ml1m, ())
    monkeypatch.setenv(registry.MODELS_ENV, str(shared))
    mine = Target(token, shared=False, max_saved=len(planned) + 1)  # room for every entry: only the name clashes
    assert mine.folder == workspaces.workspace_dir(token) and mine.where == "your workspace"
    (found,) = mine.problems(planned, "ml-1m")
    assert found == "'dlrm-default-ml-1m' is a shared model's name, so your workspace cannot save one under it."
    assert mine.problems(planned[1:], "ml-1m") == []
    small = Target(token, shared=False, max_saved=3)
    assert any("has room for 3" in f for f in small.problems(planned[1:], "ml-1m"))
    everyone = Target(token, shared=True, max_saved=3)  # the shared models have no workspace cap
    assert everyone.folder == shared and "shared" in everyone.where
    (found,) = everyone.problems(planned, "ml-1m")
    assert "'dlrm-default-ml-1m' already holds a model of ml-100k" in found
    assert everyone.problems(planned[1:], "ml-1m") == []


# ---------------------------------------------------------------- the jobs, with a stand-in manager


class _Manager:
    """Just enough of JobManager: a limit of two active jobs, jobs moved on by the test."""

    def __init__(self, refuse: str = "") -> None:
        self.settings = SimpleNamespace(max_active_jobs=2)
        self.jobs: list[Any] = []
        self.forgotten: list[Any] = []
        self.refuse = refuse
        self.most_active = 0

    def submit(self, workspace: str, request: Any, data: Any) -> Any:
        active = [j for j in self.jobs if j.status not in FINISHED]
        if len(active) >= self.settings.max_active_jobs:
            raise JobLimitError("This workspace may have 2 jobs queued or running at once")
        if request.kind == self.refuse:
            raise ResourceError("not enough memory for this model")
        job = SimpleNamespace(status=QUEUED, request=request, result=None, error=None, epoch=0)
        self.jobs.append(job)
        self.most_active = max(self.most_active, len(active) + 1)
        return job

    def position(self, job: Any) -> int:
        return 0 if job.status == RUNNING else 1

    def model_bytes(self, job: Any) -> bytes:
        return b"model"

    def forget(self, job: Any) -> None:
        self.forgotten.append(job)

    def cancel(self, job: Any) -> None:
        job.status = CANCELLED


class _Target:
    """A target that keeps what is saved, and refuses one name."""

    workspace, shared, where = "w" * 24, False, "your workspace"

    def __init__(self, refuse: str) -> None:
        self.saved: dict[str, Any] = {}
        self.refuse = refuse

    def save(self, model_bytes: bytes, meta: dict[str, Any], name: str) -> None:
        if name == self.refuse:
            raise RegistryError(f"Could not save model {name!r}: No space left on device.")
        self.saved[name] = meta


def test_a_preparation_keeps_to_the_limit_and_each_failure_is_one_line(ml1m: Any) -> None:
    planned = prepare.plan(ml1m, ())
    manager, target = _Manager(refuse="dcn"), _Target(refuse=planned[2].name)
    prep = Preparation(manager, target, ml1m, [ModelState(m) for m in planned])
    steps = 0
    while not prep.finished and steps < 50:
        prep.step()
        for job in manager.jobs:  # each step, every job moves on: queued -> running -> ended
            if job.status == RUNNING:
                if job.request.kind == "sequential" and job.request.config.encoder == "gru":
                    job.status, job.error = FAILED, "the worker raised\nTraceback (most recent call last): ..."
                else:
                    job.status, job.result = DONE, SimpleNamespace(meta={"name": ""})
            elif job.status == QUEUED:
                job.status = RUNNING
        steps += 1
    rows = {row["name"]: row for row in prep.snapshot()}
    assert prep.finished and manager.most_active <= 2  # never past the workspace's limit
    assert rows[planned[1].name]["status"] == FAILED and "not enough memory" in rows[planned[1].name]["error"]
    assert rows[planned[2].name]["status"] == FAILED and rows[planned[2].name]["error"].startswith("not saved:")
    gru = next(p.name for p in planned if p.entry == "sequential-gru")
    assert rows[gru]["status"] == FAILED and rows[gru]["error"] == "the worker raised"
    saved = [name for name, row in rows.items() if row["status"] == SAVED]
    assert sorted(saved) == sorted(target.saved) and len(saved) == len(planned) - 3
    assert all("\n" not in (row["error"] or "") for row in rows.values())
    assert len(manager.forgotten) == len(saved)  # saved jobs leave the Train page's list


def test_cancelling_a_preparation_ends_every_model(ml1m: Any) -> None:
    manager = _Manager()
    prep = Preparation(manager, _Target(refuse=""), ml1m, [ModelState(m) for m in prepare.plan(ml1m, ())])
    prep.step()
    assert [row["status"] for row in prep.snapshot()][:3] == [QUEUED, QUEUED, WAITING]
    prep.cancel()
    prep.step()
    assert prep.finished and {row["status"] for row in prep.snapshot()} == {CANCELLED}
    assert len(manager.jobs) == 2  # nothing more was submitted after the cancel


def test_preparations_refuse_a_target_that_cannot_take_the_models(ml1m: Any) -> None:
    found = Preparations()
    target = Target(workspaces.new_token(), shared=False, max_saved=2)
    with pytest.raises(ValueError, match="has room for 2"):
        found.start(_Manager(), target, ml1m, prepare.plan(ml1m, ()))
    assert found.find(target.workspace, ml1m.fingerprint) is None


# ---------------------------------------------------------------- on the test run's engine


def _tiny_plan(data: Any) -> list[prepare.PlannedModel]:
    """One tiny two-tower model standing for the towers' default entry."""
    entry = family("towers").default_entry
    config = tiny_towers_config()
    return [
        prepare.PlannedModel(
            entry, prepare.entry_name(entry, data.dataset), "towers", "1-layer", False, config, "random"
        )
    ]


def test_a_preparation_trains_through_the_jobs_and_saves_into_the_workspace(ml1m: Any, ray_engine: None) -> None:
    from recexplore.engine.jobs import JobManager
    from recexplore.engine.settings import EngineSettings

    manager = JobManager(EngineSettings(local_cpus=2, object_store_mb=256))
    token = workspaces.new_token()
    prep = Preparations().start(manager, Target(token, shared=False, max_saved=10), ml1m, _tiny_plan(ml1m))
    assert prep.wait(300)
    (row,) = prep.snapshot()
    assert row["status"] == SAVED, row
    (entry,) = workspaces.own_entries(token)
    assert entry.name == "towers-1-layer-ml-1m" and entry.ok
    assert entry.meta["dataset"] == "ml-1m" and entry.meta["data_fingerprint"] == ml1m.fingerprint
    assert manager.jobs_for(token) == []  # saved and forgotten


# ---------------------------------------------------------------- on Home (AppTest)


@pytest.fixture
def ml1m_env(ml1m_folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RECEXPLORE_DATA_DIR", str(ml1m_folder))


def test_home_offers_to_prepare_a_data_set_without_models(ml1m_env: None) -> None:
    from recexplore.app import class_queue

    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    assert not at.exception
    assert any("No saved models yet for MovieLens 1M" in i.value for i in at.info)
    assert at.button(key="home_prepare_start").label == "Prepare MovieLens 1M"
    (plan,) = [d.value for d in at.dataframe]  # the only table on Home without models: the plan
    assert list(plan["model"]) == [f"{e}-ml-1m" for e in pretrained_entries()]
    assert any("your workspace" in m.value for m in at.markdown)
    assert any("python -m recexplore pretrain --dataset ml-1m" in c.value for c in at.caption)  # for operators

    operator = AppTest.from_file(HOME, default_timeout=TIMEOUT)
    operator.session_state[class_queue.OPERATOR_KEY] = True  # this session opened the Teacher's view
    operator.run()
    assert any("the shared models (everyone sees them)" in m.value for m in operator.markdown)


@pytest.mark.parametrize(
    ("page", "said"),
    [
        ("interactions", "No model for this page is saved yet (DLRM (rating prediction)"),
        ("compare_towers", "None of towers-1-layer-ml-1m, towers-2-layer-ml-1m, towers-3-layer-ml-1m is saved"),
        ("recommend", "No model for this page is saved yet (Two-tower (retrieval)) for MovieLens 1M"),
        ("movie_map", "No model for this page is saved yet (Two-tower (retrieval)) for MovieLens 1M"),
        ("next_movie", "No model for this page is saved yet (Next movie (sequential)) for MovieLens 1M"),
        ("beyond", "No model for this page is saved yet (Two-tower (retrieval)) for MovieLens 1M"),
    ],
)
def test_an_empty_lesson_page_offers_to_prepare_instead_of_naming_a_command(
    ml1m_env: None, page: str, said: str
) -> None:
    at = AppTest.from_file(str(ROOT / "pages" / f"{page}.py"), default_timeout=TIMEOUT).run()
    assert not at.exception and not at.error
    assert any(said in i.value for i in at.info)
    assert at.button(key="lesson_prepare_start").label == "Prepare MovieLens 1M"
    assert not any("pretrain`" in i.value for i in at.info)  # the command is the operators' caption only
    assert any("pretrain --dataset ml-1m" in c.value for c in at.caption)


def test_home_prepares_the_data_set_with_progress(
    ml1m_env: None, ml1m: Any, ray_engine: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recexplore.app import prepare_panel, session_workspace

    monkeypatch.setattr(prepare_panel, "plan_here", lambda data, owner: _tiny_plan(data))
    at = AppTest.from_file(HOME, default_timeout=TIMEOUT).run()
    at.button(key="home_prepare_start").click().run()
    assert not at.exception and not at.error
    owner = at.session_state[session_workspace.WORKSPACE_KEY]
    found = prepare_panel.preparations().find(owner, ml1m.fingerprint)
    assert found is not None
    if not found.finished:  # the progress: the data set, where the models go, one row per model
        assert any("Preparing MovieLens 1M** · into your workspace" in m.value for m in at.markdown)
        assert any(m.value.startswith("`towers-1-layer-ml-1m` · ") for m in at.markdown)
    deadline = time.time() + 300
    while not found.finished and time.time() < deadline:
        time.sleep(0.5)
    at.run()
    assert not at.exception
    assert any("MovieLens 1M is prepared: 1 models saved in your workspace" in s.value for s in at.success)
    assert [e.name for e in workspaces.own_entries(owner)] == ["towers-1-layer-ml-1m"]
    (table,) = [d.value for d in at.dataframe]  # Home lists it for this data set
    assert list(table["name"]) == ["towers-1-layer-ml-1m"]
    assert not any(b.key == "home_prepare_start" for b in at.button)  # nothing left to prepare
