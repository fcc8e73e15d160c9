"""The admin page's parts: the users, a form to make one, and the confirmation of a deletion."""

import reflex as rx
from reflex.vars import ObjectVar

from app.domain.users import PASSWORD_MAX, PASSWORD_RULE, USERNAME_MAX, USERNAME_RULE
from app.ui.components.settings_panels import (
    confirm_dialog,
    error_text,
    inline_form,
    labelled,
    listing_table,
    muted,
    panel,
    row_button,
)
from app.ui.state.users import UserRow, UsersState


def new_user_form() -> rx.Component:
    return inline_form(
        "Create user",
        UsersState.create,
        labelled(
            "Username",
            rx.input(id="new-username", name="username", max_length=USERNAME_MAX, required=True),
            "new-username",
        ),
        labelled(
            "Password",
            rx.input(
                id="new-password",
                name="password",
                type="password",
                auto_complete="new-password",
                max_length=PASSWORD_MAX,
                required=True,
            ),
            "new-password",
        ),
        rx.text(
            rx.flex(rx.checkbox(name="is_admin"), "Admin", spacing="2", align="center"),
            as_="label",
            size="2",
        ),
    )


def user_row(row: ObjectVar[UserRow]) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(row.username),
        rx.table.cell(row.display_name),
        rx.table.cell(rx.cond(row.is_admin, rx.badge("admin"), "")),
        rx.table.cell(row.created),
        rx.table.cell(
            rx.cond(
                row.me,
                muted("you", size="1"),
                row_button(
                    "Delete", UsersState.ask_delete(row.id), f"Delete {row.username}", danger=True
                ),
            )
        ),
        aria_label=row.username,
    )


def user_table() -> rx.Component:
    return listing_table(
        "Users", ("Username", "Name", "Role", "Created", ""), UsersState.rows, user_row
    )


def delete_dialog() -> rx.Component:
    return confirm_dialog(
        UsersState.confirming,
        UsersState.set_confirming,
        rx.alert_dialog.title("Delete ", UsersState.deleting_name, "?"),
        "Their tasks, reminders, history, sessions and API tokens are deleted with them. This "
        "cannot be undone.",
        "Delete user",
        UsersState.delete,
    )


def users_panel() -> rx.Component:
    return panel(
        "Users",
        new_user_form(),
        muted(f"{USERNAME_RULE.capitalize()}; {PASSWORD_RULE}.", size="1"),
        error_text(UsersState.error),
        user_table(),
        delete_dialog(),
    )
