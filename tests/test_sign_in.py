"""Sign-in for a class server, without a live identity provider: the identity -> workspace
mapping, the teacher list, and the app gated by `st.login` (AppTest seeds `st.user` and the
`[auth]` secrets the operator would write)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from recexplore.app import session_workspace, sign_in
from recexplore.engine.settings import TEACHERS_ENV
from recexplore.store import workspaces

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-long-random-cookie-secret-for-tests"
AUTH = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": SECRET,
        "client_id": "recexplore-class",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://idp.example.org/.well-known/openid-configuration",
    }
}
ALICE = {"is_logged_in": True, "iss": "https://idp.example.org", "sub": "u-123", "email": "Alice@School.example"}


def test_an_identity_maps_to_one_stable_unguessable_workspace() -> None:
    token = sign_in.workspace_of(ALICE, SECRET)
    assert workspaces.is_token(token)
    assert sign_in.workspace_of(dict(ALICE, name="Alice B."), SECRET) == token  # the same person, any device
    others = [
        sign_in.workspace_of(dict(ALICE, sub="u-124"), SECRET),  # another person
        sign_in.workspace_of(dict(ALICE, iss="https://other-idp.example.org"), SECRET),  # same id, other provider
        sign_in.workspace_of(ALICE, SECRET + "x"),  # another server's secret
    ]
    assert len({token, *others}) == 4
    assert sign_in.workspace_of({"email": "bob@school.example"}, SECRET) != token  # no subject: the email
    with pytest.raises(ValueError, match="subject"):
        sign_in.workspace_of({"name": "nobody"}, SECRET)
    with pytest.raises(ValueError, match="secret"):
        sign_in.workspace_of(ALICE, "")


def test_the_teacher_list_matches_subjects_and_verified_emails() -> None:
    listed = sign_in.teachers({TEACHERS_ENV: " alice@school.example , T-9 ,, "})
    assert listed == frozenset({"alice@school.example", "t-9"})
    assert sign_in.is_teacher(ALICE, listed)  # email, case-insensitive
    assert sign_in.is_teacher({"sub": "t-9"}, listed)
    assert not sign_in.is_teacher(dict(ALICE, email_verified=False), listed)  # an unverified email proves nothing
    assert not sign_in.is_teacher({"sub": "u-5", "email": "bob@school.example"}, listed)
    assert not sign_in.is_teacher(ALICE, frozenset()) and not sign_in.is_teacher(None, listed)
    assert sign_in.teachers({}) == frozenset()


def _app(user: dict[str, Any], page: str | None = None) -> AppTest:
    path = ROOT / ("streamlit_app.py" if page is None else f"pages/{page}.py")
    at = AppTest.from_file(str(path), default_timeout=120)
    at.secrets = dict(AUTH)
    at.user = dict(user)
    return at.run()


def test_with_sign_in_on_nothing_shows_before_signing_in(data_env: None) -> None:
    at = _app({"is_logged_in": False})
    assert not at.exception
    assert at.button(key=sign_in.SIGN_IN_KEY).label == "Sign in"
    assert [t.value for t in at.title] == ["RecExplore"] and not at.dataframe and not at.metric
    assert session_workspace.WORKSPACE_KEY not in at.session_state  # no workspace before an identity


def test_a_signed_in_person_works_in_the_workspace_of_their_identity(data_env: None) -> None:
    at = _app(ALICE)
    assert not at.exception
    assert at.session_state[session_workspace.WORKSPACE_KEY] == sign_in.workspace_of(ALICE, SECRET)
    assert any(m.value == ALICE["email"] for m in at.sidebar.markdown)
    assert at.sidebar.button(key="sign_out_button").label == "Sign out"
    assert session_workspace.workspace_names()[sign_in.workspace_of(ALICE, SECRET)] == ALICE["email"]  # for the teacher
    train = _app(ALICE, "train")  # another device: the same workspace
    assert train.session_state[session_workspace.WORKSPACE_KEY] == sign_in.workspace_of(ALICE, SECRET)
    assert any("belongs to your sign-in" in m.value for m in train.markdown)


def test_the_teachers_view_opens_for_listed_teachers_only(data_env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TEACHERS_ENV, "alice@school.example")
    monkeypatch.delenv("RECEXPLORE_OPERATOR_TOKEN", raising=False)
    teacher = _app(ALICE, "class_queue")
    assert not teacher.exception and not teacher.text_input  # no token to type
    assert {m.label for m in teacher.metric} >= {"Running", "Queued"}
    student = _app(dict(ALICE, sub="u-7", email="student@school.example"), "class_queue")
    assert not student.metric and not student.text_input
    assert any(TEACHERS_ENV in i.value for i in student.info)


def test_the_teachers_table_names_signed_in_people_beside_the_label() -> None:
    from recexplore.app.class_queue import workspace_name

    token = sign_in.workspace_of(ALICE, SECRET)
    assert workspace_name(token, {token: "alice@school.example"}) == f"alice@school.example ({workspaces.label(token)})"
    assert workspace_name(token, {}) == workspaces.label(token) and token not in workspace_name(token, {token: "a"})
