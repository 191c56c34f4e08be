"""Benchmark the dashboard against the goals of issue 14, with one command.

Usage:
    python bench/run.py [--scales 1 68 680] [--dir /tmp/slcore-bench] [--rebuild]
                        [--repeat 5] [--page-repeat N] [--skip-pages] [--skip-import]
                        [--skip-browser] [--browser-repeat 3] [--import-rows 1000000]
                        [--import-repeat 1] [--out FILE]

For each scale it builds a demo store (``build_demo(..., today=2026-11-22)``) in ``--dir``,
or reuses the one built there before for the same scale, generator and schema (a side file
``<store>.bench.json`` records them and the build's time and memory). Then, each step in a
fresh process of its own, so that its peak memory (VmHWM) is what a server would see:

- the key figures and monthly series of slcore, each beside an independent hand-written
  DuckDB query over the raw tables (bench/reference.py), median of ``--repeat`` runs, and
  their ratio; slcore's result must equal the reference's (counts exactly, money within
  0.01 kr., the same groups), else a MISMATCH line is printed and the exit status is 1;
- each page (Overblik, Aktivitet, Økonomi, Rammeoverholdelse, Serviceniveau) rerun through
  Streamlit's AppTest after a filter change (the period alternates between *Sidste år* and
  *I år*; every result cache is emptied before such a rerun, so it is a real change) and
  with no change: wall and CPU seconds (process CPU, DuckDB's threads included), median and
  p95 (nearest rank: the slowest of fewer than 20 runs);
- for the smallest scale only (the demo, scale 1), the first page in a real browser: a
  fresh ``streamlit run app.py`` on a free port with ``SLCORE_DB`` = the store, and Debian's
  Chromium driven by Playwright, already launched with a blank page open when the server's
  health check first answers "ok" (t0); then the Overblik page is opened and awaited until
  a KPI tile and the first Plotly chart are visible (t1). t1 − t0, the time to the first
  tile and the browser's launch are reported, median of ``--browser-repeat`` runs, each
  with a fresh server and browser (``--skip-browser``: none);

and once the 1M-row import against decode + read_csv (bench/bench_import.py). The period is
*I år* as of the store's default as-of date. It prints a Markdown table with the goals of
issue 14 marked met or not, and writes it to ``--out`` (default ``<dir>/results.md``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib
import importlib.util
import json
import math
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

import reference as ref  # noqa: E402  (bench/ is on the path only from here on)

TODAY = dt.date(2026, 11, 22)
DEFAULT_DIR = Path("/tmp/slcore-bench")
APP = ROOT / "app.py"
PAGES = {
    "Overblik": "views/overblik.py",
    "Aktivitet": "views/aktivitet.py",
    "Økonomi": "views/oekonomi.py",
    "Rammeoverholdelse": "views/rammeoverholdelse.py",
    "Serviceniveau": "views/serviceniveau.py",
}
# The sidebar's period selectbox (ui/sidebar.py) and the two presets a filter change
# alternates between; the page opens on the first option, "this_year".
PERIOD_KEY = "periode"
ALTERNATE_PRESETS = ("last_year", "this_year")
FILTERED = ref.Selection(categories=("anbringelse",), teams=("Team Nord",))
# The first page in the browser: Debian's Chromium (as tests/test_browser.py), the first
# Plotly chart drawn and the KPI tiles, the viewport of the browser tests, how often the
# health check is polled (the precision of t0) and the goal.
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHART_SELECTOR = ".js-plotly-plot .main-svg"
METRIC_SELECTOR = '[data-testid="stMetric"]'
EXCEPTION_SELECTOR = '[data-testid="stException"]'
VIEWPORT = {"width": 1500, "height": 2000}
HEALTH_POLL_S = 0.02
FIRST_PAGE_GOAL_S = 2.0
# Scales from this size on rerun each page once unless --page-repeat says otherwise.
LARGE_SCALE = 100
MAX_SHOWN_DIFFERENCES = 10

# --- Small helpers ---------------------------------------------------------------------------


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MB (10^6 bytes), from VmHWM."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024 / 1e6
    import resource  # no /proc: ru_maxrss, in kilobytes as on Linux (macOS counts bytes)

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6


def p95(values: Sequence[float]) -> float:
    """Return the 95th percentile by nearest rank (the maximum of fewer than 20 values)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def seconds(x: float | None) -> str:
    """Return seconds for the table: three decimals under a second, two above."""
    if x is None:
        return "–"
    return f"{x:.3f}" if x < 1 else f"{x:.2f}"


def scale_name(scale: float) -> str:
    """Return a scale as written on the command line (1, 68, 0.5)."""
    return f"{scale:g}"


def store_path(work: Path, scale: float) -> Path:
    """Return the demo store's file for a scale."""
    return work / f"demo-scale-{scale_name(scale)}.duckdb"


def file_sha256(path: Path) -> str:
    """Return a file's SHA-256 in hex."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def cache_clearers() -> list[Callable[[], None]]:
    """Return the functions that empty every result cache the project has.

    ``slcore.cache.clear`` when slcore has that module (the lead adds it); Streamlit's
    ``st.cache_data.clear`` only in the page worker, where Streamlit runs.
    """
    out: list[Callable[[], None]] = []
    if importlib.util.find_spec("slcore.cache") is not None:
        out.append(importlib.import_module("slcore.cache").clear)
    return out


def write_result(path: Path, result: dict[str, Any]) -> None:
    """Write a worker's result for the parent process."""
    path.write_text(json.dumps(result, default=str), encoding="utf-8")


# --- Worker: build a demo store --------------------------------------------------------------


def build_worker(db: Path, scale: float) -> dict[str, Any]:
    """Build the demo store at a scale; return its size, wall time and peak memory."""
    from slcore.demo import build_demo

    print(f"scale {scale_name(scale)}: building the demo store {db} …", flush=True)
    t0 = time.perf_counter()
    summary = build_demo(db, scale=scale, today=TODAY, force=True)
    wall = time.perf_counter() - t0
    print(
        f"scale {scale_name(scale)}: {summary.registrations:,} registrations in {wall:.1f} s",
        flush=True,
    )
    return {"registrations": summary.registrations, "build_s": wall, "peak_mb": peak_rss_mb()}


# --- Worker: key figures against the reference -----------------------------------------------


@dataclass(frozen=True)
class FigureQuery:
    """One figure query of slcore and its hand-written reference, and how to compare them."""

    name: str
    project: Callable[[], Any]
    reference: Callable[[], Any]
    keys: tuple[str, ...]
    columns: tuple[str, ...]


def figure_queries(db: Path) -> tuple[list[FigureQuery], dict[str, Any]]:
    """Return the benchmarked queries on a store, and the period they use."""
    from slcore import figures
    from slcore.periods import preset_period
    from slcore.store import open_store

    store = open_store(db)
    period = preset_period("this_year", figures.default_as_of(store))
    p = (period.start, period.end, period.as_of)
    cur = store.cursor()
    by_all = ("intervention_type", "age_band", "team")
    filtered = figures.Filters(categories=FILTERED.categories, teams=FILTERED.teams)
    kf = ref.KEY_FIGURE_COLUMNS
    queries = [
        FigureQuery(
            "key figures, total",
            lambda: figures.key_figures(store, period),
            lambda: ref.key_figures(cur, *p),
            (),
            kf,
        ),
        FigureQuery(
            "key figures by intervention_type",
            lambda: figures.key_figures(store, period, ("intervention_type",)),
            lambda: ref.key_figures(cur, *p, ("intervention_type",)),
            ("intervention_type",),
            kf,
        ),
        FigureQuery(
            "key figures by intervention_type, age_band, team",
            lambda: figures.key_figures(store, period, by_all),
            lambda: ref.key_figures(cur, *p, by_all),
            by_all,
            kf,
        ),
        FigureQuery(
            "key figures, filtered (anbringelse, Team Nord)",
            lambda: figures.key_figures(store, period, (), filtered),
            lambda: ref.key_figures(cur, *p, (), FILTERED),
            (),
            kf,
        ),
        FigureQuery(
            "monthly series",
            lambda: figures.monthly_series(store, period),
            lambda: ref.monthly_series(cur, *p),
            ("month",),
            ref.SERIES_COLUMNS,
        ),
        FigureQuery(
            "monthly spend",
            lambda: figures.monthly_spend(store, period),
            lambda: ref.monthly_spend(cur, *p),
            ("month",),
            ref.SPEND_COLUMNS,
        ),
    ]
    info = {
        "registrations": store.registration_count(),
        "period": [period.start.isoformat(), period.end.isoformat()],
        "as_of": period.as_of.isoformat(),
    }
    return queries, info


def time_query(q: FigureQuery, repeat: int, clear: list[Callable[[], None]]) -> dict[str, Any]:
    """Time a query and its reference, interleaved, ``repeat`` times after one untimed run.

    The untimed run loads the data into DuckDB's buffers for both alike; its results are
    compared. slcore's caches are emptied before each of its runs (outside the timing).
    """
    for fn in clear:
        fn()
    got, want = q.project(), q.reference()
    diffs = ref.differences(got, want, q.keys, q.columns)
    project_s: list[float] = []
    reference_s: list[float] = []
    for _ in range(repeat):
        for fn in clear:
            fn()
        t0 = time.perf_counter()
        q.project()
        t1 = time.perf_counter()
        q.reference()
        t2 = time.perf_counter()
        project_s.append(t1 - t0)
        reference_s.append(t2 - t1)
    return {
        "name": q.name,
        "rows": len(want),
        "project_s": statistics.median(project_s),
        "reference_s": statistics.median(reference_s),
        "differences": diffs,
    }


def figures_worker(db: Path, scale: float, repeat: int) -> dict[str, Any]:
    """Time every figure query against its reference on a store and compare the results."""
    queries, info = figure_queries(db)
    clear = cache_clearers()
    print(
        f"scale {scale_name(scale)}: {info['registrations']:,} registrations, period "
        f"{info['period'][0]} – {info['period'][1]} as of {info['as_of']}; median of {repeat}"
        f"{'' if clear else '; slcore has no cache module'}",
        flush=True,
    )
    rows = []
    for q in queries:
        r = time_query(q, repeat, clear)
        ratio = r["project_s"] / r["reference_s"]
        print(
            f"scale {scale_name(scale)}: {q.name:<50} project {r['project_s']:7.3f} s   "
            f"reference {r['reference_s']:7.3f} s   {ratio:5.2f}×",
            flush=True,
        )
        for d in r["differences"][:MAX_SHOWN_DIFFERENCES]:
            print(f"MISMATCH scale {scale_name(scale)}, {q.name}: {d}", flush=True)
        rows.append(r)
    return {**info, "queries": rows, "peak_mb": peak_rss_mb()}


# --- Worker: page reruns through AppTest -----------------------------------------------------


def timed_run(at: Any, title: str, errors: list[str]) -> tuple[float, float]:
    """Rerun the app; return (wall, process CPU) seconds and note an exception or wrong page."""
    c0, t0 = time.process_time(), time.perf_counter()
    at.run()
    wall, cpu = time.perf_counter() - t0, time.process_time() - c0
    if at.exception:
        errors.extend(str(e.message).splitlines()[0] for e in at.exception)
    elif [t.value for t in at.title] != [title]:
        errors.append(f"the page shown is {[t.value for t in at.title]}, not {title}")
    return wall, cpu


def time_page(title: str, script: str, repeat: int, timeout: float) -> dict[str, Any]:
    """Open a page in a new session, then time reruns after a filter change and with none."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    clear = [*cache_clearers(), st.cache_data.clear]
    errors: list[str] = []
    at = AppTest.from_file(str(APP), default_timeout=timeout)
    at.switch_page(script)
    first = timed_run(at, title, errors)
    changed = []
    for i in range(repeat):
        at.sidebar.selectbox(key=PERIOD_KEY).select(ALTERNATE_PRESETS[i % 2])
        for fn in clear:
            fn()
        changed.append(timed_run(at, title, errors))
    same = [timed_run(at, title, errors) for _ in range(repeat)]
    return {
        "page": title,
        "first_s": first[0],
        "changed_wall": [w for w, _ in changed],
        "changed_cpu": [c for _, c in changed],
        "same_wall": [w for w, _ in same],
        "same_cpu": [c for _, c in same],
        "errors": sorted(set(errors)),
    }


def pages_worker(db: Path, scale: float, repeat: int, timeout: float) -> dict[str, Any]:
    """Time every page's reruns on a store through AppTest, in this process."""
    os.environ["SLCORE_DB"] = str(db)
    import streamlit.config
    import streamlit.logger

    # AppTest runs without a server, and Streamlit warns about that on every run. The option
    # keeps the level when AppTest parses the config (which sets the level from it).
    streamlit.config.set_option("logger.level", "error")
    streamlit.logger.set_log_level("error")
    pages = []
    for title, script in PAGES.items():
        r = time_page(title, script, repeat, timeout)
        print(
            f"scale {scale_name(scale)}: page {title:<18} first {r['first_s']:6.2f} s   "
            f"after a change: wall {statistics.median(r['changed_wall']):6.2f} / "
            f"p95 {p95(r['changed_wall']):6.2f} s, CPU {statistics.median(r['changed_cpu']):6.2f}"
            f" s   no change: wall {statistics.median(r['same_wall']):6.2f} s",
            flush=True,
        )
        for e in r["errors"]:
            print(f"ERROR scale {scale_name(scale)}, page {title}: {e}", flush=True)
        pages.append(r)
    return {"repeat": repeat, "pages": pages, "peak_mb": peak_rss_mb()}


# --- Worker: the first page in a real browser ------------------------------------------------


def free_port() -> int:
    """Return a TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def start_server(db: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``streamlit run app.py`` on a free port with SLCORE_DB = db, as the browser tests.

    Returns at once, with the process and its address; the server is not up yet.
    """
    port = free_port()
    env = {**os.environ, "SLCORE_DB": str(db)}
    cmd = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true"]
    cmd += ["--server.port", str(port), "--server.address", "127.0.0.1"]
    cmd += ["--browser.gatherUsageStats", "false"]
    with log.open("wb") as fh:  # the child has its own descriptor; ours may close
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=fh, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


def wait_healthy(proc: subprocess.Popen[bytes], url: str, timeout: float) -> float:
    """Poll ``/_stcore/health`` until it answers "ok"; return that instant (perf_counter)."""
    deadline = time.perf_counter() + timeout
    while time.perf_counter() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                if r.read().decode().strip() == "ok":
                    return time.perf_counter()
        except OSError:
            pass
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited with status {proc.returncode}")
        time.sleep(HEALTH_POLL_S)
    raise RuntimeError(f"the server did not answer its health check within {timeout:.0f} s")


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    """Stop the server: SIGTERM, and SIGKILL if it has not exited within 30 s."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=30)


def first_page_once(pw: Any, db: Path, log: Path, timeout: float) -> dict[str, Any]:
    """Launch Chromium, start a fresh server, open Overblik; return the run's timings.

    The browser is launched and a blank page opened before the server starts, so t0 (the
    health check's first "ok") counts none of the browser's own start-up. t1 is when the
    first KPI tile and the first drawn Plotly chart are both visible. The server and the
    browser are stopped whatever happens.
    """
    ms = timeout * 1000
    proc: subprocess.Popen[bytes] | None = None
    c0 = time.perf_counter()
    browser = pw.chromium.launch(executable_path=CHROMIUM)
    try:
        page = browser.new_context(viewport=VIEWPORT).new_page()
        page.set_default_timeout(ms)
        page.goto("about:blank")
        launch = time.perf_counter() - c0
        s0 = time.perf_counter()
        proc, url = start_server(db, log)
        t0 = wait_healthy(proc, url, timeout)
        page.goto(url, wait_until="commit")
        page.locator(METRIC_SELECTOR).first.wait_for(state="visible", timeout=ms)
        t_metric = time.perf_counter()
        page.locator(CHART_SELECTOR).first.wait_for(state="visible", timeout=ms)
        t1 = time.perf_counter()
        return {
            "launch_s": launch,
            "server_start_s": t0 - s0,
            "first_metric_s": t_metric - t0,
            "first_page_s": t1 - t0,
            "exceptions": page.locator(EXCEPTION_SELECTOR).count(),
            "chromium": browser.version,
        }
    finally:
        try:
            browser.close()
        finally:
            if proc is not None:
                stop_server(proc)


def browser_worker(
    work: Path, db: Path, scale: float, repeat: int, timeout: float
) -> dict[str, Any]:
    """Time the first page in Chromium ``repeat`` times, each with a fresh server."""
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium), or --skip-browser")
    from playwright.sync_api import sync_playwright

    # A SIGTERM (the parent stopped) unwinds through the finally blocks that stop the
    # server and the browser.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    log = work / f"bench-browser-scale-{scale_name(scale)}.log"
    runs = []
    with sync_playwright() as pw:
        for i in range(repeat):
            try:
                r = first_page_once(pw, db, log, timeout)
            except Exception:
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
                print(
                    f"ERROR scale {scale_name(scale)}, browser run {i + 1}; the server's "
                    f"log ({log}) ends:\n{tail}",
                    flush=True,
                )
                raise
            print(
                f"scale {scale_name(scale)}: browser run {i + 1}/{repeat}: first page "
                f"{r['first_page_s']:5.2f} s, first tile {r['first_metric_s']:5.2f} s after "
                f"the server was up (server start {r['server_start_s']:5.2f} s, browser "
                f"launch {r['launch_s']:5.2f} s)"
                + (f", {r['exceptions']} exceptions shown" if r["exceptions"] else ""),
                flush=True,
            )
            runs.append(r)
    log.unlink(missing_ok=True)
    return {"repeat": repeat, "runs": runs, "chromium": runs[0]["chromium"] if runs else None}


# --- Worker: the import ----------------------------------------------------------------------


def import_worker(work: Path, rows: int, repeat: int) -> dict[str, Any]:
    """Time import_file against decode + read_csv on a generated extract (bench_import)."""
    import bench_import

    csv_path = work / f"udtraek_{rows}_cp1252.csv"
    db = work / "bench-import.duckdb"
    print(f"import: generating {rows:,} rows …", flush=True)
    bench_import.generate_extract(rows, csv_path, seed=42)
    try:
        best = bench_import.best_of(
            repeat,
            {
                "import_file": (bench_import.run_import, (csv_path, db)),
                "decode + read_csv": (bench_import.run_decode_plain, (csv_path, work, db)),
            },
        )
        size_mb = csv_path.stat().st_size / 1e6
    finally:
        csv_path.unlink(missing_ok=True)
    return {
        "rows": rows,
        "file_mb": size_mb,
        "repeat": repeat,
        "import_s": best["import_file"][0],
        "decode_read_csv_s": best["decode + read_csv"][0],
        "rejected": best["import_file"][1].rejected,
    }


def run_as_worker(args: argparse.Namespace) -> None:
    """Run one measurement in this process and write its result to ``--result``."""
    kind = args.worker
    if kind == "build":
        result = build_worker(args.db, args.scale)
    elif kind == "figures":
        result = figures_worker(args.db, args.scale, args.repeat)
    elif kind == "pages":
        result = pages_worker(args.db, args.scale, args.page_repeat, args.page_timeout)
    elif kind == "browser":
        result = browser_worker(
            args.dir, args.db, args.scale, args.browser_repeat, args.browser_timeout
        )
    else:
        result = import_worker(args.dir, args.import_rows, args.import_repeat)
    write_result(args.result, result)


# --- The parent: run the workers, keep the stores, report ------------------------------------


def spawn(kind: str, args: argparse.Namespace, extra: Sequence[str]) -> dict[str, Any]:
    """Run a worker in a fresh process; return its result, or {"error": ...} when it failed."""
    with tempfile.NamedTemporaryFile(suffix=".json", dir=args.dir, delete=False) as fh:
        result_path = Path(fh.name)
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind]
    cmd += ["--result", str(result_path), "--dir", str(args.dir), *extra]
    try:
        rc = subprocess.run(cmd, check=False).returncode
        if rc != 0:
            print(f"ERROR: the {kind} worker exited with status {rc}", flush=True)
            return {"error": f"the {kind} worker exited with status {rc}"}
        result: dict[str, Any] = json.loads(result_path.read_text(encoding="utf-8"))
        return result
    finally:
        result_path.unlink(missing_ok=True)


def build_fingerprint(scale: float) -> dict[str, Any]:
    """Return what a reusable store must have been built with: scale, day, generator, schema."""
    from slcore import store

    return {
        "scale": scale,
        "today": TODAY.isoformat(),
        "demo_sha256": file_sha256(ROOT / "slcore" / "demo.py"),
        "schema_version": store.SCHEMA_VERSION,
    }


def reusable(db: Path, side: Path, wanted: dict[str, Any]) -> tuple[bool, str]:
    """Return whether a store built before may be reused, and if not, why."""
    if not db.exists() or not side.exists():
        return False, "no store yet"
    recorded = json.loads(side.read_text(encoding="utf-8"))
    changed = [k for k, v in wanted.items() if recorded.get(k) != v]
    if changed:
        return False, f"built with another {', '.join(changed)}"
    return True, ""


def ensure_store(args: argparse.Namespace, scale: float) -> dict[str, Any]:
    """Build the store for a scale unless a fitting one exists; return its build record."""
    db = store_path(args.dir, scale)
    side = db.with_name(db.name + ".bench.json")
    wanted = build_fingerprint(scale)
    ok, why = (False, "--rebuild") if args.rebuild else reusable(db, side, wanted)
    if ok:
        record: dict[str, Any] = json.loads(side.read_text(encoding="utf-8"))
        print(
            f"scale {scale_name(scale)}: reusing {db} (built {record['built_at']}, "
            f"{record['build_s']:.1f} s); --rebuild to build it again",
            flush=True,
        )
        return {**record, "reused": True}
    print(f"scale {scale_name(scale)}: building ({why})", flush=True)
    side.unlink(missing_ok=True)
    built = spawn("build", args, ["--db", str(db), "--scale", str(scale)])
    if "error" in built:
        return built
    record = {
        **wanted,
        "registrations": built["registrations"],
        "build_s": built["build_s"],
        "build_peak_mb": built["peak_mb"],
        "built_at": dt.datetime.now().astimezone().isoformat(timespec="seconds"),
    }
    side.write_text(json.dumps(record, indent=2), encoding="utf-8")
    return {**record, "reused": False}


def page_repeat(args: argparse.Namespace, scale: float) -> int:
    """Return how many reruns of each page to time at a scale."""
    if args.page_repeat is not None:
        return int(args.page_repeat)
    return 1 if scale >= LARGE_SCALE else 5


def measure_scale(args: argparse.Namespace, scale: float) -> dict[str, Any]:
    """Build or reuse a scale's store and run its figure, page and (smallest) browser workers."""
    out: dict[str, Any] = {"scale": scale, "build": ensure_store(args, scale)}
    if "error" in out["build"]:
        return out
    db = store_path(args.dir, scale)
    out["file_mb"] = (
        sum(p.stat().st_size for p in (db, db.with_name(db.name + ".wal")) if p.exists()) / 1e6
    )
    common = ["--db", str(db), "--scale", str(scale)]
    out["figures"] = spawn("figures", args, [*common, "--repeat", str(args.repeat)])
    if not args.skip_pages:
        extra = ["--page-repeat", str(page_repeat(args, scale))]
        extra += ["--page-timeout", str(args.page_timeout)]
        out["pages"] = spawn("pages", args, [*common, *extra])
    if not args.skip_browser and scale == min(args.scales):
        extra = ["--browser-repeat", str(args.browser_repeat)]
        extra += ["--browser-timeout", str(args.browser_timeout)]
        out["browser"] = spawn("browser", args, [*common, *extra])
    return out


# --- The report --------------------------------------------------------------------------------


# The page reruns a goal on reruns covers.
RERUN_KINDS = (("changed_wall", "after a change"), ("same_wall", "no change"))


@dataclass(frozen=True)
class Goal:
    """A goal of issue 14 and what was measured for it (None: not measured)."""

    text: str
    measured: str | None
    met: bool | None


def _figures_at(results: list[dict[str, Any]], scale: float) -> list[dict[str, Any]] | None:
    for r in results:
        f = r.get("figures", {})
        if r["scale"] == scale and "queries" in f:
            return list(f["queries"])
    return None


def _pages_at(results: list[dict[str, Any]], scale: float) -> list[dict[str, Any]] | None:
    for r in results:
        p = r.get("pages", {})
        if r["scale"] == scale and "pages" in p:
            return list(p["pages"])
    return None


def _browser_at(results: list[dict[str, Any]], scale: float) -> list[dict[str, Any]] | None:
    for r in results:
        b = r.get("browser", {})
        if r["scale"] == scale and b.get("runs"):
            return list(b["runs"])
    return None


def _result_at(results: list[dict[str, Any]], scale: float) -> dict[str, Any] | None:
    return next((r for r in results if r["scale"] == scale), None)


def browser_goal(results: list[dict[str, Any]], scale: float, text: str) -> Goal:
    """Return the goal that the first page in the browser is drawn ≤ 2 s after the server is up.

    The median over the runs; a run that showed an exception does not meet it.
    """
    runs = _browser_at(results, scale)
    if not runs:
        return Goal(text, None, None)
    value = statistics.median(r["first_page_s"] for r in runs)
    clean = not any(r["exceptions"] for r in runs)
    note = "" if clean else ", **exceptions shown**"
    return Goal(
        text,
        f"median {value:.2f} s of {len(runs)} (max {max(r['first_page_s'] for r in runs):.2f} s"
        f"{note})",
        value <= FIRST_PAGE_GOAL_S and clean,
    )


def page_goal(results: list[dict[str, Any]], scale: float, limit: float, text: str) -> Goal:
    """Return the goal that every page rerun (changed or not) has p95 ≤ limit at a scale."""
    pages = _pages_at(results, scale)
    if not pages:
        return Goal(text, None, None)
    worst = max(
        ((p95(p[kind]), p["page"], label) for p in pages for kind, label in RERUN_KINDS),
        key=lambda w: w[0],
    )
    value, page, label = worst
    return Goal(text, f"slowest p95 {value:.2f} s ({page}, {label})", value <= limit)


def ratio_goal(results: list[dict[str, Any]], scale: float, text: str) -> Goal:
    """Return the goal that every figure query takes at most 1.2× its reference at a scale."""
    queries = _figures_at(results, scale)
    if not queries:
        return Goal(text, None, None)
    worst = max(queries, key=lambda q: q["project_s"] / q["reference_s"])
    value = worst["project_s"] / worst["reference_s"]
    return Goal(text, f"largest {value:.2f}× ({worst['name']})", value <= 1.2)


def time_goal(results: list[dict[str, Any]], scale: float, text: str) -> Goal:
    """Return the goal that every figure query takes at most 1 s at a scale."""
    queries = _figures_at(results, scale)
    if not queries:
        return Goal(text, None, None)
    worst = max(queries, key=lambda q: q["project_s"])
    value = worst["project_s"]
    return Goal(text, f"slowest {value:.2f} s ({worst['name']})", value <= 1.0)


def memory_goal(results: list[dict[str, Any]], scale: float, text: str) -> Goal:
    """Return the goal that the page (server) process peaks at most 1.5 GB at a scale."""
    r = _result_at(results, scale)
    peak = (r or {}).get("pages", {}).get("peak_mb")
    if peak is None:
        return Goal(text, None, None)
    return Goal(text, f"{peak / 1000:.2f} GB", peak <= 1500)


def build_goal(results: list[dict[str, Any]], scale: float, text: str) -> Goal:
    """Return the goal that the demo at a scale builds within 3 minutes."""
    r = _result_at(results, scale)
    build = (r or {}).get("build", {})
    if "build_s" not in build:
        return Goal(text, None, None)
    when = f", recorded {build['built_at'][:10]}" if build.get("reused") else ""
    return Goal(text, f"{build['build_s']:.0f} s{when}", build["build_s"] <= 180)


def import_goal(imported: dict[str, Any] | None, text: str) -> Goal:
    """Return the goal that the import takes at most 1.5× decode + read_csv."""
    if not imported or "import_s" not in imported:
        return Goal(text, None, None)
    value = imported["import_s"] / imported["decode_read_csv_s"]
    return Goal(text, f"{value:.2f}× ({imported['rows']:,} rows)", value <= 1.5)


def goals(results: list[dict[str, Any]], imported: dict[str, Any] | None) -> list[Goal]:
    """Return the goals of issue 14 with what this run measured for each."""
    fig = "key figures and monthly series"
    return [
        browser_goal(
            results, 1, "demo (scale 1): first page in the browser ≤ 2 s after the server is up"
        ),
        page_goal(results, 1, 0.3, "demo (scale 1): every page rerun, p95 ≤ 0.3 s"),
        page_goal(results, 68, 1.0, "1M (scale 68): every page rerun ≤ 1 s (p95)"),
        ratio_goal(results, 68, f"1M (scale 68): {fig} ≤ 1.2× reference"),
        time_goal(results, 680, f"10M (scale 680): {fig} ≤ 1 s"),
        ratio_goal(results, 680, f"10M (scale 680): {fig} ≤ 1.2× reference"),
        memory_goal(results, 680, "10M (scale 680): server (page process) peak memory ≤ 1.5 GB"),
        build_goal(results, 680, "10M: demo --scale 680 builds in ≤ 3 min"),
        import_goal(imported, "import ≤ 1.5× decode + read_csv"),
    ]


def goal_lines(gs: list[Goal]) -> list[str]:
    """Return the goals table."""
    out = ["| goal | measured | status |", "|---|---|---|"]
    for g in gs:
        status = "not measured" if g.met is None else ("met" if g.met else "**not met**")
        out.append(f"| {g.text} | {g.measured or '–'} | {status} |")
    return out


def store_lines(results: list[dict[str, Any]]) -> list[str]:
    """Return the stores table: size, build time and every process's peak memory."""
    out = [
        "| scale | registrations | file MB | build s | build peak MB "
        "| figures process peak MB | page process peak MB |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        b = r["build"]
        if "error" in b:
            out.append(f"| {scale_name(r['scale'])} | build failed | | | | | |")
            continue
        built = f"{b['build_s']:.1f}" + (f" (recorded {b['built_at'][:10]})" if b["reused"] else "")
        fig_peak = r.get("figures", {}).get("peak_mb")
        page_peak = r.get("pages", {}).get("peak_mb")
        out.append(
            f"| {scale_name(r['scale'])} | {b['registrations']:,} | {r['file_mb']:.0f} | {built} "
            f"| {b['build_peak_mb']:.0f} | {_mb(fig_peak)} | {_mb(page_peak)} |"
        )
    return out


def _mb(value: float | None) -> str:
    return "–" if value is None else f"{value:.0f}"


def figure_lines(results: list[dict[str, Any]], repeat: int) -> list[str]:
    """Return the figures table: slcore against the reference, per scale and query."""
    out = [
        f"| scale | query | project s | reference s | project / reference | result "
        f"(median of {repeat}) |",
        "|---:|---|---:|---:|---:|---|",
    ]
    for r in results:
        f = r.get("figures", {})
        if "error" in f:
            out.append(f"| {scale_name(r['scale'])} | worker failed | | | | |")
        for q in f.get("queries", []):
            result = "same" if not q["differences"] else f"**MISMATCH** ({len(q['differences'])})"
            out.append(
                f"| {scale_name(r['scale'])} | {q['name']} | {seconds(q['project_s'])} "
                f"| {seconds(q['reference_s'])} | {q['project_s'] / q['reference_s']:.2f}× "
                f"| {result} |"
            )
    return out


def page_lines(results: list[dict[str, Any]]) -> list[str]:
    """Return the pages table: reruns after a filter change and with none, wall and CPU."""
    out = [
        "| scale | page | runs | after a change: wall median / p95 s | CPU median / p95 s "
        "| no change: wall / CPU s (median) | first view s |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        pw = r.get("pages", {})
        if "error" in pw:
            out.append(f"| {scale_name(r['scale'])} | worker failed | | | | | |")
        for p in pw.get("pages", []):
            flag = " (**errors**)" if p["errors"] else ""
            cw, cc = p["changed_wall"], p["changed_cpu"]
            out.append(
                f"| {scale_name(r['scale'])} | {p['page']}{flag} | {len(cw)} "
                f"| {seconds(statistics.median(cw))} / {seconds(p95(cw))} "
                f"| {seconds(statistics.median(cc))} / {seconds(p95(cc))} "
                f"| {seconds(statistics.median(p['same_wall']))} / "
                f"{seconds(statistics.median(p['same_cpu']))} | {seconds(p['first_s'])} |"
            )
    return out


def browser_lines(results: list[dict[str, Any]]) -> list[str]:
    """Return the browser table: the first page after the server is up, the first tile."""
    out = [
        "| scale | runs | first page s (median / max) | first tile s (median) "
        "| server start s (median) | browser launch s (median) | Chromium |",
        "|---:|---:|---:|---:|---:|---:|---|",
    ]
    for r in results:
        b = r.get("browser")
        if b is None:
            continue
        if "error" in b:
            out.append(f"| {scale_name(r['scale'])} | worker failed | | | | | |")
            continue
        runs = b["runs"]
        first = [x["first_page_s"] for x in runs]
        flag = " (**exceptions shown**)" if any(x["exceptions"] for x in runs) else ""
        out.append(
            f"| {scale_name(r['scale'])} | {len(runs)}{flag} "
            f"| {seconds(statistics.median(first))} / {seconds(max(first))} "
            f"| {seconds(statistics.median(x['first_metric_s'] for x in runs))} "
            f"| {seconds(statistics.median(x['server_start_s'] for x in runs))} "
            f"| {seconds(statistics.median(x['launch_s'] for x in runs))} | {b['chromium']} |"
        )
    return out


def import_lines(imported: dict[str, Any]) -> list[str]:
    """Return the import table."""
    if "error" in imported:
        return ["The import benchmark failed."]
    ratio = imported["import_s"] / imported["decode_read_csv_s"]
    return [
        f"| rows | file MB | import s | decode + read_csv s | import / (decode + read_csv) "
        f"(best of {imported['repeat']}) |",
        "|---:|---:|---:|---:|---:|",
        f"| {imported['rows']:,} | {imported['file_mb']:.0f} | {seconds(imported['import_s'])} "
        f"| {seconds(imported['decode_read_csv_s'])} | {ratio:.2f}× |",
    ]


def mismatch_lines(results: list[dict[str, Any]]) -> list[str]:
    """Return every disagreement between slcore and the reference, and every page error."""
    out: list[str] = []
    for r in results:
        s = scale_name(r["scale"])
        for q in r.get("figures", {}).get("queries", []):
            out.extend(
                f"- MISMATCH scale {s}, {q['name']}: {d}"
                for d in q["differences"][:MAX_SHOWN_DIFFERENCES]
            )
        for p in r.get("pages", {}).get("pages", []):
            out.extend(f"- ERROR scale {s}, page {p['page']}: {e}" for e in p["errors"])
        out.extend(
            f"- ERROR scale {s}, browser run {i}: {x['exceptions']} exceptions on Overblik"
            for i, x in enumerate(r.get("browser", {}).get("runs", []), start=1)
            if x["exceptions"]
        )
    return out


def header_lines(results: list[dict[str, Any]], load: tuple[float, float]) -> list[str]:
    """Return the report's heading: when, where, on which code, for which period.

    ``load`` is the 1-minute load average at the start and at the end: above the number of
    CPUs, other processes shared the machine and the times are too high.
    """
    import duckdb
    import streamlit

    commit = _git("rev-parse", "--short", "HEAD") or "?"
    if _git("status", "--porcelain", "--", "slcore", "ui", "views", "app.py", "bench"):
        commit += " with uncommitted changes"
    period = next((r["figures"] for r in results if "period" in r.get("figures", {})), None)
    when = (
        f" The period is *I år*, {period['period'][0]} – {period['period'][1]}, as of "
        f"{period['as_of']} (the demo stores' default as-of date)."
        if period
        else ""
    )
    return [
        f"`python bench/run.py` on {dt.datetime.now().astimezone():%Y-%m-%d %H:%M}, "
        f"commit {commit}, {os.cpu_count()} CPUs, Python {platform.python_version()}, "
        f"DuckDB {duckdb.__version__}, Streamlit {streamlit.__version__}; load average "
        f"{load[0]:.1f} at the start, {load[1]:.1f} at the end.{when}",
    ]


def _git(*argv: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(ROOT), *argv], capture_output=True, text=True, check=False
    )
    return done.stdout.strip() if done.returncode == 0 else ""


def report(
    results: list[dict[str, Any]],
    imported: dict[str, Any] | None,
    repeat: int,
    load: tuple[float, float],
) -> list[str]:
    """Return the whole Markdown report."""
    lines = [
        *header_lines(results, load),
        "",
        "Goals of issue 14:",
        "",
        *goal_lines(goals(results, imported)),
    ]
    lines += ["", "Demo stores and peak memory (each step in a fresh process):", ""]
    lines += store_lines(results)
    lines += [
        "",
        "Figures: slcore against a hand-written DuckDB query over the raw tables "
        "(bench/reference.py), in the same process, interleaved; seconds:",
        "",
        *figure_lines(results, repeat),
    ]
    if any("pages" in r for r in results):
        lines += [
            "",
            "Page reruns through Streamlit's AppTest (after a change: the period alternates "
            "between *Sidste år* and *I år*, caches emptied; p95 by nearest rank; CPU is the "
            "process's, DuckDB's threads included):",
            "",
            *page_lines(results),
        ]
    if any("browser" in r for r in results):
        lines += [
            "",
            "First page in the browser (Overblik in Debian's Chromium via Playwright, a fresh "
            "server and browser per run, nothing cached): from the server's health check first "
            'answering "ok", with the browser already launched and a blank page open, until a '
            "KPI tile and the first Plotly chart are visible; the first tile alone; the "
            "server's start (process to health) and the browser's launch are not counted in "
            "either:",
            "",
            *browser_lines(results),
        ]
    if imported is not None:
        lines += ["", "Import (bench/bench_import.py's extract):", "", *import_lines(imported)]
    problems = mismatch_lines(results)
    if problems:
        lines += ["", "Disagreements and errors:", "", *problems]
    return lines


def failed(results: list[dict[str, Any]], imported: dict[str, Any] | None) -> bool:
    """Return whether anything disagreed or failed (the exit status is then 1)."""
    if imported is not None and "error" in imported:
        return True
    for r in results:
        steps = [r["build"], r.get("figures", {}), r.get("pages", {}), r.get("browser", {})]
        if any("error" in s for s in steps) or mismatch_lines([r]):
            return True
    return False


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """Return the command line's options."""
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    p.add_argument(
        "--scales",
        type=float,
        nargs="+",
        default=[1, 68, 680],
        help="demo scales (default 1 68 680)",
    )
    p.add_argument("--dir", type=Path, default=DEFAULT_DIR, help="stores and results")
    p.add_argument("--rebuild", action="store_true", help="build the stores even if they exist")
    p.add_argument("--repeat", type=int, default=5, help="runs per figure query (median)")
    p.add_argument(
        "--page-repeat",
        type=int,
        default=None,
        help=f"reruns per page (default 5, and 1 from scale {LARGE_SCALE})",
    )
    p.add_argument("--page-timeout", type=float, default=1800, help="AppTest's timeout, s")
    p.add_argument("--skip-pages", action="store_true", help="no page reruns")
    p.add_argument("--skip-import", action="store_true", help="no import benchmark")
    p.add_argument("--skip-browser", action="store_true", help="no first page in the browser")
    p.add_argument(
        "--browser-repeat",
        type=int,
        default=3,
        help="first pages in the browser, each with a fresh server (median; default 3)",
    )
    p.add_argument("--browser-timeout", type=float, default=180, help="the browser step's waits, s")
    p.add_argument("--import-rows", type=int, default=1_000_000, help="extract size (1000000)")
    p.add_argument("--import-repeat", type=int, default=1, help="runs of the import (best)")
    p.add_argument("--out", type=Path, default=None, help="default: DIR/results.md")
    # Internal: run one measurement in this (fresh) process.
    p.add_argument(
        "--worker",
        choices=("build", "figures", "pages", "browser", "import"),
        help=argparse.SUPPRESS,
    )
    p.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    p.add_argument("--scale", type=float, help=argparse.SUPPRESS)
    p.add_argument("--result", type=Path, help=argparse.SUPPRESS)
    return p.parse_args(argv)


def main() -> None:
    """Run the benchmark (or, with --worker, one of its measurements)."""
    args = parse_args()
    if args.worker:
        run_as_worker(args)
        return
    args.dir.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()[0]
    results = [measure_scale(args, scale) for scale in args.scales]
    imported = None
    if not args.skip_import:
        imported = spawn(
            "import",
            args,
            ["--import-rows", str(args.import_rows), "--import-repeat", str(args.import_repeat)],
        )
    load = (load_start, os.getloadavg()[0])
    text = "\n".join(report(results, imported, args.repeat, load)) + "\n"
    out = args.out or args.dir / "results.md"
    out.write_text(text, encoding="utf-8")
    print("\n" + text + f"\n(written to {out})")
    if failed(results, imported):
        print("The project's figures disagree with the reference, or a step failed: exit 1.")
        sys.exit(1)


if __name__ == "__main__":
    main()
