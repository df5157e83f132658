"""`clientbase recalculate search` against a SQLite file: the dictionary made again from
the stored search texts, a clear error for an unknown organization."""

from __future__ import annotations

import sqlite3

from typer.testing import CliRunner

from clientbase.cli.main import app as cli
from clientbase.config import get_settings


def test_recalculate_search_rebuilds_the_organizations_dictionary(tmp_path, monkeypatch):
    db = tmp_path / "search.db"
    monkeypatch.setenv("CLIENTBASE_DATABASE_URL", f"sqlite:///{db}")
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(cli, ["migrate"]).exit_code == 0
        loaded = runner.invoke(cli, ["demo", "--customers", "30", "--organization", "Shop"])
        assert loaded.exit_code == 0, loaded.output
        with sqlite3.connect(db) as conn:
            words = conn.execute("SELECT count(*) FROM search_word_keys WHERE key = word")
            filed = words.fetchone()[0]
            conn.execute("DELETE FROM search_word_keys")
        rebuilt = runner.invoke(cli, ["recalculate", "search", "--organization", "Shop"])
        assert rebuilt.exit_code == 0, rebuilt.output
        assert f"{filed} words filed, 0 dropped" in rebuilt.output
        with sqlite3.connect(db) as conn:
            words = conn.execute("SELECT count(*) FROM search_word_keys WHERE key = word")
            assert words.fetchone()[0] == filed > 0
        unknown = runner.invoke(cli, ["recalculate", "search", "--organization", "Nobody"])
        assert unknown.exit_code == 2 and "no organization named 'Nobody'" in unknown.output
    finally:
        get_settings.cache_clear()
