"""The one page: the board and, beside it, the chat."""

import reflex as rx

from app.ui.components.chat_panel import chat_panel
from app.ui.components.filters import filter_bar, quick_add
from app.ui.components.header import board_actions, header
from app.ui.components.history_dialog import history_dialog
from app.ui.components.shortcuts import keyboard_shortcuts
from app.ui.components.stats_dialog import stats_dialog
from app.ui.components.task_dialog import task_dialog
from app.ui.components.task_list import task_list
from app.ui.state.board import BoardState
from app.ui.state.live import LiveState

ON_LOAD = [BoardState.load, LiveState.listen]


def board() -> rx.Component:
    return rx.vstack(
        quick_add(),
        filter_bar(),
        rx.card(task_list(), padding="0", width="100%"),
        spacing="3",
        width="100%",
        min_width="0",
        flex="1",
        role="region",
        aria_label="Board",
    )


def index() -> rx.Component:
    return rx.box(
        header(*board_actions()),
        rx.flex(
            board(),
            rx.box(
                chat_panel(),
                width=rx.breakpoints(initial="100%", md="380px"),
                flex_shrink="0",
                role="complementary",
                aria_label="Chat",
            ),
            direction=rx.breakpoints(initial="column", md="row"),
            spacing="4",
            padding="1em",
            align="start",
            max_width="1400px",
            margin="0 auto",
        ),
        task_dialog(),
        history_dialog(),
        stats_dialog(),
        keyboard_shortcuts(),
        min_height="100vh",
    )
