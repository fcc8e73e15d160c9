"""Request and response bodies of accounts: sign-up and sign-in, users, API tokens."""

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, BaseModel, Field, StrictBool

from app import task_types as types
from app.api.schemas import Strict
from app.domain import users
from app.domain.users import ApiToken, Scope, User

Username = Annotated[
    str,
    AfterValidator(types.checked(users.username)),
    types.declares(pattern=users.USERNAME_PATTERN),
]
Password = Annotated[
    str,
    AfterValidator(types.checked(users.password)),
    types.declares(minLength=users.PASSWORD_MIN, maxLength=users.PASSWORD_MAX),
]
DisplayName = Annotated[str, Field(min_length=1, max_length=users.DISPLAY_NAME_MAX)]
Scopes = Annotated[
    list[Scope],
    Field(min_length=1, max_length=len(Scope)),
    AfterValidator(types.checked(lambda scopes: sorted(users.token_scopes(scopes)))),
]


class Signup(Strict):
    username: Username
    password: Password
    display_name: DisplayName | None = None


class Login(Strict):
    """As typed: a name that breaks the username rule is simply not found."""

    username: Annotated[str, Field(min_length=1, max_length=users.USERNAME_MAX)]
    password: Annotated[str, Field(min_length=1, max_length=users.PASSWORD_MAX)]


class PasswordChange(Strict):
    current_password: Annotated[str, Field(min_length=1, max_length=users.PASSWORD_MAX)]
    new_password: Password


class UserCreate(Signup):
    is_admin: StrictBool = False


class TokenCreate(Strict):
    name: Annotated[str, Field(min_length=1, max_length=users.TOKEN_NAME_MAX)]
    scopes: Scopes
    # Bounds declared for the schema as well: pydantic leaves them out of an optional field's.
    expires_in_days: (
        Annotated[
            types.WholeNumber,
            Field(ge=1, le=users.TOKEN_DAYS_MAX),
            types.declares(minimum=1, maximum=users.TOKEN_DAYS_MAX),
        ]
        | None
    ) = None


class UserBody(BaseModel):
    user: User


class AuthStatus(BaseModel):
    """What the sign-in page offers."""

    signup_open: bool = Field(description="Anyone may sign up now.")
    needs_first_user: bool = Field(description="No user exists: sign up the first, an admin.")
    oidc: bool = Field(description="Single sign-on with the configured provider is offered.")


class TokenOut(BaseModel):
    id: int
    name: str
    scopes: list[Scope]
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None

    @classmethod
    def of(cls, token: ApiToken) -> "TokenOut":
        return cls(**token.model_dump(exclude={"scopes"}), scopes=sorted(token.scopes))


class NewTokenOut(TokenOut):
    token: str = Field(description="The token itself: shown this once, never again.")
