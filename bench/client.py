"""A minimal keep-alive HTTP/1.1 GET client and the load loop with its statistics.

httpx costs about half a millisecond of CPU per request; on a 2-core machine that would
take most of a core from the server under test, so timing uses this client (a few tens of
microseconds per request) and httpx is kept for setup calls."""

from __future__ import annotations

import asyncio
import math
import socket
import time
from dataclasses import asdict, dataclass
from itertools import count
from typing import Any


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.tail = f" HTTP/1.1\r\nHost: {host}\r\n{extra}\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        sock = self.writer.get_extra_info("socket")
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(b"GET " + path.encode() + self.tail)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise RuntimeError("chunked responses are not expected here")
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


@dataclass
class Stats:
    concurrency: int
    requests: int
    errors: int
    error_statuses: dict[int, int]
    seconds: float
    rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    mean_ms: float
    max_ms: float

    def as_dict(self) -> dict[str, Any]:
        return {k: round(v, 3) if isinstance(v, float) else v for k, v in asdict(self).items()}


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest rank."""
    if not sorted_values:
        return float("nan")
    rank = max(1, min(len(sorted_values), math.ceil(q * len(sorted_values))))
    return sorted_values[rank - 1]


async def measure(
    host: str,
    port: int,
    paths: list[str],
    *,
    headers: dict[str, str],
    concurrency: int,
    max_requests: int,
    max_seconds: float,
    warmup: int = 50,
) -> Stats:
    """`concurrency` connections each send the next path as soon as their last answer is
    in, until max_requests are done or max_seconds have passed (after a warm-up)."""
    connections = [Connection(host, port, headers) for _ in range(concurrency)]
    for conn in connections:
        await conn.open()
    latencies: list[float] = []
    errors = 0
    error_statuses: dict[int, int] = {}  # 0: the connection failed
    sent = count()
    deadline = time.perf_counter() + max(2.0, max_seconds / 5)  # for the warm-up

    async def worker(conn: Connection, recording: bool, limit: int) -> None:
        nonlocal errors
        while True:
            i = next(sent)  # paths go on where the warm-up stopped
            if i >= limit or time.perf_counter() > deadline:
                return
            started = time.perf_counter()
            try:
                status, _ = await conn.get(paths[i % len(paths)])
            except (OSError, asyncio.IncompleteReadError):
                status = 0  # the server dropped the connection: an error, reconnect
                await conn.close()
            if recording:
                latencies.append(time.perf_counter() - started)
                if status != 200:
                    errors += 1
                    error_statuses[status] = error_statuses.get(status, 0) + 1

    await asyncio.gather(*(worker(c, False, warmup) for c in connections))
    for conn in connections:  # uvicorn drops connections idle for 5 s (slow warm-ups)
        await conn.close()
        await conn.open()
    sent = count(warmup)
    started = time.perf_counter()
    deadline = started + max_seconds
    await asyncio.gather(*(worker(c, True, warmup + max_requests) for c in connections))
    elapsed = time.perf_counter() - started
    for conn in connections:
        await conn.close()
    ms = sorted(v * 1000 for v in latencies)
    return Stats(
        concurrency=concurrency,
        requests=len(ms),
        errors=errors,
        error_statuses=error_statuses,
        seconds=elapsed,
        rps=len(ms) / elapsed if elapsed else 0.0,
        p50_ms=percentile(ms, 0.50),
        p95_ms=percentile(ms, 0.95),
        p99_ms=percentile(ms, 0.99),
        mean_ms=sum(ms) / len(ms) if ms else float("nan"),
        max_ms=ms[-1] if ms else float("nan"),
    )
