"""The pages' paths."""

BOARD = "/"
LOGIN = "/login"
SETTINGS = "/settings"
ADMIN = "/admin"
# Another helper's route: single sign-on starts here (a full page load, not a Reflex page).
SINGLE_SIGN_ON = "/api/auth/oidc/login"
