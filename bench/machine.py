"""Facts about the machine and software a result was measured on."""

from __future__ import annotations

import asyncio
import os
import platform
import shutil
import sqlite3
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg

ROOT = Path(__file__).resolve().parent.parent
PG_SETTINGS = ("shared_buffers", "work_mem", "effective_cache_size", "max_connections",
               "synchronous_commit", "jit", "random_page_cost", "max_wal_size",
               "checkpoint_timeout", "wal_compression")  # fmt: skip


def _read(path: str, key: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(key):
                return line.split(":", 1)[1].strip()
    except OSError:
        return None
    return None


def _git(*args: str) -> str:
    git = shutil.which("git") or "git"
    try:
        done = subprocess.run(  # noqa: S603 - git with our own arguments
            [git, *args], cwd=ROOT, capture_output=True, text=True, check=True
        )
    except (OSError, subprocess.CalledProcessError):
        return ""
    return done.stdout.strip()


def load_average() -> list[float]:
    return [round(v, 2) for v in os.getloadavg()]


async def wait_quiet(limit: float, log: Callable[[str], None]) -> float:
    """Waits (at most `limit` seconds) for the 1-minute load average to drop below half the
    cores; returns the seconds waited."""
    started = time.monotonic()
    threshold = (os.cpu_count() or 2) / 2
    while time.monotonic() - started < limit and os.getloadavg()[0] >= threshold:
        log(f"waiting for a quieter machine: load average {load_average()}")
        await asyncio.sleep(20)
    return round(time.monotonic() - started, 1)


def _python_loop_ms() -> float:
    """The same pure-Python work on every machine (median of five): machines sold under one
    processor name here ran it 1.5-3 times slower on some days, and a result only compares
    with results measured at a similar speed."""
    times = []
    for _ in range(5):
        started = time.perf_counter()
        total = 0
        for i in range(1_000_000):
            total += i
        times.append(time.perf_counter() - started)
    return round(sorted(times)[2] * 1000, 1)


async def _postgres_series_ms(conn: asyncpg.Connection) -> float:
    """PostgreSQL's side of the same: counting a million generated rows (median of three)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        await conn.fetchval("SELECT count(*) FROM generate_series(1, 1000000)")
        times.append(time.perf_counter() - started)
    return round(sorted(times)[1] * 1000, 1)


async def facts(postgres_url: str | None) -> dict[str, Any]:
    memory_kb = _read("/proc/meminfo", "MemTotal")
    out: dict[str, Any] = {
        "cores": os.cpu_count(),
        "cpu": _read("/proc/cpuinfo", "model name"),
        "memory_gb": round(int(memory_kb.split()[0]) / 1024 / 1024, 1) if memory_kb else None,
        "os": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--", "src", "migrations")),
        "speed": {"python_loop_ms": _python_loop_ms()},
    }
    if postgres_url:
        conn = await asyncpg.connect(postgres_url)
        try:
            out["postgresql"] = await conn.fetchval("SHOW server_version")
            out["postgresql_settings"] = {s: await conn.fetchval(f"SHOW {s}") for s in PG_SETTINGS}
            out["speed"]["postgresql_series_ms"] = await _postgres_series_ms(conn)
        finally:
            await conn.close()
    return out
