"""Settings from the environment (and a `.env` file), validated once at start.

Every value that is present but malformed raises `SettingsError` with one line that
names the variable, so `l2c serve` can stop with a message an operator understands.
No Reflex imports here: the CLI, the tests and the app all read the same settings.
"""

from __future__ import annotations

import ipaddress
import os
import secrets
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

PROJECT_DIR = Path(__file__).resolve().parents[2]
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")


class SettingsError(ValueError):
    """A setting is present but malformed; the message names the variable."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    redis_url: str | None
    app_base_url: str
    secret_key: str
    stripe_api_key: str | None = None
    stripe_webhook_secret: str | None = None
    stripe_api_base: str | None = None
    docusign_integration_key: str | None = None
    docusign_user_id: str | None = None
    docusign_account_id: str | None = None
    docusign_private_key_file: str | None = None
    docusign_private_key: str | None = None
    docusign_base_path: str = "https://demo.docusign.net/restapi"
    docusign_oauth_host: str = "account-d.docusign.com"
    docusign_connect_hmac_keys: tuple[str, ...] = field(default_factory=tuple)
    docusign_ca_bundle: str | None = None  # extra CA certificates (a TLS stand-in in tests)
    smtp_url: str | None = None
    mail_from: str = "l2c <no-reply@localhost>"
    session_hours: int = 12
    port: int = 3000  # PORT: where `l2c serve` listens (frontend and API on one port)
    log_level: str = "INFO"  # LOG_LEVEL: DEBUG, INFO, WARNING or ERROR
    # Reverse proxies whose X-Forwarded-For is believed (addresses or CIDR networks).
    trusted_proxies: tuple = ()
    # WEBHOOKS_ALLOW_PRIVATE=1: outbound webhooks may target private/loopback addresses (tests, labs).
    webhooks_allow_private: bool = False

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def stripe_enabled(self) -> bool:
        return bool(self.stripe_api_key)

    @property
    def docusign_enabled(self) -> bool:
        return bool(self.docusign_integration_key and self.docusign_user_id and self.docusign_account_id)


def _load_dotenv(path: Path) -> dict[str, str]:
    """Minimal `.env` reader: KEY=VALUE lines, # comments, optional quotes."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for raw in path.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, value = line.partition("=")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip().removeprefix("export ").strip()] = value
    return values


def _url(name: str, value: str, schemes: tuple[str, ...]) -> str:
    parsed = urlparse(value)
    if parsed.scheme.split("+")[0] not in schemes:
        raise SettingsError(
            f"{name} must be a URL starting with one of {', '.join(s + '://' for s in schemes)} (got {value!r})"
        )
    if parsed.scheme.split("+")[0] != "sqlite" and not parsed.netloc:
        raise SettingsError(f"{name} has no host: {value!r}")
    return value


def _secret_key(env: dict[str, str], database_url: str) -> str:
    """SECRET_KEY from the environment, else generated once and kept beside the database."""
    key = env.get("SECRET_KEY")
    if key is not None:
        if len(key) < 16:
            raise SettingsError("SECRET_KEY must be at least 16 characters long")
        return key
    folder = PROJECT_DIR
    if database_url.startswith("sqlite:///") and database_url != "sqlite:///:memory:":
        folder = Path(database_url.removeprefix("sqlite:///")).resolve().parent
    path = folder / ".l2c_secret_key"
    if path.is_file():
        return path.read_text().strip()
    key = secrets.token_urlsafe(48)
    folder.mkdir(parents=True, exist_ok=True)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load_settings(environ: dict[str, str] | None = None, dotenv: Path | None = None) -> Settings:
    """Read and validate every setting. Raises SettingsError naming the bad variable."""
    env = _load_dotenv(dotenv or PROJECT_DIR / ".env")
    env.update(os.environ if environ is None else environ)
    env = {k: v for k, v in env.items() if v != ""}

    database_url = env.get("DATABASE_URL", f"sqlite:///{PROJECT_DIR / 'l2c.db'}")
    _url("DATABASE_URL", database_url, ("sqlite", "postgresql", "postgres"))
    if database_url.startswith("postgres://") or database_url.startswith("postgresql://"):
        # Plain postgresql:// would pick psycopg2, which we do not ship: use psycopg 3.
        database_url = "postgresql+psycopg://" + database_url.split("://", 1)[1]

    redis_url = env.get("REDIS_URL")
    if redis_url is not None:
        _url("REDIS_URL", redis_url, ("redis", "rediss"))

    app_base_url = env.get("APP_BASE_URL", "http://localhost:3000").rstrip("/")
    _url("APP_BASE_URL", app_base_url, ("http", "https"))

    stripe_api_base = env.get("STRIPE_API_BASE")
    if stripe_api_base is not None:
        _url("STRIPE_API_BASE", stripe_api_base, ("http", "https"))
    stripe_key = env.get("STRIPE_API_KEY")
    if stripe_key is not None and not stripe_key.startswith(("sk_", "rk_")):
        raise SettingsError("STRIPE_API_KEY must start with sk_ or rk_")
    whsec = env.get("STRIPE_WEBHOOK_SECRET")
    if whsec is not None and not whsec.startswith("whsec_"):
        raise SettingsError("STRIPE_WEBHOOK_SECRET must start with whsec_")

    key_file = env.get("DOCUSIGN_PRIVATE_KEY_FILE")
    if key_file is not None and not Path(key_file).is_file():
        raise SettingsError(f"DOCUSIGN_PRIVATE_KEY_FILE does not name a readable file: {key_file!r}")
    ca_bundle = env.get("DOCUSIGN_CA_BUNDLE")
    if ca_bundle is not None and not Path(ca_bundle).is_file():
        raise SettingsError(f"DOCUSIGN_CA_BUNDLE does not name a readable file: {ca_bundle!r}")
    base_path = env.get("DOCUSIGN_BASE_PATH", "https://demo.docusign.net/restapi")
    _url("DOCUSIGN_BASE_PATH", base_path, ("http", "https"))

    smtp_url = env.get("SMTP_URL")
    if smtp_url is not None:
        _url("SMTP_URL", smtp_url, ("smtp", "smtps"))

    session_hours = env.get("SESSION_HOURS", "12")
    if not session_hours.isdigit() or not 1 <= int(session_hours) <= 24 * 30:
        raise SettingsError("SESSION_HOURS must be a whole number of hours between 1 and 720")

    port = env.get("PORT", "3000")
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise SettingsError(f"PORT must be a TCP port number between 1 and 65535 (got {port!r})")
    log_level = env.get("LOG_LEVEL", "INFO").upper()
    if log_level not in LOG_LEVELS:
        raise SettingsError(f"LOG_LEVEL must be one of {', '.join(LOG_LEVELS)} (got {env.get('LOG_LEVEL')!r})")
    proxies = []
    for item in env.get("TRUSTED_PROXIES", "").split(","):
        if item.strip():
            try:
                proxies.append(ipaddress.ip_network(item.strip(), strict=False))
            except ValueError:
                raise SettingsError(
                    f"TRUSTED_PROXIES must be IP addresses or networks, comma-separated (got {item.strip()!r})"
                ) from None

    allow_private = env.get("WEBHOOKS_ALLOW_PRIVATE", "0").strip().lower()
    if allow_private not in ("0", "1", "true", "false", "yes", "no"):
        raise SettingsError(f"WEBHOOKS_ALLOW_PRIVATE must be 1 or 0 (got {env.get('WEBHOOKS_ALLOW_PRIVATE')!r})")

    return Settings(
        database_url=database_url,
        redis_url=redis_url,
        app_base_url=app_base_url,
        secret_key=_secret_key(env, database_url),
        stripe_api_key=stripe_key,
        stripe_webhook_secret=whsec,
        stripe_api_base=stripe_api_base,
        docusign_integration_key=env.get("DOCUSIGN_INTEGRATION_KEY"),
        docusign_user_id=env.get("DOCUSIGN_USER_ID"),
        docusign_account_id=env.get("DOCUSIGN_ACCOUNT_ID"),
        docusign_private_key_file=key_file,
        docusign_private_key=env.get("DOCUSIGN_PRIVATE_KEY"),
        docusign_base_path=base_path,
        docusign_oauth_host=env.get("DOCUSIGN_OAUTH_HOST", "account-d.docusign.com"),
        docusign_connect_hmac_keys=tuple(
            k.strip() for k in env.get("DOCUSIGN_CONNECT_HMAC_KEY", "").split(",") if k.strip()
        ),
        docusign_ca_bundle=ca_bundle,
        smtp_url=smtp_url,
        mail_from=env.get("MAIL_FROM", "l2c <no-reply@localhost>"),
        session_hours=int(session_hours),
        port=int(port),
        log_level=log_level,
        trusted_proxies=tuple(proxies),
        webhooks_allow_private=allow_private in ("1", "true", "yes"),
    )


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings() -> None:
    """Forget cached settings (tests change the environment)."""
    get_settings.cache_clear()
