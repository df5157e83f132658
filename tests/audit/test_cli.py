"""`clientbase audit verify` against a SQLite file set up by `clientbase migrate`."""

from __future__ import annotations

import json
import sqlite3

import pytest
from typer.testing import CliRunner

from clientbase.cli.main import app as cli
from clientbase.config import get_settings


@pytest.fixture
def run(tmp_path, monkeypatch):
    db = tmp_path / "audit.db"
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    runner = CliRunner()

    def invoke(*args: str):
        return runner.invoke(cli, list(args), catch_exceptions=False)

    assert invoke("migrate").exit_code == 0
    for org, email in (
        ("Alpha", "a@example.com"),
        ("Beta", "b@example.com"),
        ("Alpha", "c@example.com"),
    ):
        created = invoke(
            "create-admin", "--email", email, "--password", "long-enough-pw", "--organization", org
        )
        assert created.exit_code == 0, created.output
    invoke.db = db  # type: ignore[attr-defined]
    yield invoke
    get_settings.cache_clear()


def execute(db, sql: str, *params) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute(sql, params)


def org_id(db, name: str) -> str:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT id FROM organizations WHERE name = ?", (name,)).fetchone()[0]


def test_verify_exits_0_on_a_clean_database(run):
    result = run("audit", "verify")
    assert result.exit_code == 0, result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 2 and all(line.endswith("ok") for line in lines)
    assert "3 entries" in result.output  # Alpha: organization, two admins


def test_verify_exits_1_after_an_entry_is_edited(run):
    alpha = org_id(run.db, "Alpha")
    execute(
        run.db,
        "UPDATE audit_log SET changes = ? WHERE organization_id = ? AND seq = 2",
        json.dumps({"role": {"old": None, "new": "viewer"}}),
        alpha,
    )
    result = run("audit", "verify")
    assert result.exit_code == 1
    broken = [line for line in result.output.splitlines() if "BROKEN" in line]
    assert len(broken) == 1 and "seq 2" in broken[0] and "hash mismatch" in broken[0]


def test_verify_exits_1_after_an_entry_is_deleted(run):
    execute(
        run.db,
        "DELETE FROM audit_log WHERE organization_id = ? AND seq = 1",
        org_id(run.db, "Beta"),
    )
    result = run("audit", "verify")
    assert result.exit_code == 1 and "BROKEN at seq" in result.output
