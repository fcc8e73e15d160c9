"""The app process: the runtime of the app's role, plus what only the app serves (the chat
and its tools over MCP) to the API and the UI."""

import asyncio
import contextlib
import functools
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from argon2 import PasswordHasher

from app.bootstrap import Runtime, bootstrap
from app.chat.confirmation import ConfirmationGuard
from app.chat.conversation import ConversationStore, HistoryLimits
from app.chat.gemini_settings import GeminiSettings
from app.chat.mcp_on_first_request import McpOnFirstRequest
from app.chat.offline.assistant import OfflineAssistant
from app.chat.service import ChatService
from app.chat.tools import ToolSet
from app.config import Settings
from app.ports import Clock, SingleSignOn, utc_now
from app.repositories.ownership import give_unowned_rows_to
from app.services.accounts import AccountService

if TYPE_CHECKING:
    from app.chat.gemini import GeminiAgent
    from app.chat.mcp_server import McpEndpoint

log = logging.getLogger(__name__)
ADMIN_RETRY_SECONDS = 5


@dataclass(frozen=True)
class WebApp:
    runtime: Runtime
    tools: ToolSet
    chat: ChatService
    mcp: McpOnFirstRequest
    accounts: AccountService
    # The OpenID provider of single sign-on; None: not configured.
    oidc: SingleSignOn | None

    @contextlib.asynccontextmanager
    async def admin_ensured(self) -> AsyncIterator[None]:
        """Make sure the admin of TASKFLOW_ADMIN_USERNAME exists: before the first request in
        embedded mode; in Dapr mode once the sidecar answers (it waits for the app's port, so
        start-up must not wait for it)."""
        task = asyncio.create_task(self._ensure_admin())
        if self.runtime.sidecar is None:
            await task
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _ensure_admin(self) -> None:
        settings = self.runtime.settings.accounts
        if settings.admin_username is None or settings.admin_password is None:
            return
        sidecar = self.runtime.sidecar
        if sidecar is None:
            await self.accounts.ensure_admin(settings.admin_username, settings.admin_password)
            return
        await sidecar.connected()
        while True:
            try:
                await self.accounts.ensure_admin(settings.admin_username, settings.admin_password)
                return
            except Exception:
                log.exception("could not make sure the admin exists; trying again")
                await asyncio.sleep(ADMIN_RETRY_SECONDS)


def web_app(
    settings: Settings, clock: Clock = utc_now, hasher: PasswordHasher | None = None
) -> WebApp:
    """The app. The accounts take `clock` for now (sessions, tokens, throttling) and hash
    passwords with `hasher` (Argon2id with the library's recommended cost unless given)."""
    runtime = bootstrap(settings, "app")
    tools = ToolSet(runtime.tasks, runtime.reminders, settings.timezone)
    guard = ConfirmationGuard(tools, utc_now)
    gemini_settings = GeminiSettings.from_env()

    @functools.cache
    def gemini() -> "GeminiAgent":
        # Google's SDK costs a process some 0.6 s of CPU and 23 MB: loaded once a key is used.
        from app.chat.gemini import GeminiAgent

        return GeminiAgent(tools, gemini_settings, settings.timezone, utc_now)

    chat = ChatService(
        ConversationStore(
            runtime.kv, HistoryLimits(settings.chat_history_turns, settings.chat_history_chars)
        ),
        OfflineAssistant(settings.timezone, utc_now),
        gemini,
        runtime.secrets,
        guard,
    )
    accounts = AccountService(
        runtime.sql,
        functools.partial(give_unowned_rows_to, runtime.sql),
        signup_open=settings.accounts.signup_open,
        clock=clock,
        hasher=hasher,
    )
    sso = settings.accounts
    oidc: SingleSignOn | None = None
    if sso.oidc_issuer and sso.oidc_client_id and sso.oidc_client_secret:
        # Authlib costs a process some 0.2 s of CPU: loaded where single sign-on is configured.
        from app.adapters.oidc import OidcProvider

        oidc = OidcProvider(sso.oidc_issuer, sso.oidc_client_id, sso.oidc_client_secret)

    def mcp() -> "McpEndpoint":
        from app.chat.mcp_server import McpEndpoint, transport_security

        return McpEndpoint(guard, accounts, transport_security(settings))

    return WebApp(runtime, tools, chat, McpOnFirstRequest(mcp), accounts, oidc)


_current: WebApp | None = None


def current_app() -> WebApp:
    """The process's app, built from the environment on first use (the Reflex app and its UI
    state share it)."""
    global _current
    if _current is None:
        _current = web_app(Settings.at_start_up())
    return _current
