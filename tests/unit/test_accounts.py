"""The pure parts of accounts (the username and password rules, token scopes, the throttle) and
the account service on a real database: the admin ensured once, the first-user hook, external
sign-in."""

from datetime import timedelta

import pytest
from argon2 import PasswordHasher

from app.adapters.local.sql import EngineSql
from app.domain import users
from app.domain.users import Scope
from app.services.accounts import AccountService, Throttle
from tests.support.delivery import Clock

CHEAP = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.mark.parametrize(
    ("given", "canonical"),
    [("abc", "abc"), ("Bob.Smith", "bob.smith"), ("a_b-c.9", "a_b-c.9"), ("x" * 64, "x" * 64)],
)
def test_a_username_is_kept_lower_cased(given: str, canonical: str) -> None:
    assert users.username(given) == canonical


@pytest.mark.parametrize("given", ["ab", "x" * 65, "has space", "üser", "a/b", "", "a\x00bc"])
def test_a_username_breaking_the_rule_is_refused_with_the_rule(given: str) -> None:
    with pytest.raises(ValueError, match="3 to 64"):
        users.username(given)


def test_a_password_has_ten_characters_at_least() -> None:
    assert users.password("0123456789") == "0123456789"
    for wrong in ["012345678", "p" * (users.PASSWORD_MAX + 1)]:
        with pytest.raises(ValueError, match="10 to"):
            users.password(wrong)


@pytest.mark.parametrize(
    ("wanted", "derived"),
    [
        ("Jane Doe", "jane-doe"),
        ("jane@example.com", "jane-example.com"),
        ("Ω", "user"),
        ("a", "a00"),
        ("x" * 100, "x" * 64),
    ],
)
def test_a_username_is_derived_from_any_name(wanted: str, derived: str) -> None:
    assert users.derived_username(wanted) == derived
    assert users.username(derived) == derived


def test_a_token_reads_or_reads_and_writes() -> None:
    assert users.token_scopes([Scope.READ]) == {Scope.READ}
    assert users.token_scopes([Scope.WRITE, Scope.READ]) == {Scope.READ, Scope.WRITE}
    for wrong in [[Scope.WRITE], [], [Scope.READ, Scope.READ]]:
        with pytest.raises(ValueError, match="scopes"):
            users.token_scopes(wrong)


def test_the_throttle_counts_failures_within_its_window() -> None:
    clock = Clock()
    throttle = Throttle(3, timedelta(minutes=10), clock)
    for _ in range(2):
        throttle.failed("eve")
        clock.advance(60)
    assert throttle.retry_after("eve") is None
    throttle.failed("eve")
    # The oldest failure leaves the window eight minutes from now.
    assert throttle.retry_after("eve") == 8 * 60
    assert throttle.retry_after("someone else") is None
    clock.advance(8 * 60)
    assert throttle.retry_after("eve") is None
    throttle.failed("eve")
    assert throttle.retry_after("eve") == 60
    throttle.forget("eve")
    assert throttle.retry_after("eve") is None


class Hook:
    def __init__(self) -> None:
        self.calls: list[int] = []

    async def __call__(self, user_id: int) -> None:
        self.calls.append(user_id)


def _service(sql: EngineSql, hook: Hook) -> AccountService:
    return AccountService(sql, hook, clock=Clock(), hasher=CHEAP)


async def test_the_admin_is_ensured_once_and_the_first_user_hook_runs_once(
    fresh_sqlite: EngineSql,
) -> None:
    hook = Hook()
    accounts = _service(fresh_sqlite, hook)
    assert await accounts.needs_first_user()

    await accounts.ensure_admin("root", "root-password")
    await accounts.ensure_admin("root", "another-password")

    [root] = await accounts.users()
    assert root.username == "root" and root.is_admin
    assert hook.calls == [root.id]
    user, _ = await accounts.login("root", "root-password", "client")
    assert user == root
    await accounts.create_user("second", "second-password")
    assert hook.calls == [root.id]


async def test_an_external_sign_in_links_by_provider_never_by_name(
    fresh_sqlite: EngineSql,
) -> None:
    hook = Hook()
    accounts = _service(fresh_sqlite, hook)
    local = await accounts.create_user("jane", "local-password")
    assert local.is_admin is False  # made by create_user, which makes no admins unasked

    first = await accounts.sign_in_external("https://id.example", "sub-1", "Jane", "Jane Doe")
    again = await accounts.sign_in_external("https://id.example", "sub-1", "renamed", "J")
    other = await accounts.sign_in_external("https://other.example", "sub-1", "jane", "Jane")

    assert first == again
    assert first.username == "jane-2" and first.display_name == "Jane Doe"
    assert other.username == "jane-3"
    assert len({local.id, first.id, other.id}) == 3
    with pytest.raises(Exception, match="wrong username or password"):
        await accounts.login("jane-2", "local-password", "client")


async def test_the_first_user_signing_in_externally_is_the_admin(fresh_sqlite: EngineSql) -> None:
    hook = Hook()
    accounts = _service(fresh_sqlite, hook)
    user = await accounts.sign_in_external("https://id.example", "sub-9", "ann", "Ann")
    assert user.is_admin and hook.calls == [user.id]
    session = await accounts.open_session(user.id)
    principal = await accounts.session_principal(session)
    assert principal is not None and principal.user == user and principal.via == "session"
