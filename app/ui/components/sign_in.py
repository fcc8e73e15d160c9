"""The sign-in card: username and password, or the first-run signup of the admin; single
sign-on when a provider is configured."""

import reflex as rx

from app.domain.users import PASSWORD_MAX, PASSWORD_RULE, USERNAME_MAX, USERNAME_RULE
from app.ui import routes
from app.ui.state.login import LoginState


def field(label: str, name: str, kind: str, auto_complete: str, max_length: int) -> rx.Component:
    return rx.vstack(
        rx.el.label(rx.text(label, size="2", weight="medium"), html_for=name),
        rx.input(
            id=name,
            name=name,
            type=kind,
            auto_complete=auto_complete,
            max_length=max_length,
            required=True,
            width="100%",
        ),
        spacing="1",
        width="100%",
    )


def single_sign_on() -> rx.Component:
    """A plain link (a full page load, to the provider and back), outside the form."""
    return rx.cond(
        LoginState.single_sign_on & ~LoginState.first_run,
        rx.vstack(
            rx.separator(size="4"),
            rx.button(
                rx.link(
                    rx.icon("key-round", size=16),
                    "Sign in with single sign-on",
                    href=routes.SINGLE_SIGN_ON,
                    reload_document=True,
                ),
                as_child=True,
                variant="soft",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
    )


def sign_in_card() -> rx.Component:
    first_run = LoginState.first_run
    return rx.card(
        rx.form(
            rx.vstack(
                rx.hstack(
                    rx.icon("square-check-big", size=28, color=rx.color("accent", 9)),
                    rx.heading("TaskFlow", size="7", as_="h1"),
                    align="center",
                    spacing="2",
                ),
                rx.cond(
                    first_run,
                    rx.vstack(
                        rx.heading("Create the admin account", size="4", as_="h2"),
                        rx.text(
                            "No account exists yet: the first one administers this TaskFlow.",
                            size="2",
                            color=rx.color("gray", 11),
                        ),
                        spacing="1",
                    ),
                    rx.heading("Sign in", size="4", as_="h2"),
                ),
                field("Username", "username", "text", "username", USERNAME_MAX),
                field(
                    "Password",
                    "password",
                    "password",
                    rx.cond(first_run, "new-password", "current-password"),
                    PASSWORD_MAX,
                ),
                rx.cond(
                    first_run,
                    rx.text(
                        f"{USERNAME_RULE.capitalize()}; {PASSWORD_RULE}.",
                        size="1",
                        color=rx.color("gray", 11),
                    ),
                ),
                rx.cond(
                    LoginState.error != "",
                    rx.callout.root(
                        rx.callout.text(LoginState.error),
                        color_scheme="red",
                        role="alert",
                        width="100%",
                    ),
                ),
                rx.button(
                    rx.cond(first_run, "Create admin account", "Sign in"),
                    type="submit",
                    loading=LoginState.sending,
                    width="100%",
                ),
                spacing="3",
                width="100%",
            ),
            on_submit=LoginState.submit,
            reset_on_submit=False,
        ),
        single_sign_on(),
        width="100%",
        max_width="24em",
    )
