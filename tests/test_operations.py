"""Running it for real: the command line beside a running dashboard (issue 17, cli.md).

A real ``streamlit run`` serves a copy of the sample store; real ``python -m slcore``
processes import, back up and are killed beside it; Chromium shows what the dashboard
serves. Every wait is for a condition: the CLI having the store's file open, a text on the
page, a process ending.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import expect

from slcore.store import connected, open_store
from tests.conftest import SAMPLES
from tests.test_browser import ROOT, browser, start_app, wait_for_script  # noqa: F401

WAITING = "Et andet program arbejder i databasen"
CANONICAL = SAMPLES / "registrations_canonical.csv"


def slcore_cli(*args: str, db: Path, **kw: object) -> subprocess.Popen[str]:
    """Start ``python -m slcore ARGS --db DB`` as a scheduled job would."""
    env = {k: v for k, v in os.environ.items() if k not in ("SLCORE_DB", "SLCORE_KEY")}
    return subprocess.Popen(
        [sys.executable, "-m", "slcore", *args, "--db", str(db)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kw,  # type: ignore[arg-type]
    )


def run_cli(*args: str, db: Path) -> subprocess.CompletedProcess[str]:
    proc = slcore_cli(*args, db=db)
    out, err = proc.communicate(timeout=600)
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)


def has_open(pid: int, path: Path) -> bool:
    """Return whether a process has a file open (its DuckDB connection to the store)."""
    fds = Path(f"/proc/{pid}/fd")
    try:
        return any(os.readlink(fd) == str(path) for fd in fds.iterdir())
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return False


def cpu_ticks(pid: int) -> int:
    """Return the CPU time a process has used, in clock ticks (``/proc/PID/stat``)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def wait_until(condition, timeout: float = 120.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what or condition}")
        time.sleep(0.02)


def state(db: Path) -> tuple[int, ...]:
    """Return the store's content counts, read by a fresh connection as a new process would."""
    with connected(db, read_only=True) as con:  # in turn with the dashboard
        row = con.execute(
            """SELECT (SELECT count(*) FROM registrations),
                      (SELECT count(*) FROM registration_history),
                      (SELECT count(*) FROM rejected_rows),
                      (SELECT count(*) FROM import_batches),
                      (SELECT coalesce(sum(cost_amount), 0)::BIGINT FROM registrations)"""
        ).fetchone()
    assert row is not None
    return tuple(int(x) for x in row)


@pytest.fixture(scope="module")
def big_extract(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A messy Danish extract large enough that its import takes seconds, named as a job's."""
    path = tmp_path_factory.mktemp("extract") / "nat_udtraek.csv"
    # The benchmark fixes SLCORE_KEY for its own runs when imported; the tests keep theirs.
    kept = os.environ.get("SLCORE_KEY")
    from bench.bench_import import generate_extract

    if kept is None:
        os.environ.pop("SLCORE_KEY", None)
    else:
        os.environ["SLCORE_KEY"] = kept
    generate_extract(150_000, path)
    return path


@pytest.fixture(scope="module")
def after_big(
    sample_db: Path, big_extract: Path, tmp_path_factory: pytest.TempPathFactory
) -> tuple[int, ...]:
    """The state of the sample store after importing the big extract, imported on a copy."""
    db = _copy_store(sample_db, tmp_path_factory.mktemp("after") / "after.duckdb")
    done = run_cli("import", str(big_extract), db=db)
    assert done.returncode == 0, done.stderr
    return state(db)


def _copy_store(sample_db: Path, dst: Path) -> Path:
    shutil.copy(sample_db, dst)
    key = sample_db.with_name(sample_db.name + ".key")
    if key.exists():
        shutil.copy(key, dst.with_name(dst.name + ".key"))
    else:  # the sample has pseudonyms, not CPR numbers; the big extract needs a key
        dst.with_name(dst.name + ".key").write_text("the operations tests' key")
    return dst


@pytest.fixture
def served(sample_db: Path, tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    """A real dashboard serving a private copy of the sample store."""
    db = _copy_store(sample_db, tmp_path / "served.duckdb")
    proc, url = start_app(db, tmp_path / "streamlit.log")
    yield proc, url, db
    if proc.poll() is None:
        proc.terminate()
        proc.wait(timeout=30)


def new_page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1400, "height": 1200})
    return context.new_page()


def freshness(page):
    """Return the header line naming the latest import (every page draws it)."""
    return page.get_by_text("Seneste indlæsning").first


def test_a_cli_import_while_the_dashboard_runs_shows_at_the_next_rerun(
    browser,  # noqa: F811
    served,
    big_extract,
    after_big,
):
    _proc, url, db = served
    page = new_page(browser)
    page.goto(f"{url}/serviceniveau")
    expect(freshness(page)).to_be_visible(timeout=90_000)
    wait_for_script(page)
    assert "nat_udtraek" not in freshness(page).inner_text()

    job = slcore_cli("import", str(big_extract), db=db)
    wait_until(lambda: has_open(job.pid, db.resolve()), what="the job to open the store")
    # A run started while the job has the file waits for it and says why.
    page.reload()
    expect(page.get_by_text(WAITING)).to_be_visible(timeout=60_000)
    out, err = job.communicate(timeout=600)
    assert job.returncode == 0, err
    assert "Import nr." in out
    # The waiting run then shows the new state, and the notice is gone.
    expect(freshness(page)).to_contain_text("nat_udtraek", timeout=90_000)
    expect(page.get_by_text(WAITING)).to_have_count(0)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert state(db) == after_big
    page.context.close()


def test_ten_sessions_keep_working_during_an_import(browser, served, big_extract):  # noqa: F811
    proc, url, db = served
    pages = [new_page(browser) for _ in range(10)]
    for page in pages:
        page.goto(f"{url}/serviceniveau")
    for page in pages:
        expect(freshness(page)).to_be_visible(timeout=120_000)

    job = slcore_cli("import", str(big_extract), db=db)
    wait_until(lambda: has_open(job.pid, db.resolve()), what="the job to open the store")
    for page in pages:  # every session asks for a rerun while the import runs
        page.reload(wait_until="commit")
    _out, err = job.communicate(timeout=600)
    assert job.returncode == 0, err
    for page in pages:
        expect(freshness(page)).to_contain_text("nat_udtraek", timeout=120_000)
        expect(page.get_by_role("heading", name="Serviceniveau").first).to_be_visible()
        expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    # And each goes on working after it: a rerun of its own.
    for page in pages:
        page.reload()
    for page in pages:
        expect(freshness(page)).to_contain_text("nat_udtraek", timeout=120_000)
        page.context.close()
    assert proc.poll() is None


def test_sigkill_of_the_cli_mid_import_leaves_the_store_before_or_after(
    browser,  # noqa: F811
    served,
    big_extract,
    after_big,
):
    _proc, url, db = served
    before = state(db)
    job = slcore_cli("import", str(big_extract), db=db)
    wait_until(lambda: has_open(job.pid, db.resolve()), what="the job to open the store")
    start = cpu_ticks(job.pid)
    # Killed when it has worked a while with the file open: reading, validating or writing.
    wait_until(lambda: job.poll() is not None or cpu_ticks(job.pid) - start >= 30)
    assert job.poll() is None, "the import ended before it could be killed"
    job.send_signal(signal.SIGKILL)
    job.communicate(timeout=60)
    # The next program to open the store finds it whole: DuckDB drops what was not committed.
    open_store(db).close()
    assert state(db) in (before, after_big)
    # The dashboard goes on serving the store, and the next job imports it whole.
    page = new_page(browser)
    page.goto(f"{url}/serviceniveau")
    expect(freshness(page)).to_be_visible(timeout=90_000)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    again = run_cli("import", str(big_extract), db=db)
    assert again.returncode == 0, again.stderr
    assert state(db) == after_big
    page.context.close()


def test_sigkill_of_the_server_mid_import_leaves_the_store_before_or_after(
    browser,  # noqa: F811
    served,
    big_extract,
    after_big,
):
    proc, url, db = served
    before = state(db)
    page = new_page(browser)
    page.goto(f"{url}/indlaes")
    page.wait_for_selector('[data-testid="stFileUploader"]', timeout=90_000)
    wait_for_script(page)
    page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
        str(big_extract)
    )
    button = page.get_by_role("button", name=re.compile(r"^Indlæs [\d.]+ rækker$"))
    button.wait_for(timeout=300_000)
    wait_for_script(page)
    button.click()
    page.locator('[data-testid="stProgress"]').wait_for(timeout=120_000)
    assert proc.poll() is None
    proc.send_signal(signal.SIGKILL)  # mid-import: its progress bar is on the screen
    proc.wait(timeout=60)
    page.context.close()
    open_store(db).close()
    assert state(db) in (before, after_big)
    # A job imports into it afterwards as into any store.
    again = run_cli("import", str(big_extract), db=db)
    assert again.returncode == 0, again.stderr
    assert state(db) == after_big


def test_readers_see_an_import_whole_or_not_at_all(sample_db, tmp_path, big_extract, after_big):
    db = _copy_store(sample_db, tmp_path / "readers.duckdb")
    before = state(db)
    reader = open_store(db, shared=True)  # as the dashboard: the file only while reading
    seen: set[tuple[int, ...]] = set()
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            with reader.held():
                seen.add(
                    tuple(
                        int(x)
                        for x in reader.cursor()
                        .execute(
                            """SELECT (SELECT count(*) FROM registrations),
                                      (SELECT count(*) FROM registration_history),
                                      (SELECT count(*) FROM rejected_rows),
                                      (SELECT count(*) FROM import_batches),
                                      (SELECT coalesce(sum(cost_amount), 0)::BIGINT
                                       FROM registrations)"""
                        )
                        .fetchone()
                    )
                )

    thread = threading.Thread(target=read)
    thread.start()
    try:
        wait_until(lambda: before in seen, what="a first reading")
        job = run_cli("import", str(big_extract), db=db)
        assert job.returncode == 0, job.stderr
        wait_until(lambda: after_big in seen, what="a reading after the import")
    finally:
        done.set()
        thread.join(timeout=60)
        reader.close()
    assert seen == {before, after_big}


def test_two_jobs_at_once_both_import_and_corrupt_nothing(sample_db, tmp_path, big_extract):
    canonical = tmp_path / "andet_udtraek.csv"
    shutil.copy(CANONICAL, canonical)
    one_by_one = _copy_store(sample_db, tmp_path / "sequential.duckdb")
    for f in (big_extract, canonical):
        assert run_cli("import", str(f), db=one_by_one).returncode == 0
    db = _copy_store(sample_db, tmp_path / "together.duckdb")
    jobs = [slcore_cli("import", str(f), db=db) for f in (big_extract, canonical)]
    results = [job.communicate(timeout=600) for job in jobs]
    assert [job.returncode for job in jobs] == [0, 0], results
    assert state(db) == state(one_by_one)
