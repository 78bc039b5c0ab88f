"""Users and API keys. Keys are random, shown once, stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import math
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qc_engine.db.models import ApiKey, BrowserSession, User
from qc_engine.errors import Code
from qc_engine.service.common import audit, utcnow
from qc_engine.service.errors import Invalid, NotFound
from qc_engine.service.review import ROLES

KEY_PREFIX = "qck_"


@dataclass(frozen=True)
class Principal:
    """Who is calling: what every permission check looks at."""

    user_id: int
    name: str
    role: str
    agent_name: str | None


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_key(
    session: Session,
    *,
    name: str,
    role: str,
    agent_name: str | None = None,
    actor: str = "system",
) -> tuple[User, str]:
    """Create the user if needed and a new key for it; return the key (shown once)."""
    if role not in ROLES:
        raise Invalid(
            Code.E422, f"unknown role {role!r}; expected one of {', '.join(ROLES)}", field="role"
        )
    if role == "agent" and not agent_name:
        agent_name = name
    user = session.scalar(select(User).where(User.name == name))
    now = utcnow()
    if user is None:
        user = User(name=name, role=role, agent_name=agent_name, created_at=now)
        session.add(user)
        session.flush()
    elif user.role != role:
        raise Invalid(Code.E422, f"user {name!r} exists with role {user.role!r}", field="role")
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    session.add(ApiKey(user_id=user.id, key_hash=hash_key(key), prefix=key[:10], created_at=now))
    audit(
        session, actor=actor, entity="api_key", entity_id=user.name, action="create", to_state=role
    )
    return user, key


def list_keys(session: Session) -> list[dict[str, object]]:
    """Every key (never the key itself: its first characters, its user and dates)."""
    rows = session.execute(
        select(
            ApiKey.prefix, ApiKey.created_at, ApiKey.revoked_at, User.name, User.role, User.disabled
        )
        .join(User, ApiKey.user_id == User.id)
        .order_by(User.name, ApiKey.created_at, ApiKey.id)
    )
    return [dict(row._mapping) for row in rows]


def revoke_keys(
    session: Session, *, prefix: str | None = None, name: str | None = None, actor: str = "system"
) -> int:
    """Revoke one live key, named by its first characters as `list_keys` shows them (or
    the whole key), or every live key of the user `name`; return how many. Nothing
    matching, or a prefix that matches several keys, is an error: a typo must not pass for
    a revocation, nor revoke someone else's key."""
    if (prefix is None) == (name is None):
        raise Invalid(Code.E422, "name a key (its prefix) or a user, not both", field="prefix")
    query = select(ApiKey).join(User, ApiKey.user_id == User.id).where(ApiKey.revoked_at.is_(None))
    given = prefix or ""
    if name is not None:
        query = query.where(User.name == name)
    elif len(given) > 10:  # the whole key
        query = query.where(ApiKey.key_hash == hash_key(given))
    elif len(given) >= 8:
        query = query.where(ApiKey.prefix.startswith(given, autoescape=True))
    else:
        raise Invalid(
            Code.E422, "a key prefix needs at least 8 characters (qck_ and 4 more)", field="prefix"
        )
    keys = list(session.scalars(query))
    if not keys:
        raise NotFound(
            Code.E404,
            f"user {name!r} has no live key"
            if name is not None
            else f"no live key starts with {prefix!r}",
        )
    if name is None and len(keys) > 1:
        raise Invalid(
            Code.E422,
            f"{len(keys)} live keys start with {prefix!r}: give more of it",
            field="prefix",
        )
    now = utcnow()
    for key in keys:
        key.revoked_at = now
        audit(
            session,
            actor=actor,
            entity="api_key",
            entity_id=key.prefix,
            action="revoke",
            to_state="revoked",
        )
    return len(keys)


class KeyCache:
    """Authenticated keys for a few seconds, so a hot endpoint does not hit the database
    on every call; a revoked key stops working within `ttl` seconds."""

    def __init__(self, ttl: float = 10.0) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, Principal | None]] = {}

    def cached(self, key: str) -> tuple[bool, Principal | None]:
        """(True, the principal or None for a refused key) when the key was checked less
        than `ttl` seconds ago, else (False, None). Never touches the database."""
        found = self._entries.get(hash_key(key))
        if found is not None and time.monotonic() - found[0] < self.ttl:
            return True, found[1]
        return False, None

    def authenticate(self, session_factory, key: str) -> Principal | None:
        """The user of a live API key (not revoked, user not disabled)."""
        return self._lookup(
            session_factory,
            digest=hash_key(key),
            query=lambda: (
                select(User.id, User.name, User.role, User.agent_name, User.disabled)
                .join(ApiKey, ApiKey.user_id == User.id)
                .where(ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None))
            ),
        )

    def authenticate_session(self, session_factory, token: str) -> Principal | None:
        """The user of a desk session token: a live session (not expired, not signed out)
        of a key not revoked, of a user not disabled; read from the database every time
        (not cached), so a sign-out ends it at once in every service process."""
        return self._lookup(
            session_factory,
            digest=None,
            query=lambda: (
                select(User.id, User.name, User.role, User.agent_name, User.disabled)
                .join(BrowserSession, BrowserSession.user_id == User.id)
                .join(ApiKey, ApiKey.id == BrowserSession.key_id)
                .where(
                    BrowserSession.token_hash == hash_key(token),
                    BrowserSession.revoked_at.is_(None),
                    BrowserSession.expires_at > utcnow(),
                    ApiKey.revoked_at.is_(None),
                )
            ),
        )

    def _lookup(
        self,
        session_factory,
        *,
        digest: str | None,
        query: Any,
    ) -> Principal | None:
        """The cached answer for `digest` if fresh, else the user `query()` finds (None:
        refused), remembered for `ttl` seconds under `digest`; without a digest, not
        cached (desk sessions: a sign-out must end one at once in every process)."""
        now = time.monotonic()
        cached = self._entries.get(digest) if digest is not None else None
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        with session_factory() as session:
            row = session.execute(query()).first()
        principal = None
        if row is not None and not row.disabled:
            principal = Principal(row.id, row.name, row.role, row.agent_name)
        if digest is not None:
            if len(self._entries) > 10_000:
                self._entries.clear()
            self._entries[digest] = (now, principal)
        return principal


class FailedAuthLimiter:
    """Failed authentications per client (its address): after `limit` failures within
    `window` seconds, that client is refused (even with a good key) until the oldest of
    them is `window` seconds old. Other clients are not affected, so a guessing client
    cannot lock out a correct key used elsewhere. In memory, per process."""

    def __init__(self, limit: int = 20, window: float = 60.0, clients: int = 10_000) -> None:
        self.limit, self.window, self.clients = limit, window, clients
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Seconds until `client` may try again, or None if it may now."""
        moment = time.monotonic() if now is None else now
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                return None
            while failures and moment - failures[0] >= self.window:
                failures.popleft()
            if not failures:
                del self._failures[client]
                return None
            if len(failures) < self.limit:
                return None
            return max(1, math.ceil(self.window - (moment - failures[0])))

    def failed(self, client: str, now: float | None = None) -> None:
        moment = time.monotonic() if now is None else now
        with self._lock:
            failures = self._failures.get(client)
            if failures is None:
                if len(self._failures) >= self.clients:  # bounded: forget the stalest
                    del self._failures[next(iter(self._failures))]
                failures = self._failures[client] = deque(maxlen=self.limit)
            failures.append(moment)


def start_session(db: Session, *, key: str, seconds: float) -> str | None:
    """A new desk session for a valid key (caller commits): its token, for the cookie, or
    None. Only the token's hash is stored."""
    row = db.execute(
        select(ApiKey.id, ApiKey.user_id)
        .join(User, User.id == ApiKey.user_id)
        .where(
            ApiKey.key_hash == hash_key(key), ApiKey.revoked_at.is_(None), User.disabled.is_(False)
        )
    ).first()
    if row is None:
        return None
    token = "qcs_" + secrets.token_urlsafe(32)
    now = utcnow()
    db.add(
        BrowserSession(
            token_hash=hash_key(token),
            user_id=row.user_id,
            key_id=row.id,
            created_at=now,
            expires_at=now + timedelta(seconds=seconds),
        )
    )
    return token


def end_session(db: Session, token: str) -> bool:
    """Sign-out (caller commits): the session stops working at once. False if there was no
    live session with that token."""
    found = db.scalar(
        select(BrowserSession).where(
            BrowserSession.token_hash == hash_key(token), BrowserSession.revoked_at.is_(None)
        )
    )
    if found is None:
        return False
    found.revoked_at = utcnow()
    return True
