"""Reflex configuration: the app module is app/app.py (``app.app``)."""

import reflex as rx

config = rx.Config(
    app_name="app",
    telemetry_enabled=False,
    plugins=[rx.plugins.RadixThemesPlugin()],
    # The badge loads its logo from a remote host; the sitemap needs a public deploy URL.
    show_built_with_reflex=False,
    disable_plugins=[rx.plugins.SitemapPlugin],
    # Reflex's own CORS layers grant nothing: CORS, and the origin check of its WebSocket,
    # are app/api/security.py's (TASKFLOW_ALLOWED_ORIGINS).
    cors_allowed_origins=[],
)
