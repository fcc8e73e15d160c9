"""The statements of accounts: users, their sessions and their API tokens."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as upsert_insert

from app.domain.users import ApiToken, Scope, User
from app.ports import Row, Sql
from app.repositories.tables import API_TOKEN, APP_USER, USER_SESSION

_USER = (
    APP_USER.c.id,
    APP_USER.c.username,
    APP_USER.c.display_name,
    APP_USER.c.is_admin,
    APP_USER.c.created_at,
)
_TOKEN = (
    API_TOKEN.c.id,
    API_TOKEN.c.name,
    API_TOKEN.c.scopes,
    API_TOKEN.c.created_at,
    API_TOKEN.c.expires_at,
    API_TOKEN.c.last_used_at,
)


@dataclass(frozen=True)
class NewUser:
    username: str
    display_name: str
    password_hash: str | None
    is_admin: bool
    created_at: datetime
    oidc_issuer: str | None = None
    oidc_subject: str | None = None


@dataclass(frozen=True)
class SessionRow:
    user: User
    created_at: datetime
    last_seen_at: datetime


def _user(row: Row) -> User:
    return User.model_validate(dict(zip([c.name for c in _USER], row, strict=True)))


def _token(row: Row) -> ApiToken:
    values: dict[str, Any] = dict(zip([c.name for c in _TOKEN], row, strict=True))
    values["scopes"] = frozenset(Scope(s) for s in values["scopes"].split())
    return ApiToken.model_validate(values)


def stored_scopes(scopes: frozenset[Scope]) -> str:
    return " ".join(sorted(scopes))


class UserRepository:
    def __init__(self, sql: Sql) -> None:
        self._sql = sql

    async def add(self, user: NewUser, only_if_none: bool = False) -> User | None:
        """Store `user`; None when its username (or its provider's subject) is taken, or, with
        `only_if_none`, when any user exists already."""
        values = {
            "username": user.username,
            "display_name": user.display_name,
            "password_hash": user.password_hash,
            "is_admin": user.is_admin,
            "created_at": user.created_at,
            "oidc_issuer": user.oidc_issuer,
            "oidc_subject": user.oidc_subject,
        }
        row = sa.select(
            *[sa.literal(value, APP_USER.c[name].type) for name, value in values.items()]
        )
        if only_if_none:
            row = row.where(~sa.exists().where(APP_USER.c.id.is_not(None)))
        rows = await self._sql.write(
            upsert_insert(APP_USER)
            .from_select(list(values), row)
            .on_conflict_do_nothing()
            .returning(*_USER)
        )
        return _user(rows[0]) if rows else None

    async def any(self) -> bool:
        rows = await self._sql.fetch(sa.select(sa.exists().where(APP_USER.c.id.is_not(None))))
        return bool(rows[0][0])

    async def first_id(self) -> int | None:
        rows = await self._sql.fetch(sa.select(sa.func.min(APP_USER.c.id)))
        return None if rows[0][0] is None else int(rows[0][0])

    async def get(self, user_id: int) -> User | None:
        rows = await self._sql.fetch(sa.select(*_USER).where(APP_USER.c.id == user_id))
        return _user(rows[0]) if rows else None

    async def with_password(self, username: str) -> tuple[User, str | None] | None:
        """The user of `username` (canonical form) and their password hash."""
        rows = await self._sql.fetch(
            sa.select(*_USER, APP_USER.c.password_hash).where(APP_USER.c.username == username)
        )
        return (_user(rows[0][:-1]), rows[0][-1]) if rows else None

    async def password_hash(self, user_id: int) -> str | None:
        rows = await self._sql.fetch(
            sa.select(APP_USER.c.password_hash).where(APP_USER.c.id == user_id)
        )
        return rows[0][0] if rows else None

    async def linked(self, issuer: str, subject: str) -> User | None:
        rows = await self._sql.fetch(
            sa.select(*_USER).where(
                APP_USER.c.oidc_issuer == issuer, APP_USER.c.oidc_subject == subject
            )
        )
        return _user(rows[0]) if rows else None

    async def username_taken(self, username: str) -> bool:
        rows = await self._sql.fetch(sa.select(sa.exists().where(APP_USER.c.username == username)))
        return bool(rows[0][0])

    async def all(self) -> list[User]:
        rows = await self._sql.fetch(sa.select(*_USER).order_by(APP_USER.c.id))
        return [_user(row) for row in rows]

    async def delete(self, user_id: int) -> bool:
        """Delete the user; their sessions, tokens and data go with them (ON DELETE CASCADE)."""
        rows = await self._sql.write(
            sa.delete(APP_USER).where(APP_USER.c.id == user_id).returning(APP_USER.c.id)
        )
        return bool(rows)

    async def set_password_hash(self, user_id: int, password_hash: str) -> None:
        await self._sql.write(
            sa.update(APP_USER).where(APP_USER.c.id == user_id).values(password_hash=password_hash)
        )

    # Sessions, by the hash of their cookie value.

    async def add_session(
        self, id_hash: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None:
        await self._sql.write(
            sa.insert(USER_SESSION).values(
                id_hash=id_hash,
                user_id=user_id,
                created_at=now,
                last_seen_at=now,
                expires_at=expires_at,
            )
        )

    async def session(self, id_hash: str, now: datetime) -> SessionRow | None:
        """The unexpired session of `id_hash`, with its user."""
        rows = await self._sql.fetch(
            sa.select(*_USER, USER_SESSION.c.created_at, USER_SESSION.c.last_seen_at)
            .join(APP_USER, APP_USER.c.id == USER_SESSION.c.user_id)
            .where(USER_SESSION.c.id_hash == id_hash, USER_SESSION.c.expires_at > now)
        )
        if not rows:
            return None
        *user, created_at, last_seen_at = rows[0]
        return SessionRow(_user(user), created_at, last_seen_at)

    async def touch_session(self, id_hash: str, now: datetime, expires_at: datetime) -> None:
        await self._sql.write(
            sa.update(USER_SESSION)
            .where(USER_SESSION.c.id_hash == id_hash)
            .values(last_seen_at=now, expires_at=expires_at)
        )

    async def delete_session(self, id_hash: str) -> None:
        await self._sql.write(sa.delete(USER_SESSION).where(USER_SESSION.c.id_hash == id_hash))

    async def delete_sessions(self, user_id: int, keep: str | None = None) -> None:
        """Delete every session of the user but the one of hash `keep`; expired ones too."""
        conditions = [USER_SESSION.c.user_id == user_id]
        if keep is not None:
            conditions.append(USER_SESSION.c.id_hash != keep)
        await self._sql.write(sa.delete(USER_SESSION).where(*conditions))

    async def delete_expired_sessions(self, now: datetime) -> None:
        await self._sql.write(sa.delete(USER_SESSION).where(USER_SESSION.c.expires_at <= now))

    # API tokens, by the hash of the token.

    async def add_token(
        self,
        user_id: int,
        name: str,
        scopes: frozenset[Scope],
        token_hash: str,
        now: datetime,
        expires_at: datetime | None,
    ) -> ApiToken:
        rows = await self._sql.write(
            sa.insert(API_TOKEN)
            .values(
                user_id=user_id,
                name=name,
                scopes=stored_scopes(scopes),
                token_hash=token_hash,
                created_at=now,
                expires_at=expires_at,
            )
            .returning(*_TOKEN)
        )
        return _token(rows[0])

    async def token(self, token_hash: str, now: datetime) -> tuple[User, ApiToken] | None:
        """The unexpired token of `token_hash`, with its user."""
        rows = await self._sql.fetch(
            sa.select(*_USER, *_TOKEN)
            .join(APP_USER, APP_USER.c.id == API_TOKEN.c.user_id)
            .where(
                API_TOKEN.c.token_hash == token_hash,
                sa.or_(API_TOKEN.c.expires_at.is_(None), API_TOKEN.c.expires_at > now),
            )
        )
        if not rows:
            return None
        return _user(rows[0][: len(_USER)]), _token(rows[0][len(_USER) :])

    async def tokens(self, user_id: int) -> list[ApiToken]:
        rows = await self._sql.fetch(
            sa.select(*_TOKEN).where(API_TOKEN.c.user_id == user_id).order_by(API_TOKEN.c.id)
        )
        return [_token(row) for row in rows]

    async def delete_token(self, user_id: int, token_id: int) -> bool:
        rows = await self._sql.write(
            sa.delete(API_TOKEN)
            .where(API_TOKEN.c.id == token_id, API_TOKEN.c.user_id == user_id)
            .returning(API_TOKEN.c.id)
        )
        return bool(rows)

    async def token_used(self, token_id: int, now: datetime) -> None:
        await self._sql.write(
            sa.update(API_TOKEN).where(API_TOKEN.c.id == token_id).values(last_used_at=now)
        )
