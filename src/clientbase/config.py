"""Settings read from the environment (prefix CLIENTBASE_)."""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

VAR_DIR = Path("var")


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CLIENTBASE_", env_file=".env", extra="ignore")

    database_url: str = f"sqlite:///{VAR_DIR}/clientbase.db"
    auto_migrate: bool = True
    environment: str = "development"

    secret_key: SecretStr | None = None
    access_token_minutes: int = Field(default=60, ge=1, le=24 * 60)
    jwt_issuer: str = "clientbase"

    admin_email: str | None = None
    admin_password: SecretStr | None = None

    default_phone_region: str = "KZ"
    max_body_bytes: int = 5 * 1024 * 1024
    login_max_failures: int = 5
    login_lockout_minutes: int = 15
    idempotency_ttl_hours: int = 24
    db_pool_size: int = 10
    # Connections a worker opens beyond its pool when all are busy, closed again on return.
    # None by default (0): under sustained load they were opened and closed hundreds of times a
    # second (a new PostgreSQL backend each), and a busy worker's requests queue for the
    # pool instead (64 clients on 2 workers: 446 -> 585 req/s, p99 313 -> 159 ms).
    db_max_overflow: int = 0
    # Ping each pooled connection before use (three round trips on asyncpg): only behind a
    # proxy (PgBouncer, HAProxy) or a network that drops connections without closing them.
    db_pre_ping: bool = False
    # Run background jobs inside the server process; production runs `clientbase worker`.
    jobs_in_process: bool = True
    sql_echo: bool = False

    def signing_key(self) -> str:
        """The JWT/CSRF key; generated once into var/ for local use when not configured."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value()
        key_file = VAR_DIR / "secret_key"
        if not key_file.exists():
            VAR_DIR.mkdir(parents=True, exist_ok=True)
            key_file.write_text(secrets.token_urlsafe(48))
            key_file.chmod(0o600)
        return key_file.read_text().strip()


@lru_cache
def get_settings() -> Settings:
    return Settings()
