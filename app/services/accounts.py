"""Accounts: users and their passwords, sessions, API tokens, and the throttling of password
guessing."""

import asyncio
import hashlib
import math
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from app.domain.users import (
    DISPLAY_NAME_MAX,
    SESSION_SCOPES,
    USERNAME_MAX,
    ApiToken,
    Principal,
    Scope,
    User,
    derived_username,
)
from app.ports import Clock, Sql, utc_now
from app.repositories.users import NewUser, UserRepository
from app.services.errors import Conflict, Invalid, NotFound

TOKEN_PREFIX = "tf_"
# A session lives this long after its last use, and never longer than SESSION_MAX in all.
SESSION_IDLE = timedelta(days=14)
SESSION_MAX = timedelta(days=90)
# Last-seen and last-used times are written at most this often per session or token.
TOUCH_EVERY = timedelta(minutes=1)
# Failed sign-ins allowed per username and per client address within the window.
FAILURES_PER_USERNAME = 5
FAILURES_PER_CLIENT = 20
FAILURE_WINDOW = timedelta(minutes=15)


class WrongCredentials(Exception):
    """Unknown user or wrong password: the same answer for both."""


class Forbidden(Exception):
    """Signed in, or not needed to be, but not allowed this."""


class Throttled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed attempts; try again in {retry_after} seconds")
        self.retry_after = retry_after


class Throttle:
    """Failed attempts per key within a sliding window. Counted in this process's memory: with
    several replicas each allows its own share, which still bounds guessing per replica."""

    def __init__(self, limit: int, window: timedelta, clock: Clock) -> None:
        self._limit = limit
        self._window = window
        self._clock = clock
        self._failures: dict[str, deque[datetime]] = {}

    def retry_after(self, key: str) -> int | None:
        """Seconds until `key` may try again, or None when it may now."""
        self._forget_old()
        failures = self._failures.get(key)
        if failures is None or len(failures) < self._limit:
            return None
        wait = failures[0] + self._window - self._clock()
        return max(1, math.ceil(wait.total_seconds()))

    def failed(self, key: str) -> None:
        self._forget_old()
        self._failures.setdefault(key, deque()).append(self._clock())

    def forget(self, key: str) -> None:
        self._failures.pop(key, None)

    def _forget_old(self) -> None:
        start = self._clock() - self._window
        for key in list(self._failures):
            failures = self._failures[key]
            while failures and failures[0] <= start:
                failures.popleft()
            if not failures:
                del self._failures[key]


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8", "surrogatepass")).hexdigest()


class AccountService:
    def __init__(
        self,
        sql: Sql,
        on_first_user: Callable[[int], Awaitable[None]],
        *,
        signup_open: bool = False,
        clock: Clock = utc_now,
        hasher: PasswordHasher | None = None,
    ) -> None:
        self._users = UserRepository(sql)
        self._on_first_user = on_first_user
        self.signup_open = signup_open
        self._clock = clock
        self._hasher = hasher or PasswordHasher()
        self._dummy_hash: str | None = None
        self._by_username = Throttle(FAILURES_PER_USERNAME, FAILURE_WINDOW, clock)
        self._by_client = Throttle(FAILURES_PER_CLIENT, FAILURE_WINDOW, clock)

    # Users.

    async def needs_first_user(self) -> bool:
        return not await self._users.any()

    async def signup(self, username: str, password: str, display_name: str | None = None) -> User:
        """The first user, an admin, while no user exists; afterwards an ordinary user when
        signup is open, else Forbidden."""
        if await self._users.any():
            if not self.signup_open:
                raise Forbidden("signup is closed: ask an admin for an account")
            return await self.create_user(username, password, display_name=display_name)
        user = await self._users.add(
            await self._new_user(username, password, display_name, is_admin=True),
            only_if_none=True,
        )
        if user is None:
            raise Forbidden("signup is closed: the first user exists already")
        await self._welcome(user)
        return user

    async def ensure_admin(self, username: str, password: str) -> None:
        """Make sure the user `username` exists, created as an admin with `password` if not.
        An existing user is left as it is (its password may have been changed since)."""
        if await self._users.username_taken(username):
            return
        user = await self._users.add(await self._new_user(username, password, None, True))
        if user is not None:
            await self._welcome(user)

    async def create_user(
        self,
        username: str,
        password: str,
        is_admin: bool = False,
        display_name: str | None = None,
    ) -> User:
        user = await self._users.add(
            await self._new_user(username, password, display_name, is_admin)
        )
        if user is None:
            raise Conflict(f"the username {username!r} is taken")
        await self._welcome(user)
        return user

    async def users(self) -> list[User]:
        return await self._users.all()

    async def delete_user(self, user_id: int, by: User) -> None:
        """Delete the user with everything they own; an admin cannot delete themselves (so an
        install never loses its last admin that way)."""
        if user_id == by.id:
            raise Conflict("you cannot delete your own account")
        if not await self._users.delete(user_id):
            raise NotFound("user", user_id)

    async def sign_in_external(
        self, issuer: str, subject: str, username: str, display_name: str
    ) -> User:
        """The user linked to the provider's (issuer, subject), created on first sign-in with an
        unused username derived from `username`; never an existing local account by name."""
        linked = await self._users.linked(issuer, subject)
        if linked is not None:
            return linked
        base = derived_username(username)
        for attempt in range(1, 1000):
            suffix = "" if attempt == 1 else f"-{attempt}"
            candidate = base[: USERNAME_MAX - len(suffix)] + suffix
            user = await self._users.add(
                NewUser(
                    username=candidate,
                    display_name=display_name[:DISPLAY_NAME_MAX] or candidate,
                    password_hash=None,
                    is_admin=not await self._users.any(),
                    created_at=self._clock(),
                    oidc_issuer=issuer,
                    oidc_subject=subject,
                )
            )
            if user is not None:
                await self._welcome(user)
                return user
            linked = await self._users.linked(issuer, subject)
            if linked is not None:  # the same person signing in twice at once
                return linked
        raise Conflict(f"no unused username is left near {base!r}")

    # Passwords and sessions.

    async def login(self, username: str, password: str, client: str) -> tuple[User, str]:
        """The user and a new session's cookie value. An unknown user and a wrong password
        raise the same WrongCredentials after the same work (a hash is verified either way);
        too many failures for the username or the client raise Throttled."""
        name_key = username.lower()
        self._check_throttle(name_key, client)
        found = await self._users.with_password(name_key)
        stored = found[1] if found is not None else None
        if not await self._verify(stored, password) or found is None:
            self._by_username.failed(name_key)
            self._by_client.failed(client)
            raise WrongCredentials("wrong username or password")
        self._by_username.forget(name_key)
        await self._users.delete_expired_sessions(self._clock())
        return found[0], await self.open_session(found[0].id)

    async def open_session(self, user_id: int) -> str:
        """A new session of the user; its cookie value (stored only as a hash)."""
        cookie = secrets.token_urlsafe(32)
        now = self._clock()
        await self._users.add_session(_digest(cookie), user_id, now, now + SESSION_IDLE)
        return cookie

    async def session_principal(self, cookie: str) -> Principal | None:
        """Who holds the session `cookie`, or None for an unknown, revoked or expired one. Each
        use keeps the session alive for SESSION_IDLE more, up to SESSION_MAX in all."""
        id_hash = _digest(cookie)
        now = self._clock()
        session = await self._users.session(id_hash, now)
        if session is None:
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            expires_at = min(now + SESSION_IDLE, session.created_at + SESSION_MAX)
            await self._users.touch_session(id_hash, now, expires_at)
        return Principal(session.user, SESSION_SCOPES, "session")

    async def logout(self, cookie: str) -> None:
        await self._users.delete_session(_digest(cookie))

    async def logout_everywhere(self, user_id: int) -> None:
        await self._users.delete_sessions(user_id)

    async def change_password(
        self, user: User, current: str, new: str, keep_session: str | None
    ) -> None:
        """Set a new password, given the current one (a wrong one counts as a failed sign-in);
        every other session of the user ends, the one of cookie `keep_session` stays."""
        self._check_throttle(user.username, None)
        if not await self._verify(await self._users.password_hash(user.id), current):
            self._by_username.failed(user.username)
            raise Invalid("current_password", "the current password is wrong")
        await self._users.set_password_hash(user.id, await self._hash(new))
        keep = None if keep_session is None else _digest(keep_session)
        await self._users.delete_sessions(user.id, keep=keep)

    # API tokens.

    async def create_token(
        self, user_id: int, name: str, scopes: frozenset[Scope], expires_in_days: int | None
    ) -> tuple[ApiToken, str]:
        """The new token as listed, and the token itself: shown this once, stored as a hash."""
        token = TOKEN_PREFIX + secrets.token_urlsafe(32)
        now = self._clock()
        expires_at = None if expires_in_days is None else now + timedelta(days=expires_in_days)
        stored = await self._users.add_token(user_id, name, scopes, _digest(token), now, expires_at)
        return stored, token

    async def tokens(self, user_id: int) -> list[ApiToken]:
        return await self._users.tokens(user_id)

    async def revoke_token(self, user_id: int, token_id: int) -> None:
        """Delete the user's token: it stops working at once. Another user's token is as
        missing as one that never existed."""
        if not await self._users.delete_token(user_id, token_id):
            raise NotFound("token", token_id)

    async def token_principal(self, token: str) -> Principal | None:
        """Who holds `token` with what scopes, or None for an unknown, revoked or expired one."""
        if not token.startswith(TOKEN_PREFIX):
            return None
        now = self._clock()
        found = await self._users.token(_digest(token), now)
        if found is None:
            return None
        user, stored = found
        if stored.last_used_at is None or now - stored.last_used_at >= TOUCH_EVERY:
            await self._users.token_used(stored.id, now)
        return Principal(user, stored.scopes, "token")

    # Helpers.

    def _check_throttle(self, name_key: str, client: str | None) -> None:
        waits = [self._by_username.retry_after(name_key)]
        if client is not None:
            waits.append(self._by_client.retry_after(client))
        wait = max((w for w in waits if w is not None), default=None)
        if wait is not None:
            raise Throttled(wait)

    async def _new_user(
        self, username: str, password: str, display_name: str | None, is_admin: bool
    ) -> NewUser:
        return NewUser(
            username=username,
            display_name=display_name or username,
            password_hash=await self._hash(password),
            is_admin=is_admin,
            created_at=self._clock(),
        )

    async def _welcome(self, user: User) -> None:
        """Run the first-user hook when `user` is the install's first."""
        if await self._users.first_id() == user.id:
            await self._on_first_user(user.id)

    async def _hash(self, password: str) -> str:
        return await asyncio.to_thread(self._hasher.hash, password)

    async def _verify(self, stored: str | None, password: str) -> bool:
        """Whether `password` matches `stored`; without a stored hash (unknown user, or one who
        signs in only through single sign-on) a dummy one is verified, to take as long."""
        if stored is None:
            if self._dummy_hash is None:
                self._dummy_hash = await self._hash(secrets.token_urlsafe(16))
            await asyncio.to_thread(self._verified, self._dummy_hash, password)
            return False
        return await asyncio.to_thread(self._verified, stored, password)

    def _verified(self, stored: str, password: str) -> bool:
        try:
            return self._hasher.verify(stored, password)
        except (VerificationError, InvalidHashError):
            return False
