"""The workspace cookie middleware, driven as an ASGI app: a cookie for every browser, never a
token in an address, the private resume link, old `?ws=` links dropped unread."""

from __future__ import annotations

import asyncio
from http.cookies import SimpleCookie
from typing import Any

from recexplore.app.workspace_cookie import WorkspaceCookie, cookie_token
from recexplore.store import workspaces

PAGE_HTML = b"<html>the app</html>"


async def _page(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Streamlit's stand-in: an HTML page for every path, JavaScript under /static."""
    kind = b"application/javascript" if scope["path"].startswith("/static/") else b"text/html; charset=utf-8"
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", kind)]})
    await send({"type": "http.response.body", "body": PAGE_HTML})


def _get(path: str, query: str = "", cookie: str | None = None, **extra: Any) -> tuple[int, dict[bytes, list[bytes]]]:
    """One request through the middleware: the status and the response headers (name -> values)."""
    headers = [(b"host", b"127.0.0.1")] + ([(b"cookie", cookie.encode())] if cookie else [])
    headers += [(k.encode(), v.encode()) for k, v in extra.pop("headers", {}).items()]
    scope = {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": headers}
    scope.update(extra)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(WorkspaceCookie(_page)(scope, receive, send))
    start = sent[0]
    found: dict[bytes, list[bytes]] = {}
    for name, value in start["headers"]:
        found.setdefault(name.lower(), []).append(value)
    return start["status"], found


def _cookie_of(headers: dict[bytes, list[bytes]]) -> tuple[str, str]:
    """The workspace token a response sets, and the whole Set-Cookie line."""
    (line,) = headers[b"set-cookie"]
    jar = SimpleCookie(line.decode())
    return jar[workspaces.COOKIE_NAME].value, line.decode()


def test_a_first_page_load_gets_an_http_only_workspace_cookie() -> None:
    status, headers = _get("/train")
    assert status == 200
    token, line = _cookie_of(headers)
    assert workspaces.is_token(token)
    assert "HttpOnly" in line and "SameSite=Lax" in line and "Path=/" in line and "Secure" not in line
    assert f"Max-Age={workspaces.COOKIE_MAX_AGE_S}" in line
    assert _cookie_of(_get("/train")[1])[0] != token  # another browser: another workspace
    _, behind_tls = _get("/", headers={"x-forwarded-proto": "https"})
    assert "Secure" in _cookie_of(behind_tls)[1]


def test_a_browser_with_its_cookie_keeps_it_and_assets_get_none() -> None:
    token = workspaces.new_token()
    assert b"set-cookie" not in _get("/recommend", cookie=f"{workspaces.COOKIE_NAME}={token}; other=1")[1]
    assert b"set-cookie" not in _get("/static/js/main.js")[1]  # not a page load
    assert b"set-cookie" not in _get("/_stcore/health")[1]
    replaced, _ = _cookie_of(_get("/", cookie=f"{workspaces.COOKIE_NAME}=not a token")[1])
    assert workspaces.is_token(replaced)


def test_an_old_link_with_a_workspace_is_cleaned_and_never_adopted() -> None:
    owner = workspaces.new_token()
    status, headers = _get("/recommend", f"ws={owner}&user=42&model=towers-1-layer")
    assert status == 303 and b"set-cookie" not in headers
    assert headers[b"location"] == [b"/recommend?user=42&model=towers-1-layer"]
    assert owner.encode() not in b"".join(v for values in headers.values() for v in values)


def test_the_private_resume_link_moves_the_workspace_into_this_browser() -> None:
    owner = workspaces.new_token()
    status, headers = _get("/train", f"resume={owner}", cookie=f"{workspaces.COOKIE_NAME}={workspaces.new_token()}")
    assert status == 303 and headers[b"location"] == [b"/train"]  # the address bar ends clean
    assert _cookie_of(headers)[0] == owner
    status, headers = _get("/train", "resume=forged!")
    assert status == 303 and b"set-cookie" not in headers and headers[b"location"] == [b"/train"]


def test_cookie_token_reads_only_a_valid_token() -> None:
    token = workspaces.new_token()

    def scope(cookie: str) -> dict[str, Any]:
        return {"headers": [(b"cookie", cookie.encode())]}

    assert cookie_token(scope(f"a=b; {workspaces.COOKIE_NAME}={token}")) == token
    assert cookie_token(scope(f"{workspaces.COOKIE_NAME}=short")) is None
    assert cookie_token(scope('bad"cookie;;=')) is None
    assert cookie_token({"headers": []}) is None


def test_a_workspace_label_names_it_without_revealing_it() -> None:
    token = workspaces.new_token()
    shown = workspaces.label(token)
    assert len(shown) == workspaces.LABEL_CHARS and shown not in token
    assert workspaces.workspace_dir(token).name.startswith(shown)  # the operator finds the folder by it
