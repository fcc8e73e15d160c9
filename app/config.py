"""Settings read once from the environment (and `.env`)."""

import os
import re
from dataclasses import dataclass, field
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

from app.domain import users

ROOT = Path(__file__).resolve().parent.parent
_VISIBLE_ASCII = re.compile(r"[!-~]+")
_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# A Host header's value: a DNS name, IPv4 or bracketed IPv6 address, and an optional port.
_HOST = re.compile(r"(?:[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?")
DEFAULT_PORT = 3000


@dataclass(frozen=True)
class DeliverySettings:
    """How the outbox relay delivers events, and when /health calls delivery degraded."""

    # Transport failures are retried for as long as they last, backing off up to this.
    max_backoff_seconds: float = 5.0
    # A publish the bus has not accepted by then counts as failed (and is retried).
    publish_timeout_seconds: float = 20.0
    # How long one relay holds the rows it claimed; longer than a publish can take.
    claim_seconds: float = 60.0
    # Sent rows are kept this long, then pruned in batches.
    retention_days: float = 7.0
    # /health says `degraded` while the oldest unsent event waits longer than this.
    max_wait_seconds: float = 30.0

    @classmethod
    def from_env(cls) -> "DeliverySettings":
        default = cls()
        return cls(
            max_backoff_seconds=_positive(
                "TASKFLOW_OUTBOX_MAX_BACKOFF_SECONDS", default.max_backoff_seconds
            ),
            publish_timeout_seconds=_positive(
                "TASKFLOW_OUTBOX_PUBLISH_TIMEOUT_SECONDS", default.publish_timeout_seconds
            ),
            claim_seconds=_positive("TASKFLOW_OUTBOX_CLAIM_SECONDS", default.claim_seconds),
            retention_days=_positive("TASKFLOW_OUTBOX_RETENTION_DAYS", default.retention_days),
            max_wait_seconds=_positive(
                "TASKFLOW_HEALTH_MAX_EVENT_WAIT_SECONDS", default.max_wait_seconds
            ),
        )

    def __post_init__(self) -> None:
        if self.claim_seconds <= self.publish_timeout_seconds:
            raise ValueError(
                "TASKFLOW_OUTBOX_CLAIM_SECONDS must be longer than "
                "TASKFLOW_OUTBOX_PUBLISH_TIMEOUT_SECONDS, or two relays could publish one row"
            )


@dataclass(frozen=True)
class AccountSettings:
    """Who may sign up and sign in, and from where."""

    # The admin made sure of at start-up (scripted installs, tests); both or neither.
    admin_username: str | None = None
    admin_password: str | None = None
    # Anyone may sign up (TASKFLOW_SIGNUP=open), not only the first user.
    signup_open: bool = False
    # Single sign-on with OpenID Connect, when all three are set.
    oidc_issuer: str | None = None
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None

    @property
    def oidc(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id and self.oidc_client_secret)

    @classmethod
    def from_env(cls) -> "AccountSettings":
        signup = os.environ.get("TASKFLOW_SIGNUP", "").strip()
        if signup not in ("", "open"):
            raise ValueError(f"TASKFLOW_SIGNUP must be 'open' or unset, not {signup!r}")
        admin = _text("TASKFLOW_ADMIN_USERNAME"), os.environ.get("TASKFLOW_ADMIN_PASSWORD") or None
        if (admin[0] is None) != (admin[1] is None):
            raise ValueError("set TASKFLOW_ADMIN_USERNAME and TASKFLOW_ADMIN_PASSWORD together")
        try:
            admin_username = None if admin[0] is None else users.username(admin[0])
            admin_password = None if admin[1] is None else users.password(admin[1])
        except ValueError as error:
            raise ValueError(f"TASKFLOW_ADMIN_USERNAME/_PASSWORD: {error}") from None
        return cls(
            admin_username=admin_username,
            admin_password=admin_password,
            signup_open=signup == "open",
            oidc_issuer=_text("TASKFLOW_OIDC_ISSUER"),
            oidc_client_id=_text("TASKFLOW_OIDC_CLIENT_ID"),
            oidc_client_secret=_text("TASKFLOW_OIDC_CLIENT_SECRET"),
        )


@dataclass(frozen=True)
class MailSettings:
    """The SMTP server reminders are mailed through (TASKFLOW_SMTP_URL), and the sender."""

    host: str
    port: int
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    # smtps://: TLS from the first byte; ?starttls=true: upgraded after connecting.
    tls: bool = False
    starttls: bool = False
    sender: str = "taskflow@localhost"

    @classmethod
    def from_env(cls) -> "MailSettings | None":
        """None when TASKFLOW_SMTP_URL is unset: email channels cannot be sent then."""
        raw = _text("TASKFLOW_SMTP_URL")
        if raw is None:
            return None
        wrong = ValueError(
            "TASKFLOW_SMTP_URL must look like smtp://user:password@host:port "
            "(smtps:// for TLS, ?starttls=true to upgrade)"
        )
        try:
            url = urlsplit(raw)
            port = url.port
        except ValueError:
            raise wrong from None
        query = parse_qs(url.query)
        starttls = query.pop("starttls", ["false"])[-1].lower()
        if url.scheme not in ("smtp", "smtps") or not url.hostname or query:
            raise wrong
        if starttls not in ("true", "false") or (starttls == "true" and url.scheme == "smtps"):
            raise ValueError("TASKFLOW_SMTP_URL: starttls is true or false, and not with smtps://")
        tls = url.scheme == "smtps"
        sender = _text("TASKFLOW_MAIL_FROM") or f"taskflow@{url.hostname}"
        return cls(
            host=url.hostname,
            port=port or (465 if tls else 25),
            username=unquote(url.username) if url.username else None,
            password=unquote(url.password) if url.password else None,
            tls=tls,
            starttls=starttls == "true",
            sender=sender,
        )


@dataclass(frozen=True)
class NotifySettings:
    """How fired reminders reach their owners' channels."""

    # None: no SMTP server configured; email channels cannot be made.
    mail: MailSettings | None = None
    # The first retry of a failed delivery waits this long, each further one twice as long.
    retry_seconds: float = 30.0
    # How long one attempt (connecting, sending) may take.
    send_timeout_seconds: float = 20.0
    # Webhooks and ntfy may go to loopback, private and link-local addresses (receivers on
    # the server's own network); by default only public addresses are posted to.
    allow_private_targets: bool = False
    # Where people reach the app (TASKFLOW_PUBLIC_URL): the links a notification carries
    # (done, snooze) point under it.
    public_url: str = f"http://127.0.0.1:{DEFAULT_PORT}"

    @property
    def push_subject(self) -> str:
        """Who sends this server's Web Push (VAPID's `sub`), for push services to contact:
        the mail sender's address, else the public URL."""
        if self.mail is None:
            return self.public_url
        return f"mailto:{parseaddr(self.mail.sender)[1] or self.mail.sender}"

    @classmethod
    def from_env(cls, port: int = DEFAULT_PORT) -> "NotifySettings":
        default = cls()
        return cls(
            mail=MailSettings.from_env(),
            public_url=_public_url(port),
            retry_seconds=_positive("TASKFLOW_NOTIFY_RETRY_SECONDS", default.retry_seconds),
            send_timeout_seconds=_positive(
                "TASKFLOW_NOTIFY_TIMEOUT_SECONDS", default.send_timeout_seconds
            ),
            allow_private_targets=_flag("TASKFLOW_NOTIFY_ALLOW_PRIVATE"),
        )


@dataclass(frozen=True)
class Settings:
    runtime: str
    database_url: str
    timezone: str
    delivery: DeliverySettings = field(default_factory=DeliverySettings)
    # How often the reconciliation sweep runs (it also runs once at start-up).
    reconcile_seconds: float = 60.0
    # A conversation keeps at most this many turns, and fewer beyond this many characters.
    chat_history_turns: int = 12
    chat_history_chars: int = 40_000
    # Other web origins whose pages may call the API with the user's cookie (CORS).
    allowed_origins: tuple[str, ...] = ()
    # The port the app serves on (make run's PORT): /mcp answers its loopback names on it.
    port: int = DEFAULT_PORT
    # Other names the app is reached by (a Host header's value, e.g. todo.example.com or
    # 192.168.1.20:3000): /mcp refuses any host not loopback or listed (DNS rebinding).
    allowed_hosts: tuple[str, ...] = ()
    # Dapr mode: the token this process's sidecar sends with every call to it (header
    # `dapr-api-token`); without it anyone who reaches the port could deliver events.
    app_api_token: str | None = field(default=None, repr=False)
    # Migrations on PostgreSQL: the role the app's database access runs as, granted what it
    # needs (and nothing more) after every upgrade.
    database_runtime_role: str | None = None
    accounts: AccountSettings = field(default_factory=AccountSettings)
    notify: NotifySettings = field(default_factory=NotifySettings)
    # Embedded mode: the worker processes serving the one port (make run's WORKERS). With more
    # than one they share the Redis at `redis_url`: Reflex keeps its state there, and the
    # workers pass the live feed and the outbox's wake-up to each other through it.
    workers: int = 1
    redis_url: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.runtime == "local" and self.workers > 1 and not self.redis_url:
            raise ValueError(
                "WORKERS above 1 needs REFLEX_REDIS_URL: the workers share their state in "
                "Redis (make run starts the project's own and sets it)"
            )
        for host in self.allowed_hosts:
            if not _HOST.fullmatch(host):
                raise ValueError(
                    "TASKFLOW_ALLOWED_HOSTS must list host names as a Host header gives them "
                    f"(like todo.example.com or 192.168.1.20:3000), not {host!r}"
                )
        role = self.database_runtime_role
        if role is not None and not _ROLE_NAME.fullmatch(role):
            raise ValueError(
                f"TASKFLOW_DATABASE_RUNTIME_ROLE must be a role name of a-z, 0-9 and _, "
                f"not {role!r}"
            )
        if self.runtime != "dapr":
            return
        if not self.app_api_token:
            raise ValueError(
                "APP_API_TOKEN must be set in Dapr mode: the token this process's Dapr "
                "sidecar sends with every call to it"
            )
        if not _VISIBLE_ASCII.fullmatch(self.app_api_token):
            raise ValueError(
                "APP_API_TOKEN must be visible ASCII characters (no spaces): it travels in a header"
            )

    @classmethod
    def at_start_up(cls) -> "Settings":
        """from_env for a process that is starting: a setting it cannot run with stops it
        with a message that names the variable (exit status 1), not with a traceback."""
        try:
            return cls.from_env()
        except ValueError as error:
            raise SystemExit(f"taskflow: {error}") from None

    @classmethod
    def from_env(cls) -> "Settings":
        _load_dotenv(ROOT / ".env")
        default_db = f"sqlite:///{ROOT / '.data' / 'taskflow.db'}"
        return cls(
            runtime=os.environ.get("TASKFLOW_RUNTIME", "local"),
            database_url=os.environ.get("TASKFLOW_DATABASE_URL", default_db),
            timezone=os.environ.get("TASKFLOW_TIMEZONE", "UTC"),
            delivery=DeliverySettings.from_env(),
            reconcile_seconds=_positive("TASKFLOW_RECONCILE_SECONDS", cls.reconcile_seconds),
            chat_history_turns=_whole("TASKFLOW_CHAT_HISTORY_TURNS", cls.chat_history_turns),
            chat_history_chars=_whole("TASKFLOW_CHAT_HISTORY_CHARS", cls.chat_history_chars),
            allowed_origins=_listed("TASKFLOW_ALLOWED_ORIGINS"),
            port=_whole("PORT", DEFAULT_PORT),
            allowed_hosts=tuple(host.lower() for host in _listed("TASKFLOW_ALLOWED_HOSTS")),
            app_api_token=os.environ.get("APP_API_TOKEN") or None,
            database_runtime_role=os.environ.get("TASKFLOW_DATABASE_RUNTIME_ROLE") or None,
            accounts=AccountSettings.from_env(),
            notify=NotifySettings.from_env(_whole("PORT", DEFAULT_PORT)),
            workers=_whole("WORKERS", cls.workers),
            redis_url=_text("REFLEX_REDIS_URL"),
        )


def _text(name: str) -> str | None:
    """The variable's value without surrounding blanks; None when unset or blank."""
    return os.environ.get(name, "").strip() or None


def _flag(name: str) -> bool:
    """1 or true: on; 0, false or unset: off."""
    raw = os.environ.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "false", "true"):
        raise ValueError(f"{name} must be 1 or 0 (true or false), not {raw!r}")
    return raw in ("1", "true")


def _public_url(port: int) -> str:
    """TASKFLOW_PUBLIC_URL without a trailing slash; by default the app as `make run` serves it
    on `port`."""
    raw = _text("TASKFLOW_PUBLIC_URL")
    if raw is None:
        return f"http://127.0.0.1:{port}"
    try:
        url = urlsplit(raw)
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    extra = port_ok and (url.query or url.fragment)
    if not port_ok or url.scheme not in ("http", "https") or not url.hostname or extra:
        raise ValueError(
            "TASKFLOW_PUBLIC_URL must be the http(s) address people reach the app at, like "
            f"https://todo.example.com, not {raw!r}"
        )
    return raw.rstrip("/")


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if not value > 0:  # NaN too
        raise ValueError(f"{name} must be above zero, not {raw!r}")
    return value


def _whole(name: str, default: int) -> int:
    text = os.environ.get(name, "")
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
    return int(text)


def _listed(name: str) -> tuple[str, ...]:
    """A comma-separated list; blanks around and between items are dropped."""
    return tuple(item.strip() for item in os.environ.get(name, "").split(",") if item.strip())


def _load_dotenv(path: Path) -> None:
    """KEY=VALUE lines; variables already in the environment win."""
    if not path.is_file():
        return
    for line in path.read_text().splitlines():
        name, sep, value = line.strip().partition("=")
        if sep and not name.startswith("#"):
            os.environ.setdefault(name.strip(), value.strip().strip("'\""))
