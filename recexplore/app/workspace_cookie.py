"""The browser's workspace cookie: an ASGI middleware on the app's page loads (no Streamlit import).

Every page load without a valid workspace cookie gets one: a fresh token in an HttpOnly,
SameSite=Lax cookie (Secure behind https). The page's scripts never see it and its address
never carries it, so a copied address bar opens the page in the visitor's own workspace while
the owner's reload and second tab keep theirs (Streamlit reads it as `st.context.cookies`).

Two query parameters are handled before the page loads, then removed by a redirect:
`?resume=TOKEN` (the explicit, private "continue on another device" link) puts that workspace
in this browser's cookie; `?ws=TOKEN` (how links carried the token before) is dropped unread,
since such links were copied around.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from recexplore.store.workspaces import COOKIE_MAX_AGE_S, COOKIE_NAME, LEGACY_PARAM, RESUME_PARAM, is_token, new_token

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

INTERNAL = "/_stcore/"  # Streamlit's own endpoints (health, websocket, uploads): never touched


def _header(scope: Scope, name: bytes) -> str:
    """The first value of a request header ('' when absent)."""
    return next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == name), "")


def cookie_token(scope: Scope) -> str | None:
    """The workspace token of the request's cookie, when it holds a valid one."""
    try:
        jar = SimpleCookie(_header(scope, b"cookie"))
    except CookieError:
        return None
    morsel = jar.get(COOKIE_NAME)
    return morsel.value if morsel is not None and is_token(morsel.value) else None


def set_cookie_header(token: str, secure: bool) -> tuple[bytes, bytes]:
    """The Set-Cookie header that gives this browser `token` (HttpOnly: page scripts cannot read it)."""
    flags = f"Path=/; Max-Age={COOKIE_MAX_AGE_S}; HttpOnly; SameSite=Lax" + ("; Secure" if secure else "")
    return b"set-cookie", f"{COOKIE_NAME}={token}; {flags}".encode("latin-1")


def _is_https(scope: Scope) -> bool:
    forwarded = _header(scope, b"x-forwarded-proto").split(",")[0].strip().lower()
    return scope.get("scheme") == "https" or forwarded == "https"


class WorkspaceCookie:
    """ASGI middleware: a workspace cookie for every browser, and the two token-carrying
    query parameters turned into a clean address (see the module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method") not in ("GET", "HEAD") or INTERNAL in scope["path"]:
            await self.app(scope, receive, send)
            return
        secure = _is_https(scope)
        query = parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        carried = [v for k, v in query if k in (RESUME_PARAM, LEGACY_PARAM)]
        if carried:
            resumed = next((v for k, v in query if k == RESUME_PARAM and is_token(v)), None)
            kept = urlencode([(k, v) for k, v in query if k not in (RESUME_PARAM, LEGACY_PARAM)])
            location = quote(scope.get("root_path", "") + scope["path"]) + (f"?{kept}" if kept else "")
            headers = [(b"location", location.encode("latin-1")), (b"cache-control", b"no-store")]
            if resumed is not None:
                headers.append(set_cookie_header(resumed, secure))
            await send({"type": "http.response.start", "status": 303, "headers": headers})
            await send({"type": "http.response.body", "body": b""})
            return
        if cookie_token(scope) is not None:
            await self.app(scope, receive, send)
            return

        async def with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                content_type = dict(message.get("headers", [])).get(b"content-type", b"")
                if content_type.startswith(b"text/html"):  # a page load, not a script or an image
                    message["headers"] = [*message.get("headers", []), set_cookie_header(new_token(), secure)]
            await send(message)

        await self.app(scope, receive, with_cookie)
