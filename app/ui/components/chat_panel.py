"""The chat panel beside the board."""

import reflex as rx
from reflex.vars import ObjectVar

from app.ui.state.chat import CHAT_SCROLL_ID, ActionCard, ChatMessage, ChatState

CHAT_INPUT_ID = "chat-input"
EXAMPLES = (
    "add pay rent on the 1st every month with high priority",
    "what's due this week?",
    "remind me 1 hour before task 3",
)


def action_card(card: ObjectVar[ActionCard]) -> rx.Component:
    return rx.hstack(
        rx.cond(
            card.failed,
            rx.icon("circle-x", size=16, color=rx.color("red", 10)),
            rx.icon("circle-check", size=16, color=rx.color("green", 10)),
        ),
        rx.vstack(
            rx.text(
                rx.text.strong(card.label),
                rx.cond(card.title != "", f" · {card.title}", ""),
                size="1",
            ),
            rx.cond(
                card.detail != "",
                rx.text(card.detail, size="1", color=rx.color("gray", 11)),
            ),
            spacing="0",
        ),
        role="note",
        aria_label=f"{card.label} {card.title}",
        align="start",
        spacing="2",
        padding="0.4em 0.6em",
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="var(--radius-2)",
        background=rx.color("gray", 1),
        width="100%",
    )


def bubble(message: ObjectVar[ChatMessage]) -> rx.Component:
    return rx.vstack(
        rx.box(
            rx.text(message.text, size="2", white_space="pre-wrap"),
            padding="0.5em 0.75em",
            border_radius="var(--radius-3)",
            background=rx.cond(message.mine, rx.color("accent", 9), rx.color("gray", 3)),
            color=rx.cond(message.mine, "white", rx.color("gray", 12)),
            max_width="90%",
        ),
        rx.foreach(message.cards, action_card),
        align=rx.cond(message.mine, "end", "start"),
        spacing="1",
        width="100%",
        role="article",
        aria_label=rx.cond(message.mine, "You said", "Assistant said"),
    )


def welcome() -> rx.Component:
    return rx.vstack(
        rx.text("Ask the assistant to add, find, change or complete tasks.", size="2"),
        *[
            rx.button(
                example,
                size="1",
                variant="soft",
                color_scheme="gray",
                on_click=ChatState.send({"message": example}),
                white_space="normal",
                height="auto",
                padding="0.35em 0.6em",
                text_align="left",
            )
            for example in EXAMPLES
        ],
        spacing="2",
        align="start",
        color=rx.color("gray", 11),
    )


def chat_form() -> rx.Component:
    return rx.form(
        rx.hstack(
            rx.input(
                name="message",
                id=CHAT_INPUT_ID,
                placeholder="Message the assistant…",
                aria_label="Message the assistant",
                max_length=4000,
                auto_complete="off",
                flex="1",
            ),
            rx.icon_button(
                rx.icon("send-horizontal", size=16),
                type="submit",
                loading=ChatState.sending,
                aria_label="Send message",
            ),
            width="100%",
        ),
        on_submit=ChatState.send,
        reset_on_submit=False,
        width="100%",
    )


def chat_panel() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.icon("message-circle", size=18),
                rx.heading("Assistant", size="3", as_="h2"),
                rx.spacer(),
                rx.cond(
                    ChatState.messages.length() > 0,
                    rx.button(
                        "New chat",
                        size="1",
                        variant="ghost",
                        on_click=ChatState.clear,
                        aria_label="Start a new conversation",
                    ),
                ),
                align="center",
                width="100%",
            ),
            rx.scroll_area(
                rx.vstack(
                    rx.cond(
                        ChatState.messages.length() > 0,
                        rx.foreach(ChatState.messages, bubble),
                        welcome(),
                    ),
                    rx.cond(
                        ChatState.sending,
                        rx.hstack(rx.spinner(size="1"), rx.text("Thinking…", size="1")),
                    ),
                    spacing="3",
                    padding_right="0.75em",
                    role="log",
                    aria_label="Conversation",
                    aria_live="polite",
                ),
                id=CHAT_SCROLL_ID,
                type="auto",
                scrollbars="vertical",
                flex="1",
                min_height="0",
            ),
            chat_form(),
            height="100%",
            spacing="3",
        ),
        height=rx.breakpoints(initial="32em", md="calc(100vh - 6.5em)"),
        position=rx.breakpoints(initial="static", md="sticky"),
        top="5.5em",
        width="100%",
    )
