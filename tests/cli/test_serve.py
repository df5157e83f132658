"""`clientbase serve --workers N`: every worker takes connections, a dead worker is
replaced, a stop stops them all, and a port already taken is a clear error."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

STARTUP_SECONDS = 60


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _serve(workdir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "CLIENTBASE_DATABASE_URL": f"sqlite:///{workdir / 'serve.db'}",
        "CLIENTBASE_ADMIN_PASSWORD": "correct-horse-battery",
        "CLIENTBASE_SECRET_KEY": "serve-test-signing-key-that-is-long-enough-0123456789",
    }
    command = [sys.executable, "-c", "from clientbase.cli.main import app; app()", "serve"]
    command += ["--port", str(port), "--workers", str(workers), "--no-access-log"]
    return subprocess.Popen(  # noqa: S603 - our own interpreter and fixed arguments
        command, cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )


def _workers(parent: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except (OSError, ValueError):
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            found.add(int(entry.name))
    return found


def _wait(condition, what: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the server exited early: {process.stdout.read().decode()[-3000:]}")
        if condition():
            return
        time.sleep(0.2)
    pytest.fail(f"timed out waiting for {what}")


def _ready(base: str) -> bool:
    try:
        return httpx.get(f"{base}/readyz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _sockets_of(pid: int, port: int, state: str) -> set[str]:
    """The inodes of `pid`'s TCP sockets on local `port` in `state` (/proc/net/tcp codes:
    01 established, 0A listening)."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == state and fields[9] in inodes:
            found.add(fields[9])
    return found


@pytest.fixture
def two_workers(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    port = _free_port()
    process = _serve(tmp_path, port, workers=2)
    try:
        _wait(lambda: _ready(f"http://127.0.0.1:{port}"), "the server", process)
        _wait(lambda: len(_workers(process.pid)) == 2, "two workers", process)
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        for pid in _workers(process.pid):
            os.kill(pid, signal.SIGKILL)


def test_every_worker_takes_connections_and_a_dead_one_is_replaced(two_workers):
    process, port = two_workers
    # All connected before any is served, as a pool of keep-alive clients starts.
    clients = [socket.create_connection(("127.0.0.1", port)) for _ in range(16)]
    try:
        for client in clients:
            client.sendall(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            assert client.recv(4096).startswith(b"HTTP/1.1 200")
        workers = _workers(process.pid)
        listening = [_sockets_of(pid, port, "0A") for pid in workers]
        assert all(len(own) == 1 for own in listening)
        assert len(set.union(*listening)) == 2  # a socket each, not one shared
        held = {pid: len(_sockets_of(pid, port, "01")) for pid in workers}
        assert sum(held.values()) == 16
        assert all(held.values()), held
    finally:
        for client in clients:
            client.close()

    victim = min(_workers(process.pid))
    os.kill(victim, signal.SIGKILL)
    _wait(lambda: len(_workers(process.pid) - {victim}) == 2, "a new worker", process)
    _wait(lambda: _ready(f"http://127.0.0.1:{port}"), "the server", process)

    workers = _workers(process.pid)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 0
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)


def test_a_port_already_taken_is_a_clear_error(tmp_path: Path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        process = _serve(tmp_path, port, workers=2)
        output = process.communicate(timeout=STARTUP_SECONDS)[0].decode()
    assert process.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in output
