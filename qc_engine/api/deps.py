"""Dependencies as Annotated aliases: the database session, the caller, role checks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyCookie, HTTPBearer

from qc_engine.api.errors import ApiError
from qc_engine.errors import Code
from qc_engine.service.auth import FailedAuthLimiter, KeyCache, Principal
from qc_engine.service.checklists import EngineHolder
from qc_engine.service.ingest import Sampling
from qc_engine.service.review import INGESTERS, LEADS, READERS, REVIEWERS, SCORERS
from qc_engine.service.storage import Session, Sessions
from qc_engine.settings import Settings


@dataclass
class AppState:
    settings: Settings
    sessions: Sessions
    engines: EngineHolder
    keys: KeyCache
    sampling: Sampling
    auth_failures: FailedAuthLimiter


# Dependencies that do no blocking work are `async def`: FastAPI runs a plain `def`
# dependency in a worker thread, and on a hot endpoint those hand-offs (and the GIL
# contention they cause) cost more than the work itself.
async def get_state(request: Request) -> AppState:
    return request.app.state.qc


State = Annotated[AppState, Depends(get_state)]


def get_session(state: State) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def same_origin(request: Request) -> bool:
    """CSRF defence on top of SameSite=Strict: a write must come from a page of this host
    (browsers send Origin on every POST; Referer is the fallback)."""
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        return origin != "null" and urlsplit(origin).netloc == host
    referer = request.headers.get("referer")
    return bool(referer) and urlsplit(referer).netloc == host


_READS = frozenset({"GET", "HEAD", "OPTIONS"})


SESSION_COOKIE = "qc_session"


def _credentials(request: Request) -> tuple[str, str]:
    """("key", the key of the Authorization header), else ("session", the desk's session
    token from its cookie). A write authenticated by the cookie must come from a page of
    this host (a same-site page on another port could otherwise post with it); a key sent
    as a header is unaffected."""
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() == "bearer" and key.strip():
        return "key", key.strip()
    token = request.cookies.get(SESSION_COOKIE, "").strip()
    if not token:
        raise ApiError(
            401,
            Code.E401,
            "an API key is required: send 'Authorization: Bearer <key>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if request.method not in _READS and not same_origin(request):
        raise ApiError(
            403,
            Code.E403,
            "a change made with the desk's sign-in must come from a "
            "desk page (its Origin); other tools send the key as "
            "'Authorization: Bearer <key>'",
        )
    return "session", token


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def check_not_limited(request: Request, state: AppState) -> None:
    """429 with Retry-After for a client with too many failed authentications."""
    wait = state.auth_failures.retry_after(client_address(request))
    if wait is not None:
        raise ApiError(
            429,
            Code.E429,
            f"too many failed authentications from this address; try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )


def _known(request: Request, state: AppState, principal: Principal | None) -> Principal:
    if principal is None:
        state.auth_failures.failed(client_address(request))
        raise ApiError(
            401,
            Code.E401,
            "the API key is not valid or was revoked",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return principal


def get_principal(request: Request, state: State) -> Principal:
    """The caller, for code that calls it directly (may query the database)."""
    kind, value = _credentials(request)
    check_not_limited(request, state)
    check = state.keys.authenticate if kind == "key" else state.keys.authenticate_session
    return _known(request, state, check(state.sessions, value))


# Declared so that the OpenAPI schema names both ways in (they are read by _credentials).
BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="apiKey",
    description="an API key: `Authorization: Bearer qck_...`",
)
SESSION = APIKeyCookie(
    name=SESSION_COOKIE,
    auto_error=False,
    scheme_name="deskSession",
    description="the review desk's session (sign in at /ui/login)",
)


async def current_principal(
    request: Request,
    state: State,
    _bearer: Annotated[Any, Depends(BEARER)] = None,
    _session: Annotated[Any, Depends(SESSION)] = None,
) -> Principal:
    """The caller: from the key cache, or from the database in a worker thread."""
    kind, value = _credentials(request)
    check_not_limited(request, state)
    if kind == "session":
        principal = await run_in_threadpool(state.keys.authenticate_session, state.sessions, value)
        return _known(request, state, principal)
    fresh, principal = state.keys.cached(value)
    if not fresh:
        principal = await run_in_threadpool(state.keys.authenticate, state.sessions, value)
    return _known(request, state, principal)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def _check_role(principal: Principal, roles: tuple[str, ...]) -> Principal:
    if principal.role not in roles:
        raise ApiError(
            403, Code.E403, f"role {principal.role!r} may not do this; allowed: {', '.join(roles)}"
        )
    return principal


def require(*roles: str) -> Callable[[Principal], Principal]:
    """A role check to call directly (or as a dependency, run in a worker thread)."""

    def check(principal: CurrentUser) -> Principal:
        return _check_role(principal, roles)

    return check


def allowed(*roles: str) -> Callable[[Principal], Awaitable[Principal]]:
    """The same role check as an async dependency."""

    async def check(principal: CurrentUser) -> Principal:
        return _check_role(principal, roles)

    return check


Reviewer = Annotated[Principal, Depends(allowed(*REVIEWERS))]
Lead = Annotated[Principal, Depends(allowed(*LEADS))]
Admin = Annotated[Principal, Depends(allowed("admin"))]
Scorer = Annotated[Principal, Depends(allowed(*SCORERS))]
Ingester = Annotated[Principal, Depends(allowed(*INGESTERS))]
Reader = Annotated[Principal, Depends(allowed(*READERS))]
