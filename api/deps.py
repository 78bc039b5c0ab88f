"""Dependencies as Annotated aliases: the database session, the caller, role checks."""
from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session, sessionmaker

from api.errors import ApiError
from api.settings import Settings
from qc_engine.service.auth import KeyCache, Principal
from qc_engine.service.checklists import EngineHolder
from qc_engine.service.ingest import Sampling


@dataclass
class AppState:
    settings: Settings
    sessions: sessionmaker[Session]
    engines: EngineHolder
    keys: KeyCache
    sampling: Sampling


def get_state(request: Request) -> AppState:
    return request.app.state.qc  # type: ignore[no-any-return]


State = Annotated[AppState, Depends(get_state)]


def get_session(state: State) -> Iterator[Session]:
    with state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


def get_principal(request: Request, state: State) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        key = request.cookies.get("qc_key", "")
        if not key:
            raise ApiError(401, "E401", "an API key is required: send 'Authorization: Bearer "
                           "<key>'", headers={"WWW-Authenticate": "Bearer"})
    principal = state.keys.authenticate(state.sessions, key.strip())
    if principal is None:
        raise ApiError(401, "E401", "the API key is not valid or was revoked",
                       headers={"WWW-Authenticate": "Bearer"})
    return principal


CurrentUser = Annotated[Principal, Depends(get_principal)]


def require(*roles: str) -> Callable[[Principal], Principal]:
    def check(principal: CurrentUser) -> Principal:
        if principal.role not in roles:
            raise ApiError(403, "E403", f"role {principal.role!r} may not do this; allowed: "
                           f"{', '.join(roles)}")
        return principal

    return check


Reviewer = Annotated[Principal, Depends(require("admin", "lead", "specialist"))]
Lead = Annotated[Principal, Depends(require("admin", "lead"))]
Admin = Annotated[Principal, Depends(require("admin"))]
Scorer = Annotated[Principal, Depends(require("admin", "lead", "specialist", "service"))]
Ingester = Annotated[Principal, Depends(require("admin", "lead", "service"))]
Reader = Annotated[Principal, Depends(require("admin", "lead", "specialist", "agent"))]
