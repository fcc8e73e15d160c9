"""The settings page's panels: API tokens, the password, and the sessions; and the parts
every panel is made of."""

from collections.abc import Callable
from typing import Any

import reflex as rx
from reflex.event import EventType
from reflex.vars import ArrayVar, ObjectVar

from app.domain.users import PASSWORD_MAX, PASSWORD_RULE, TOKEN_DAYS_MAX, TOKEN_NAME_MAX
from app.ui.state.account import AccountState
from app.ui.state.password import PasswordState
from app.ui.state.tokens import READ, READ_WRITE, TokenRow, TokensState


def panel(title: str, *children: rx.Component) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading(title, size="4", as_="h2"),
            *children,
            spacing="3",
            width="100%",
        ),
        width="100%",
        role="region",
        aria_label=title,
    )


def muted(text: str | rx.Var[str], size: str = "2") -> rx.Component:
    """Text that explains rather than shows: an intro, a rule, an empty listing."""
    return rx.text(text, size=size, color=rx.color("gray", 11))


def labelled(label: str, control: rx.Component, html_for: str) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=html_for),
        control,
        spacing="1",
    )


def inline_form(
    submit: str, on_submit: EventType[dict[str, Any]], *fields: rx.Component
) -> rx.Component:
    """`fields` in a row that wraps, ending in the `submit` button; the fields keep what was
    typed when the submission is refused."""
    return rx.form(
        rx.flex(
            *fields,
            rx.button(submit, type="submit"),
            spacing="3",
            align="end",
            wrap="wrap",
        ),
        on_submit=on_submit,
        reset_on_submit=False,
        width="100%",
    )


def error_text(error: rx.Var[str]) -> rx.Component:
    return rx.cond(
        error != "",
        rx.callout.root(rx.callout.text(error), color_scheme="red", role="alert", width="100%"),
    )


def shown_once(
    value: rx.Var[str],
    label: str,
    on_copy: EventType[()],
    on_dismiss: EventType[()],
    *intro: rx.Component | rx.Var[str] | str,
) -> rx.Component:
    """`value` (named `label`) just made, this once, with a copy button; `intro` says what it
    is."""
    return rx.cond(
        value != "",
        rx.callout.root(
            rx.vstack(
                rx.callout.text(*intro),
                rx.hstack(
                    rx.code(value, aria_label=label, word_break="break-all"),
                    rx.button(rx.icon("copy", size=14), "Copy", size="1", on_click=on_copy),
                    rx.button(
                        "Done",
                        size="1",
                        variant="soft",
                        color_scheme="gray",
                        on_click=on_dismiss,
                    ),
                    align="center",
                    wrap="wrap",
                ),
                spacing="2",
            ),
            color_scheme="green",
            width="100%",
        ),
    )


def confirm_dialog(
    open_: rx.Var[bool],
    on_open_change: EventType[bool],
    title: rx.Component,
    description: str,
    action: str,
    on_confirm: EventType[()],
) -> rx.Component:
    """Asks before something that cannot be undone: `action` does it, Cancel does not."""
    return rx.alert_dialog.root(
        rx.alert_dialog.content(
            title,
            rx.alert_dialog.description(description),
            rx.hstack(
                rx.alert_dialog.cancel(rx.button("Cancel", variant="soft", color_scheme="gray")),
                rx.alert_dialog.action(rx.button(action, color_scheme="red", on_click=on_confirm)),
                justify="end",
                spacing="3",
                margin_top="1em",
            ),
        ),
        open=open_,
        on_open_change=on_open_change,
    )


def new_token() -> rx.Component:
    """The token just made, this once."""
    return shown_once(
        TokensState.new_token,
        "New token",
        TokensState.copy_new_token,
        TokensState.dismiss_new_token,
        "Your new token “",
        TokensState.new_token_name,
        "”. Copy it now: it is not shown again.",
    )


def token_form() -> rx.Component:
    return inline_form(
        "Create token",
        TokensState.create,
        labelled(
            "Name",
            rx.input(
                id="token-name",
                name="name",
                placeholder="e.g. backup script",
                max_length=TOKEN_NAME_MAX,
                required=True,
            ),
            "token-name",
        ),
        labelled(
            "Access",
            rx.select.root(
                rx.select.trigger(id="token-scope", aria_label="Access"),
                rx.select.content(
                    rx.select.item("Read", value=READ),
                    rx.select.item("Read and write", value=READ_WRITE),
                ),
                value=TokensState.scope,
                on_change=TokensState.set_scope,
            ),
            "token-scope",
        ),
        labelled(
            "Expires in (days)",
            rx.input(
                id="token-days",
                name="expires_in_days",
                type="number",
                min=1,
                max=TOKEN_DAYS_MAX,
                placeholder="never",
                width="8em",
            ),
            "token-days",
        ),
    )


def token_row(row: ObjectVar[TokenRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.name),
        rx.table.cell(row.scopes),
        rx.table.cell(row.created),
        rx.table.cell(row.expires),
        rx.table.cell(row.last_used),
        rx.table.cell(
            row_button("Revoke", TokensState.revoke(row.id), f"Revoke {row.name}", danger=True)
        ),
        aria_label=row.name,
    )


def row_button(
    label: str, on_click: EventType[()], aria_label: rx.Var[str] | str, danger: bool = False
) -> rx.Component:
    """A small button in a row of a listing_table; `danger` for one that removes the row."""
    return rx.button(
        label,
        size="1",
        variant="soft",
        color_scheme="red" if danger else None,
        on_click=on_click,
        aria_label=aria_label,
    )


def listing_table(
    label: str,
    columns: tuple[str, ...],
    rows: ArrayVar[Any],
    row: Callable[[Any], rx.Component],
    empty: str | None = None,
) -> rx.Component:
    """A table of `rows`, one `row` each under `columns`; `empty` says when there are none."""
    table = rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(name) for name in columns])),
        rx.table.body(rx.foreach(rows, row)),
        width="100%",
        aria_label=label,
    )
    if empty is None:
        return table
    return rx.cond(rows.length() > 0, table, muted(empty))


def token_table() -> rx.Component:
    return listing_table(
        "API tokens",
        ("Name", "Access", "Created", "Expires", "Last used", ""),
        TokensState.rows,
        token_row,
        "No API tokens yet.",
    )


def tokens_panel() -> rx.Component:
    return panel(
        "API tokens",
        muted("For scripts and MCP clients: send a token as “Authorization: Bearer <token>”."),
        token_form(),
        error_text(TokensState.error),
        new_token(),
        token_table(),
    )


def password_input(label: str, id_: str, name: str, auto_complete: str) -> rx.Component:
    return labelled(
        label,
        rx.input(
            id=id_,
            name=name,
            type="password",
            auto_complete=auto_complete,
            max_length=PASSWORD_MAX,
            required=True,
        ),
        id_,
    )


def password_panel() -> rx.Component:
    return panel(
        "Password",
        inline_form(
            "Change password",
            PasswordState.change,
            password_input(
                "Current password", "current-password", "current_password", "current-password"
            ),
            password_input("New password", "new-password", "new_password", "new-password"),
        ),
        muted(f"{PASSWORD_RULE.capitalize()}.", size="1"),
        error_text(PasswordState.error),
    )


def sessions_panel() -> rx.Component:
    return panel(
        "Sessions",
        muted("Sign out of TaskFlow in every browser, this one too. API tokens keep working."),
        rx.button(
            "Sign out everywhere",
            variant="soft",
            color_scheme="red",
            on_click=AccountState.sign_out_everywhere,
            width="fit-content",
        ),
    )
