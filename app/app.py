"""Reflex entry point: the UI pages, with the FastAPI app mounted through api_transformer."""

import reflex as rx

from app.api.main import create_api
from app.runtime import current_runtime
from app.ui.pages.index import ON_LOAD, index

runtime = current_runtime()

app = rx.App(api_transformer=create_api(runtime))
app.register_lifespan_task(runtime.running)
app.add_page(index, route="/", title="TaskFlow", on_load=ON_LOAD)
