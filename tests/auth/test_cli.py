"""`clientbase create-admin` against a fresh SQLite file migrated by `clientbase migrate`."""

from __future__ import annotations

import sqlite3

import pytest
from typer.testing import CliRunner

from clientbase.cli.main import app as cli
from clientbase.config import get_settings


@pytest.fixture
def run(tmp_path, monkeypatch):
    """Runs the CLI against its own SQLite file (sync: the CLI runs its own event loop)."""
    db = tmp_path / "cli.db"
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CLIENTBASE_SECRET_KEY", "cli-test-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    migrated = invoke("migrate")
    assert migrated.exit_code == 0, migrated.output
    invoke.db = db  # type: ignore[attr-defined]
    yield invoke
    get_settings.cache_clear()


def rows(db, sql: str) -> list[tuple]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_create_admin_creates_the_organization_when_missing(run):
    result = run(
        "create-admin",
        "--email",
        "Boss@Example.com",
        "--password",
        "long-enough-pw",
        "--organization",
        "Steppe Group",
    )
    assert result.exit_code == 0, result.output
    assert "Admin boss@example.com created in organization 'Steppe Group'" in result.output
    assert rows(run.db, "SELECT name FROM organizations") == [("Steppe Group",)]
    assert rows(run.db, "SELECT email, role FROM users") == [("boss@example.com", "admin")]
    assert rows(run.db, "SELECT name, is_default FROM businesses") == [("Main", 1)]
    stored = rows(run.db, "SELECT password_hash FROM users")[0][0]
    assert stored.startswith("$argon2id$") and "long-enough-pw" not in stored


def test_create_admin_joins_an_existing_organization(run):
    assert (
        run(
            "create-admin",
            "--email",
            "a@example.com",
            "--password",
            "long-enough-pw",
            "--organization",
            "Acme",
        ).exit_code
        == 0
    )
    assert (
        run(
            "create-admin",
            "--email",
            "b@example.com",
            "--password",
            "long-enough-pw",
            "--organization",
            "Acme",
        ).exit_code
        == 0
    )
    assert rows(run.db, "SELECT count(*) FROM organizations") == [(1,)]
    assert rows(run.db, "SELECT count(DISTINCT organization_id), count(*) FROM users") == [(1, 2)]


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("a@example.com", "short", "password"),
        ("not-an-email", "long-enough-pw", "email"),
    ],
)
def test_create_admin_refuses_bad_input_with_exit_2(run, email, password, message):
    result = run("create-admin", "--email", email, "--password", password)
    assert result.exit_code == 2
    assert message in result.output
    assert rows(run.db, "SELECT count(*) FROM users") == [(0,)]


def test_create_admin_refuses_a_taken_email(run):
    args = ("create-admin", "--email", "a@example.com", "--password", "long-enough-pw")
    assert run(*args).exit_code == 0
    again = run(*args, "--organization", "Other")
    assert again.exit_code == 2 and "already exists" in again.output
    assert rows(run.db, "SELECT name FROM organizations") == [("Default",)]
