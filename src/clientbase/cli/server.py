"""Serving the app with uvicorn. Several workers each listen on a socket of their own on the
same port (SO_REUSEPORT), so the kernel spreads new connections over them. With uvicorn's
one shared socket, the worker that wakes first accepts every pending connection: eight
keep-alive clients all landed on one of two workers and the other stayed idle."""

from __future__ import annotations

import logging
import multiprocessing
import signal
import socket
import sys
import time
from typing import Any

import uvicorn
from uvicorn.config import STARTUP_FAILURE

APP = "clientbase.cli.serve_app:app"
BACKLOG = 2048
log = logging.getLogger("uvicorn.error")


def serve(*, host: str, port: int, workers: int, **options: Any) -> int:
    """Blocks until stopped (SIGINT/SIGTERM); returns the exit status."""
    if workers <= 1 or sys.platform != "linux":  # elsewhere SO_REUSEPORT does not balance
        uvicorn.run(APP, host=host, port=port, workers=workers, **options)
        return 0
    _refuse_if_taken(host, port)
    return _Supervisor(host, port, workers, options).run()


def _family(host: str) -> socket.AddressFamily:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def _refuse_if_taken(host: str, port: int) -> None:
    """SO_REUSEPORT would let a second server share the port unnoticed; a plain bind tells."""
    with socket.socket(_family(host), socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind((host, port))


def _listening_socket(host: str, port: int) -> socket.socket:
    sock = socket.socket(_family(host), socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(BACKLOG)
    sock.set_inheritable(True)
    return sock


def _worker(host: str, port: int, options: dict[str, Any]) -> None:
    config = uvicorn.Config(APP, host=host, port=port, backlog=BACKLOG, **options)
    try:
        sock = _listening_socket(host, port)
    except OSError as exc:
        log.error("cannot listen on %s:%s: %s", host, port, exc)
        raise SystemExit(STARTUP_FAILURE) from exc
    uvicorn.Server(config).run(sockets=[sock])


class _Supervisor:
    """Starts the workers, replaces one that dies (not more often than every RESTART_PAUSE
    seconds per worker), stops them all on SIGINT/SIGTERM or when one cannot start."""

    RESTART_PAUSE = 5.0

    def __init__(self, host: str, port: int, workers: int, options: dict[str, Any]) -> None:
        self.args = (host, port, options)
        self.count = workers
        uvicorn.Config(APP, **options).configure_logging()  # the supervisor's own lines
        self.context = multiprocessing.get_context("spawn")
        self.stopping = False  # a plain flag: a signal handler must not take a lock
        self.status = 0

    def _stop(self, *_: Any) -> None:
        self.stopping = True

    def _start(self) -> multiprocessing.process.BaseProcess:
        process = self.context.Process(target=_worker, args=self.args, daemon=False)
        process.start()
        return process

    def run(self) -> int:
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._stop)
        host, port, _ = self.args
        processes: list[multiprocessing.process.BaseProcess] = []
        try:
            processes += [self._start() for _ in range(self.count)]
            log.info("serving on http://%s:%s with %d workers", host, port, self.count)
            started = [time.monotonic()] * self.count
            while not self.stopping:
                time.sleep(0.5)
                self._replace_dead(processes, started)
        finally:
            for process in processes:
                if process.is_alive():
                    process.terminate()
            for process in processes:
                process.join(30)
                if process.is_alive():
                    process.kill()
        return self.status

    def _replace_dead(
        self, processes: list[multiprocessing.process.BaseProcess], started: list[float]
    ) -> None:
        for i, process in enumerate(processes):
            if process.is_alive() or self.stopping:
                continue
            if process.exitcode == STARTUP_FAILURE:  # it would fail the same way again
                log.error("worker %s failed to start; stopping", process.pid)
                self.stopping, self.status = True, 1
                return
            if time.monotonic() - started[i] < self.RESTART_PAUSE:
                continue  # a worker that keeps dying is not restarted in a tight loop
            log.warning("worker %s exited (%s); starting another", process.pid, process.exitcode)
            processes[i] = self._start()
            started[i] = time.monotonic()
