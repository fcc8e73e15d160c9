"""Reflex entry point: the UI pages, with the FastAPI app mounted through api_transformer."""

import reflex as rx

from app.api.main import create_api, running
from app.ui.pages.index import ON_LOAD, index
from app.web import current_app

web_app = current_app()

app = rx.App(api_transformer=create_api(web_app))
app.register_lifespan_task(running, web_app=web_app)
app.add_page(index, route="/", title="TaskFlow", on_load=ON_LOAD)
