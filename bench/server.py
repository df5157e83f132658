"""Servers under test as subprocesses (N workers, no access log), their worker processes'
memory, and a clean stop of exactly the process group started here. Clientbase runs as an
operator starts it (`clientbase serve`); other apps under plain uvicorn."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
CLIENTBASE = "clientbase"


def app_env(database_url: str, secret_key: str) -> dict[str, str]:
    """The application under test as an operator runs it: production settings, migrated
    already, jobs left to workers (so they do not compete with the timed requests)."""
    return {
        "CLIENTBASE_DATABASE_URL": database_url,
        "CLIENTBASE_ENVIRONMENT": "production",
        "CLIENTBASE_AUTO_MIGRATE": "false",
        "CLIENTBASE_JOBS_IN_PROCESS": "false",
        "CLIENTBASE_SECRET_KEY": secret_key,
    }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    def __init__(self, app: str, *, workers: int, env: dict[str, str], name: str) -> None:
        self.app, self.workers, self.name = app, workers, name
        self.env = {**os.environ, **env}
        self.port = free_port()
        self.process: subprocess.Popen[bytes] | None = None
        self.log = ROOT / "bench" / "data" / f"{name}.log"

    def start(self, ready_path: str = "/healthz", timeout: float = 90.0) -> None:
        self.log.parent.mkdir(parents=True, exist_ok=True)
        if self.app == CLIENTBASE:
            command = [str(Path(sys.executable).parent / "clientbase"), "serve"]
        else:
            command = [sys.executable, "-m", "uvicorn", self.app]
        command += [
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", str(self.workers),
            "--no-access-log", "--log-level", "warning",
        ]  # fmt: skip
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and args
                command, env=self.env, cwd=ROOT, stdout=log, stderr=log, start_new_session=True
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited; see {self.log}")
            try:
                answered = httpx.get(f"{self.url}{ready_path}", timeout=2).status_code
                if answered == 200 and len(self.worker_pids()) >= self.workers:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"{self.name} did not become ready; see {self.log}")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> list[int]:
        """uvicorn's worker processes (the master itself when it runs one worker)."""
        assert self.process is not None
        if self.workers == 1:
            return [self.process.pid]
        pids = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
                cmdline = (entry / "cmdline").read_bytes()
            except (OSError, IndexError, ValueError):
                continue
            if ppid == self.process.pid and b"spawn_main" in cmdline:
                pids.append(int(entry.name))
        return sorted(pids)

    def memory(self) -> list[dict[str, float]]:
        """Resident and peak resident memory of each worker, in MB."""
        out = []
        for pid in self.worker_pids():
            fields = {}
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    fields[key] = int(value.split()[0]) / 1024
            out.append({"pid": pid, "rss_mb": fields["VmRSS"], "peak_rss_mb": fields["VmHWM"]})
        return out

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)  # the group started above, by its id
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
