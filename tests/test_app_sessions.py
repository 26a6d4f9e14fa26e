"""Workspaces on the Train page (AppTest, synthetic data, the test session's local Ray): two
students train at the same time; a reload or a second tab of the same browser (its workspace
cookie) keeps the jobs and the unsaved model; another browser, even with the first one's address,
sees none of them; shared entries are read-only.

AppTest cannot send cookies, so `browser_cookie` reads a per-session stand-in (`BROWSER_COOKIE`):
the cookie as the server's middleware gives it (tests/test_workspace_cookie.py tests that part)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import session_workspace, training_jobs
from recexplore.engine.jobs import DONE, FINISHED
from recexplore.store import entry_format, registry, workspaces
from tests.conftest import save_tiny_models, warm_spares

TRAIN_PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "train.py")
BROWSER_COOKIE = "test_browser_cookie"  # session-state stand-in for the browser's workspace cookie
pytestmark = pytest.mark.usefixtures("ray_engine", "browser_cookies")


@pytest.fixture
def browser_cookies(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each AppTest session sends the cookie put in its session state under BROWSER_COOKIE."""
    import streamlit as st

    monkeypatch.setattr(session_workspace, "browser_cookie", lambda: st.session_state.get(BROWSER_COOKIE))


def _page(cookie: str | None = None, link: dict[str, str] | None = None, page: str = TRAIN_PAGE) -> AppTest:
    """A new browser session on a page: a browser holding workspace `cookie` (None: one whose
    cookie did not come), opening an address with the query parameters of `link`."""
    at = AppTest.from_file(page, default_timeout=120)
    if cookie is not None:
        at.session_state[BROWSER_COOKIE] = cookie
    for key, value in (link or {}).items():
        at.query_params[key] = value
    return at.run()


def _submit(at: AppTest, embedding_dim: int, epochs: int = 1, batch_size: int = 256) -> AppTest:
    at.radio(key="train_kind").set_value("Two-tower (retrieval)").run()
    at.number_input(key="train_embedding_dim_towers").set_value(embedding_dim)
    at.slider(key="train_epochs_towers").set_value(epochs)
    at.number_input(key="train_batch_size_towers").set_value(batch_size).run()
    at.button(key="train_submit").click().run()
    assert not at.exception and not at.error
    return at


def _job_ids_shown(at: AppTest) -> set[str]:
    return {m for md in at.markdown for m in re.findall(r"\*\*Job ([0-9a-f]{6})\*\*", md.value)}


def _wait(jobs: list, seconds: float = 300) -> None:
    deadline = time.time() + seconds
    while time.time() < deadline and not all(job.status in FINISHED for job in jobs):
        time.sleep(0.2)


def test_two_students_train_at_once_and_reloads_keep_their_jobs(data_env: None) -> None:
    warm_spares(training_jobs.job_manager(), 2)  # both start at once, as on a server that has been up a while
    tokens = [workspaces.new_token(), workspaces.new_token()]  # the two browsers' cookies
    first = _submit(_page(tokens[0]), embedding_dim=4, epochs=20, batch_size=32)
    second = _submit(_page(tokens[1]), embedding_dim=5, epochs=20, batch_size=32)
    assert [at.session_state[session_workspace.WORKSPACE_KEY] for at in (first, second)] == tokens
    assert all(t not in str(dict(at.query_params)) for at in (first, second) for t in tokens)  # not in any address
    manager = training_jobs.job_manager()
    (job_a,), (job_b,) = (manager.jobs_for(t) for t in tokens)
    _wait([job_a, job_b])
    assert [job_a.status, job_b.status] == [DONE, DONE]
    assert job_a.ran[0] < job_b.ran[1] and job_b.ran[0] < job_a.ran[1], "the two jobs did not overlap"

    reloaded = _page(tokens[0])  # a reload: a new session, the same browser
    second_tab = _page(tokens[0])  # a second tab of the same browser
    stranger = _page(workspaces.new_token())  # another browser
    copied = _page(workspaces.new_token(), link={"ws": tokens[0]})  # another browser, an old-style copied link
    for at in (reloaded, second_tab):
        assert not at.exception and at.session_state[session_workspace.WORKSPACE_KEY] == tokens[0]
        assert _job_ids_shown(at) == {job_a.job_id[:6]}  # its job, nobody else's
        assert at.text_input(key="train_save_name").value == f"my-towers-{job_a.job_id[:6]}"  # unsaved model kept
    for at in (stranger, copied):
        assert _job_ids_shown(at) == set() and all(t.key != "train_save_name" for t in at.text_input)
    assert "ws" not in copied.query_params  # the token an old link carried is dropped, never adopted
    assert manager.get(job_a.job_id, tokens[1]) is None and manager.get(job_a.job_id, "x" * 24) is None

    # the second tab saves; the entry is the workspace's own: the first tab lists it, strangers do not
    second_tab.text_input(key="train_save_name").set_value("ours")
    second_tab.button(key="train_save").click().run()
    assert any("Saved as 'ours'" in s.value for s in second_tab.success)
    assert registry.list_entries() == []  # nothing in the shared registry
    assert "ours" in _page(tokens[0]).selectbox(key="train_load_model").options
    assert not any(e.name == "ours" for e in workspaces.visible_entries(tokens[1]))
    stranger.run()
    assert not stranger.exception and all(s.key != "train_load_model" for s in stranger.selectbox)
    for job in (job_a, job_b):
        manager.forget(job)


def test_without_a_cookie_the_workspace_lasts_for_the_session_and_says_so(data_env: None) -> None:
    at = _page()
    assert not at.exception
    token = at.session_state[session_workspace.WORKSPACE_KEY]
    assert workspaces.is_token(token) and token not in str(dict(at.query_params))
    assert at.run().session_state[session_workspace.WORKSPACE_KEY] == token  # the session's next runs keep it
    assert any("did not keep the workspace's cookie" in m.value for m in at.markdown)
    assert _page().session_state[session_workspace.WORKSPACE_KEY] != token  # a reload without the cookie: a new one
    cookie = workspaces.new_token()
    kept = _page(cookie)
    assert any("kept by this browser" in m.value for m in kept.markdown)
    assert any(e.label == f"Your workspace ({workspaces.label(cookie)})" for e in kept.expander)


def test_a_workspace_cannot_replace_or_delete_a_shared_entry(
    data_env: None, ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = save_tiny_models(tmp_path / "models", ml_folder, {"towers-1-layer": (8,)})
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(shared))
    token = workspaces.new_token()
    before = (shared / "towers-1-layer" / "model.keras").read_bytes()
    for overwrite in (False, True):
        refused = workspaces.save_problem(token, "towers-1-layer", overwrite, 10)
        assert refused is not None and "shared model" in refused and "\n" not in refused
        with pytest.raises(entry_format.RegistryError, match="shared model"):
            workspaces.save(token, b"not a model", {}, "towers-1-layer", overwrite, 10)
    with pytest.raises(entry_format.RegistryError, match="shared model and cannot be deleted"):
        workspaces.delete(token, "towers-1-layer")
    assert (shared / "towers-1-layer" / "model.keras").read_bytes() == before
    assert [e.name for e in workspaces.visible_entries(token)] == ["towers-1-layer"]


def test_the_saved_models_cap_refuses_with_one_line(data_env: None, ml_folder: Path, tmp_path: Path) -> None:
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split
    from recexplore.engine.worker import model_bytes
    from recexplore.store.registry import build_meta
    from recexplore.training.trainer import train
    from tests.conftest import tiny_towers_config

    data = load_movielens(ml_folder)
    result = train("towers", data, make_split(data), tiny_towers_config())
    payload, meta = model_bytes(result.model), build_meta(result, "")
    token = workspaces.new_token()
    for name in ("one", "two"):
        workspaces.save(token, payload, meta, name, False, 2)
    refused = workspaces.save_problem(token, "three", False, 2)
    assert refused is not None and "limit is 2" in refused and "\n" not in refused
    assert workspaces.save_problem(token, "two", True, 2) is None  # replacing one of its own is fine
    workspaces.delete(token, "one")
    assert workspaces.save_problem(token, "three", False, 2) is None
    assert registry.load("two", workspaces.workspace_dir(token)).kind == "towers"


def test_the_pretrained_model_is_the_default_pick_over_a_students_own(
    data_env: None, ml_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from recexplore.data.loading import load_movielens
    from recexplore.data.splits import make_split
    from recexplore.engine.worker import model_bytes
    from recexplore.store.registry import build_meta
    from recexplore.training.trainer import train
    from tests.conftest import TINY_DLRM

    shared = save_tiny_models(tmp_path / "models", ml_folder, {}, dlrm_name="dlrm-default")
    monkeypatch.setenv("RECEXPLORE_MODELS_DIR", str(shared))
    data = load_movielens(ml_folder)
    result = train("dlrm", data, make_split(data), TINY_DLRM)
    token = workspaces.new_token()
    workspaces.save(token, model_bytes(result.model), build_meta(result, ""), "aaa-mine", False, 10)  # sorts first
    for page, key in (("interactions.py", "interactions_model"), ("train.py", "train_load_model")):
        at = _page(token, page=str(Path(TRAIN_PAGE).parent / page))
        assert not at.exception
        box = at.selectbox(key=key)
        assert "aaa-mine" in box.options and box.value == "dlrm-default", (page, box.options, box.value)
