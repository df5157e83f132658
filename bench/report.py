"""Result files and the table in docs/performance.md, judged against the issue's targets.

`python -m bench.report` regenerates the table from the harness's bench/results/*.json
(the segments and transactions scenarios write their own files and sections)."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:results:start -->", "<!-- bench:results:end -->"
SEARCHES = ("search_name", "search_email", "search_phone", "search_typo")


@dataclass(frozen=True)
class Target:
    label: str
    postgres: float | None  # None: no target on this database
    sqlite: float | None
    measure: Callable[[dict[str, Any]], float | None]
    higher_is_better: bool = False
    unit: str = "ms"


def _op(name: str, field: str) -> Callable[[dict[str, Any]], float | None]:
    return lambda r: r["operations"].get(name, {}).get(field)


def _worst(names: tuple[str, ...], field: str) -> Callable[[dict[str, Any]], float | None]:
    def measure(r: dict[str, Any]) -> float | None:
        values = [r["operations"][n][field] for n in names if n in r["operations"]]
        return max(values) if values else None

    return measure


def _get(*keys: str) -> Callable[[dict[str, Any]], float | None]:
    def measure(r: dict[str, Any]) -> float | None:
        value: Any = r
        for key in keys:
            value = value.get(key, {}) if isinstance(value, dict) else {}
        return value if isinstance(value, int | float) else None

    return measure


TARGETS = (
    Target("GET customer by id, p95", 10, 10, _op("get_by_id", "p95_ms")),
    Target("list page, first, p95", 20, 20, _op("list_first", "p95_ms")),
    Target("list page, deep keyset, p95", 20, 20, _op("list_deep", "p95_ms")),
    Target("list throughput (64 clients)", 2000, None, _op("list_throughput", "rps"), True,
           "req/s"),
    Target("list throughput, p99", 100, None, _op("list_throughput", "p99_ms")),
    Target("search, worst of name/email/phone/typo, p95", 60, 40, _worst(SEARCHES, "p95_ms")),
    Target("demo load", 180, 60, _get("load", "seconds"), unit="s"),
    Target("Clientbase p50 / raw p50, list (c=1)", 2, 2, _get("raw", "list_ratio"), unit="x"),
    Target("Clientbase p50 / raw p50, search (c=1)", 2, 2, _get("raw", "search_ratio"),
           unit="x"),
    Target("server worker peak RSS", 300, 300, _get("memory", "max_peak_rss_mb"), unit="MB"),
)  # fmt: skip
TARGET_SIZE = {"postgresql": 1_000_000, "sqlite": 100_000}


def judge(result: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for t in TARGETS:
        limit = t.postgres if result["database"] == "postgresql" else t.sqlite
        value = t.measure(result)
        met = None
        if limit is not None and value is not None:
            met = value >= limit if t.higher_is_better else value <= limit
        out.append({"target": t.label, "limit": limit, "unit": t.unit, "value": value, "met": met})
    return out


def write_result(result: dict[str, Any]) -> Path:
    """bench/results/<date>-<db>-<n>.json (see result_path)."""
    path = result_path(f"{result['date']}-{result['db_label']}-{result['customers']}", result)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def result_path(stem: str, result: dict[str, Any]) -> Path:
    """bench/results/<stem>.json, replacing that day's earlier run on the same processor; a
    run on another processor gets a file of its own (<stem>-<cpu>.json)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{stem}.json"
    if path.exists() and _cpu(json.loads(path.read_text())) != _cpu(result):
        cpu = re.sub(r"[^a-z0-9]+", "-", _cpu(result).lower())
        path = path.with_name(f"{stem}-{cpu}.json")
    return path


def _cpu(result: dict[str, Any]) -> str:
    """The processor, short: 'Intel(R) Xeon(R) Processor' -> 'Intel Xeon'."""
    name = result.get("machine", {}).get("cpu") or "unknown"
    return " ".join(name.replace("(R)", "").replace("(TM)", "").replace("Processor", "").split())


def _fmt(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    if unit == "req/s":
        return f"{value:,.0f} req/s"
    if unit == "s":
        return f"{value:,.0f} s"
    if unit == "x":
        return f"{value:.2f}×"
    if unit == "MB":
        return f"{value:,.0f} MB"
    return f"{value:.1f} ms"


def _limit(t: dict[str, Any]) -> str:
    if t["limit"] is None:
        return "—"
    sign = "≥" if t["unit"] == "req/s" else "≤"
    return f"{sign} {_fmt(t['limit'], t['unit'])}"


def table(results: list[dict[str, Any]]) -> str:
    lines = []
    for dialect, title in (("postgresql", "PostgreSQL"), ("sqlite", "SQLite")):
        runs = [r for r in results if r["database"] == dialect]
        if not runs:
            continue
        lines += [f"### {title}", ""]
        heads = [f"{r['date']}, {_cpu(r)}, {r['customers']:,} customers{_busy(r)}" for r in runs]
        lines.append("| target | limit | " + " | ".join(heads) + " |")
        lines.append("| --- | --- |" + " --- |" * len(runs))
        judged = [judge(r) for r in runs]
        for i, t in enumerate(TARGETS):
            cells = []
            for r, j in zip(runs, judged, strict=True):
                mark = {True: " ✅", False: " ❌", None: ""}[j[i]["met"]]
                if r["customers"] != TARGET_SIZE[dialect] and j[i]["met"] is not None:
                    mark += " (other size)"
                cells.append(_fmt(j[i]["value"], t.unit) + mark)
            lines.append(f"| {t.label} | {_limit(judged[0][i])} | " + " | ".join(cells) + " |")
        lines += ["", _operations(runs[-1]), ""]
    return "\n".join(lines)


def _busy(result: dict[str, Any]) -> str:
    before = result["machine"].get("load_average_before") or [0.0]
    after = result["machine"].get("load_average_after") or [0.0]
    speed = result["machine"].get("speed", {}).get("python_loop_ms")
    loop = f", Python loop {speed:.0f} ms" if speed else ""
    return f" (load avg {before[0]:.1f} → {after[0]:.1f}{loop})"


def _operations(result: dict[str, Any]) -> str:
    """Every operation of the latest run, with the SQL time of the same request."""
    sql = result.get("sql", {})
    lines = [
        f"All operations, {result['date']} ({_cpu(result)}, {result['customers']:,} customers, "
        f"{result['settings']['workers']} server workers; p50/p95/p99 in ms; raw = "
        "bench/raw_app.py):",
        "",
        "| operation | clients | requests | req/s | p50 | p95 | p99 | SQL per request "
        "(statements, sum of DB time) |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, s in result["operations"].items():
        q = sql.get(name.replace("_throughput", "_first"))
        where = f"{q['statements']}, {q['total_ms']:.2f} ms" if q else "—"
        lines.append(
            f"| {name} | {s['concurrency']} | {s['requests']:,} | {s['rps']:,.0f} | "
            f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | {where} |"
        )
    for name, s in result.get("raw", {}).get("operations", {}).items():
        lines.append(
            f"| raw {name} | {s['concurrency']} | {s['requests']:,} | {s['rps']:,.0f} | "
            f"{s['p50_ms']:.1f} | {s['p95_ms']:.1f} | {s['p99_ms']:.1f} | — |"
        )
    return "\n".join(lines)


def regenerate() -> Path:
    # A day's run on another processor (<date>-<db>-<n>-<cpu>.json) follows its plain file.
    loaded = [(p.stem, json.loads(p.read_text())) for p in RESULTS.glob("*.json")]
    ordered = sorted(loaded, key=lambda e: (e[1].get("database", ""), e[1].get("customers", 0),
                                            e[1].get("date", ""), e[0]))  # fmt: skip
    results = [r for _, r in ordered if "operations" in r]  # the harness's runs, not scenarios
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    generated = "\n_Generated by `python -m bench.report` from bench/results/*.json._\n\n"
    DOC.write_text(head + START + generated + table(results) + "\n" + END + tail)
    return DOC


if __name__ == "__main__":
    print(regenerate())
