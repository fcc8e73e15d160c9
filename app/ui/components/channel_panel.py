"""The settings page's notifications: the user's channels, a form to add one, a new webhook's
secret shown once, how a test went, and the confirmation of a deletion."""

import reflex as rx
from reflex.vars import ObjectVar

from app.domain.channels import TARGET_MAX, TOKEN_MAX, ChannelType
from app.ui.components.settings_panels import (
    confirm_dialog,
    error_text,
    inline_form,
    labelled,
    listing_table,
    muted,
    panel,
    row_button,
    shown_once,
)
from app.ui.state.channels import ChannelRow, ChannelsState, TypeChoice


def type_item(choice: ObjectVar[TypeChoice]) -> rx.Component:
    return rx.select.item(choice.name, value=choice.value)


def channel_form() -> rx.Component:
    return inline_form(
        "Add channel",
        ChannelsState.create,
        labelled(
            "Type",
            rx.select.root(
                rx.select.trigger(id="channel-type", aria_label="Type"),
                rx.select.content(rx.foreach(ChannelsState.types, type_item)),
                value=ChannelsState.kind,
                on_change=ChannelsState.set_kind,
            ),
            "channel-type",
        ),
        labelled(
            "Target",
            rx.input(
                id="channel-target",
                name="target",
                placeholder=rx.match(
                    ChannelsState.kind,
                    (ChannelType.EMAIL.value, "someone@example.org"),
                    (ChannelType.NTFY.value, "https://ntfy.sh/your-hard-to-guess-topic"),
                    "https://example.org/taskflow-hook",
                ),
                max_length=TARGET_MAX,
                required=True,
                width="22em",
            ),
            "channel-target",
        ),
        rx.cond(
            ChannelsState.kind == ChannelType.NTFY.value,
            labelled(
                "Access token (if the topic needs one)",
                rx.input(
                    id="channel-token",
                    name="token",
                    type="password",
                    placeholder="tk_...",
                    max_length=TOKEN_MAX,
                    width="16em",
                ),
                "channel-token",
            ),
        ),
    )


def push_button() -> rx.Component:
    return rx.hstack(
        rx.button(
            "Turn on push on this device",
            on_click=ChannelsState.turn_on_push,
            variant="soft",
            id="turn-on-push",
        ),
        muted("Reminders as notifications of this browser, even with no tab open."),
        align="center",
        spacing="3",
    )


def new_secret() -> rx.Component:
    """A new webhook's signing secret, this once."""
    return shown_once(
        ChannelsState.new_secret,
        "Signing secret",
        ChannelsState.copy_secret,
        ChannelsState.dismiss_secret,
        "The signing secret of the webhook ",
        ChannelsState.new_secret_target,
        ": it signs every request (X-TaskFlow-Signature). Copy it now: it is not shown again.",
    )


def test_outcome() -> rx.Component:
    return rx.cond(
        ChannelsState.outcome != "",
        rx.callout.root(
            rx.callout.text(ChannelsState.outcome),
            color_scheme=rx.cond(ChannelsState.outcome_failed, "red", "green"),
            role="status",
            aria_label="Test notification",
            width="100%",
        ),
    )


def channel_row(row: ObjectVar[ChannelRow]) -> rx.Component:
    return rx.table.row(
        rx.table.cell(row.type),
        rx.table.row_header_cell(row.shown, word_break="break-all"),
        rx.table.cell(row.created),
        rx.table.cell(
            rx.hstack(
                row_button(
                    "Send test", ChannelsState.send_test(row.id), f"Send a test to {row.shown}"
                ),
                row_button(
                    "Delete", ChannelsState.ask_delete(row.id), f"Delete {row.shown}", danger=True
                ),
                spacing="2",
            )
        ),
        aria_label=row.shown,
    )


def channel_table() -> rx.Component:
    return listing_table(
        "Channels",
        ("Type", "Target", "Created", ""),
        ChannelsState.rows,
        channel_row,
        "No channels yet.",
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        ChannelsState.confirming,
        ChannelsState.set_confirming,
        rx.alert_dialog.title("Stop notifications to ", ChannelsState.deleting_target, "?"),
        "The channel is deleted; reminders no longer go there.",
        "Delete channel",
        ChannelsState.delete,
    )


def notifications_panel() -> rx.Component:
    return panel(
        "Notifications",
        muted("Where your reminders go when no TaskFlow tab is open."),
        channel_form(),
        push_button(),
        error_text(ChannelsState.error),
        new_secret(),
        test_outcome(),
        channel_table(),
        delete_dialog(),
    )
