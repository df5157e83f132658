"""`clientbase demo` against a fresh SQLite file: migrates, bootstraps, loads, reports."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from clientbase.cli.main import app as cli
from clientbase.config import get_settings


def test_demo_command_loads_customers(tmp_path, monkeypatch):
    db = tmp_path / "demo.db"
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.setenv("CLIENTBASE_SECRET_KEY", "cli-test-key-that-is-long-enough-0123456789")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        result = runner.invoke(cli, ["demo", "--customers", "150", "--seed", "3"])
        assert result.exit_code == 0, result.output
        assert "Created admin admin@example.com" in result.output
        assert "Loaded 150 customers" in result.output and "customers/s" in result.output
        again = runner.invoke(cli, ["demo", "--customers", "50", "--organization", "Other Co"])
        assert again.exit_code == 0, again.output
        assert "Created admin" not in again.output
    finally:
        get_settings.cache_clear()
    with sqlite3.connect(db) as conn:
        counts = conn.execute(
            "SELECT o.name, count(c.id) FROM organizations o "
            "JOIN customers c ON c.organization_id = o.id GROUP BY o.name ORDER BY o.name"
        ).fetchall()
        indexed = conn.execute("SELECT count(*) FROM customers_fts_docsize").fetchone()
        match = "SELECT count(*) FROM customers_fts WHERE customers_fts MATCH ?"
        found = conn.execute(match, ['".kz"'])
        assert indexed == (200,) and found.fetchone()[0] > 0
    assert counts == [("Default", 150), ("Other Co", 50)]
