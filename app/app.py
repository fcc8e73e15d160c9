"""Reflex entry point: the UI pages, with the FastAPI app mounted through api_transformer, all
served behind the browser safety layer."""

import reflex as rx
from reflex import constants
from reflex.utils import prerequisites
from starlette.types import ASGIApp

from app.api.main import create_api, running
from app.api.security import BrowserSafety, PagesPolicy
from app.ui import routes
from app.ui.pages import admin, index, login, settings
from app.ui.state.guard import SignInRequired
from app.web import current_app


class _SafeApp(rx.App):
    def __call__(self) -> ASGIApp:
        """The served app, in the browser safety layer: outermost, so that it also covers the
        compiled pages, the event WebSocket and the CORS layers Reflex adds itself."""
        pages = PagesPolicy(prerequisites.get_web_dir() / constants.Dirs.STATIC)
        return BrowserSafety(super().__call__(), web_app.runtime.settings, pages)


web_app = current_app()

app = _SafeApp(
    api_transformer=create_api(web_app),
    # The installable app (assets/manifest.json) and its service worker (assets/pwa.js).
    head_components=[
        rx.el.link(rel="manifest", href="/manifest.json"),
        rx.el.meta(name="theme-color", content="#2563eb"),
        rx.el.script(src="/pwa.js", defer=True),
    ],
)
app.register_lifespan_task(running, web_app=web_app)
app.add_middleware(SignInRequired())
app.add_page(index.index, route=routes.BOARD, title="TaskFlow", on_load=index.ON_LOAD)
app.add_page(login.login, route=routes.LOGIN, title="Sign in · TaskFlow", on_load=login.ON_LOAD)
app.add_page(
    settings.settings, route=routes.SETTINGS, title="Settings · TaskFlow", on_load=settings.ON_LOAD
)
app.add_page(admin.admin, route=routes.ADMIN, title="Admin · TaskFlow", on_load=admin.ON_LOAD)
