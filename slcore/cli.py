"""The command line, ``python -m slcore`` (spec/cli.md).

Exit status: 0 success, 1 input refused as a whole (one line on stderr, store unchanged),
2 wrong arguments. Bad input never prints a traceback.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import sys
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from slcore import (
    access,
    audit,
    backup,
    batches,
    budgets,
    figures,
    frames,
    importer,
    people,
    privacy,
    published,
    retention,
    settings,
    values,
)
from slcore.actors import current_actor
from slcore.export import defuse
from slcore.periods import Period
from slcore.reader import ImportRefused
from slcore.store import Store, StoreError, open_store, resolve_db_path, scalar

MONEY_COLUMNS = {
    "realized_spend_dkk",
    "committed_spend_dkk",
    "projected_spend_dkk",
    "budget_dkk",
    "budget_deviation_dkk",
}


class Refused(Exception):
    """Input refused as a whole: exit 1 with this one-line message."""


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"ugyldig dato '{text}' (brug ÅÅÅÅ-MM-DD)") from None


def _by(text: str) -> tuple[str, ...]:
    cols = tuple(c.strip() for c in text.split(",") if c.strip())
    bad = [c for c in cols if c not in figures.GROUP_COLUMNS]
    if bad:
        raise argparse.ArgumentTypeError(
            f"ukendt gruppering {', '.join(bad)} (brug {', '.join(figures.GROUP_COLUMNS)})"
        )
    return cols


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser."""
    db = argparse.ArgumentParser(add_help=False)
    db.add_argument("--db", help="store file (default: SLCORE_DB or data/slcore.duckdb)")
    p = argparse.ArgumentParser(prog="python -m slcore", description="Serviceniveau: slcore")
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("demo", parents=[db], help="build a new store with the demo municipality")
    d.add_argument("--seed", type=int, default=2026)
    d.add_argument("--scale", type=float, default=1.0)
    d.add_argument("--today", type=_date, help=argparse.SUPPRESS)
    d.add_argument("--force", action="store_true", help="replace a store that has imports")

    i = sub.add_parser("import", parents=[db], help="import a registration extract")
    i.add_argument("file")
    i.add_argument("--mode", choices=batches.MODES, default="upsert")
    i.add_argument("--sheet")
    i.add_argument("--strict", action="store_true")
    i.add_argument(
        "--allow-removal",
        action="store_true",
        help="confirm a replace that removes more than 10 %% of the registrations",
    )

    r = sub.add_parser("rejects", parents=[db], help="the rejected rows of a batch")
    r.add_argument("batch", type=int)
    r.add_argument("--format", choices=("csv", "table"), default="table")

    sub.add_parser("imports", parents=[db], help="the import history")

    u = sub.add_parser("undo", parents=[db], help="undo an import")
    u.add_argument("batch", type=int)

    for name in ("frames", "budgets"):
        g = sub.add_parser(name, help=f"{name} as CSV")
        gsub = g.add_subparsers(dest="action", required=True)
        gi = gsub.add_parser("import", parents=[db])
        gi.add_argument("file")
        gsub.add_parser("export", parents=[db])

    f = sub.add_parser("figures", parents=[db], help="the key figures table as CSV or JSON")
    f.add_argument("--from", dest="start", type=_date, required=True)
    f.add_argument("--to", dest="end", type=_date, required=True)
    f.add_argument("--as-of", dest="as_of", type=_date)
    f.add_argument("--by", type=_by, default=())
    f.add_argument("--format", choices=("csv", "json"), default="csv")
    f.add_argument(
        "--publish", action="store_true", help="apply the small-number rule (metrics.md)"
    )

    rep = sub.add_parser("report", parents=[db], help="the deck of reports.md")
    rep.add_argument("--from", dest="start", type=_date, required=True)
    rep.add_argument("--to", dest="end", type=_date, required=True)
    rep.add_argument("--as-of", dest="as_of", type=_date)
    rep.add_argument("--audience", choices=("politisk", "ledelse"), default="politisk")
    rep.add_argument("--format", choices=("pdf", "pptx"), required=True)
    rep.add_argument("--out", required=True)

    doc = sub.add_parser("document", parents=[db], help="the service-level document")
    doc.add_argument("--on", type=_date, required=True)
    doc.add_argument("--changes-since", dest="changes_since", type=_date)
    doc.add_argument("--format", choices=("pdf", "docx"), required=True)
    doc.add_argument("--out", required=True)

    us = sub.add_parser("users", help="people and roles (access.md)")
    usub = us.add_subparsers(dest="action", required=True)
    usub.add_parser("list", parents=[db])
    ua = usub.add_parser("add", parents=[db], help="add a person or change their roles")
    ua.add_argument("email")
    ua.add_argument("--role", action="append", required=True, choices=list(access.ROLES))
    ua.add_argument("--team", action="append", default=[])
    ua.add_argument("--name")
    ur = usub.add_parser("remove", parents=[db])
    ur.add_argument("email")

    a = sub.add_parser("audit", parents=[db], help="the audit log (access.md)")
    a.add_argument("--since", type=_date)
    a.add_argument("--format", choices=("csv", "table"), default="table")

    st = sub.add_parser("settings", help="the municipality's settings (reports.md)")
    ssub = st.add_subparsers(dest="action", required=True)
    ssub.add_parser("show", parents=[db])
    ss = ssub.add_parser("set", parents=[db])
    ss.add_argument("key", choices=list(settings.DEFAULTS))
    ss.add_argument("value")
    b = sub.add_parser("backup", parents=[db], help="a consistent copy of the whole store")
    b.add_argument("file", type=Path)
    rs = sub.add_parser("restore", parents=[db], help="replace the store with a backup")
    rs.add_argument("file", type=Path)
    pu = sub.add_parser(
        "purge", parents=[db], help="remove registrations that ended before a date (retention)"
    )
    pu.add_argument("--ended-before", type=_date, required=True, metavar="DATE")
    pu.add_argument("--yes", action="store_true", help="remove them (without: a preview only)")
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit status."""
    args = build_parser().parse_args(argv)
    try:
        return _run(args)
    except (
        Refused,
        ImportRefused,
        values.FrameError,
        StoreError,
        privacy.KeyError_,
        access.AccessDenied,
    ) as exc:
        print(f"Fejl: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 0


def _run(args: argparse.Namespace) -> int:
    if args.command == "demo":
        from slcore.demo import DemoRefused, build_demo

        try:
            summary = build_demo(
                args.db, seed=args.seed, scale=args.scale, today=args.today, force=args.force
            )
        except DemoRefused as exc:
            raise Refused(str(exc)) from None
        print(
            f"Demodata bygget: {summary.registrations} bevillinger, {summary.frames} rammer, "
            f"{summary.budgets} budgetter, opgjort pr. {summary.as_of.isoformat()}."
        )
        return 0
    if args.command == "restore":
        return _restore(args)
    store = open_store(args.db, on_wait=_tell_waiting)
    handler = {
        "import": _import,
        "rejects": _rejects,
        "imports": _imports,
        "undo": _undo,
        "frames": _frames,
        "budgets": _budgets,
        "figures": _figures,
        "users": _users,
        "document": _document,
        "report": _report,
        "audit": _audit,
        "settings": _settings,
        "backup": _backup,
        "purge": _purge,
    }[args.command]
    try:
        return handler(store, args)
    finally:
        # The file is free again for the dashboard and other jobs as soon as the command ends.
        store.close()


def _tell_waiting() -> None:
    """Say on stderr (a scheduled job's log) that the command waits for its turn."""
    print(
        "Venter på, at et andet program (fx dashboardet) bliver færdigt med databasen …",
        file=sys.stderr,
        flush=True,
    )


def _import(store: Store, args: argparse.Namespace) -> int:
    result = importer.import_file(
        store,
        args.file,
        mode=args.mode,
        strict=args.strict,
        sheet=args.sheet,
        allow_removal=args.allow_removal,
        user=current_actor(app=False),
    )
    if result.already_imported_as is not None:
        print(
            f"Filen er allerede indlæst som import nr. {result.already_imported_as}; "
            "intet er ændret."
        )
        return 0
    print(
        f"Import nr. {result.batch_id}: læst {result.rows_read}, indsat {result.inserted}, "
        f"opdateret {result.updated}, uændret {result.unchanged}, afvist {result.rejected}"
        + (f", fjernet {result.removed}" if args.mode == "replace" else "")
        + "."
    )
    if result.rejections:
        for r in result.rejections[:5]:
            print(f"  linje {r['line_no']}, {r['column_name']}: {r['reason']}")
        print(f"Hele listen: python -m slcore rejects {result.batch_id} --format csv")
    return 0


def _backup(store: Store, args: argparse.Namespace) -> int:
    info = backup.backup(store, args.file)
    print(
        f"Sikkerhedskopi skrevet til {info.path} ({info.size_bytes / 1e6:.1f} MB): "
        f"{info.registrations} bevillinger, {info.imports} indlæsninger, nøglens "
        f"fingeraftryk {info.key_fingerprint or 'ingen (ingen indlæsninger endnu)'}. "
        "Husk også nøglefilen; den er ikke i kopien."
    )
    return 0


def _restore(args: argparse.Namespace) -> int:
    path = resolve_db_path(args.db)
    info = backup.restore(path, args.file, who=access.machine())
    kept = backup.before_restore_path(path)
    print(
        f"Gendannet fra {info.path} (lavet {info.made_at} af {info.made_by}): "
        f"{info.registrations} bevillinger."
        + (f" Den tidligere database ligger i {kept}." if kept.exists() else "")
    )
    return 0


def _purge(store: Store, args: argparse.Namespace) -> int:
    if not args.yes:
        plan = retention.preview(store, args.ended_before)
        print(plan.summary())
        if plan.anything:
            print("Intet er slettet endnu. Kør kommandoen igen med --yes for at slette.")
        return 0
    plan = retention.purge(store, args.ended_before)
    print(f"Slettet. {plan.summary()}")
    return 0


def _rejects(store: Store, args: argparse.Namespace) -> int:
    cur = store.cursor()
    if not scalar(cur, "SELECT count(*) FROM import_batches WHERE batch_id = ?", [args.batch]):
        raise Refused(f"Import nr. {args.batch} findes ikke.")
    rows = cur.execute(
        "SELECT line_no, column_name, value, reason FROM rejected_rows WHERE batch_id = ? "
        "ORDER BY line_no",
        [args.batch],
    ).fetchall()
    if args.format == "csv":
        w = csv.writer(sys.stdout, lineterminator="\n")
        w.writerow(("line", "column", "value", "reason"))
        w.writerows([defuse(v) for v in row] for row in rows)
    else:
        if not rows:
            print(f"Import nr. {args.batch} har ingen afviste rækker.")
        for line, col, value, reason in rows:
            print(f"linje {line}\t{col}\t{value or ''}\t{reason}")
    return 0


def _imports(store: Store, args: argparse.Namespace) -> int:
    rows = (
        store.cursor()
        .execute(
            """SELECT batch_id, kind, file_name, imported_by, strftime(imported_at, '%Y-%m-%d %H:%M'),
                  mode, rows_read, inserted, updated, unchanged, rejected, removed,
                  CASE WHEN removal_confirmed THEN 'ja' ELSE '' END,
                  CASE WHEN undone_at IS NULL THEN '' ELSE 'fortrudt' END
           FROM import_batches ORDER BY batch_id"""
        )
        .fetchall()
    )
    w = csv.writer(sys.stdout, lineterminator="\n")
    w.writerow(
        (
            "batch",
            "kind",
            "file",
            "by",
            "at",
            "mode",
            "read",
            "inserted",
            "updated",
            "unchanged",
            "rejected",
            "removed",
            "removal_confirmed",
            "status",
        )
    )
    w.writerows([defuse(v) for v in row] for row in rows)  # a file name may start with =
    return 0


def _undo(store: Store, args: argparse.Namespace) -> int:
    batches.undo_batch(store, args.batch, user=current_actor(app=False))
    print(f"Import nr. {args.batch} er fortrudt.")
    return 0


def _frames(store: Store, args: argparse.Namespace) -> int:
    if args.action == "import":
        n = frames.import_frames(store, args.file, user=current_actor(app=False))
        print(f"{n} rammeversioner tilføjet.")
    else:
        sys.stdout.write(frames.frames_csv(store))
    return 0


def _budgets(store: Store, args: argparse.Namespace) -> int:
    if args.action == "import":
        n = budgets.import_budgets(store, args.file, user=current_actor(app=False))
        print(f"{n} budgetter indlæst.")
    else:
        sys.stdout.write(budgets.budgets_csv(store))
    return 0


def _figures(store: Store, args: argparse.Namespace) -> int:
    if args.end < args.start:
        raise Refused("--to ligger før --from.")
    as_of = args.as_of or figures.default_as_of(store)
    period = Period(args.start, args.end, as_of)
    if args.publish:
        # The rule is applied with the total as the table's last row; the output is the same
        # table as without --publish, so that row is left out again when grouped.
        shown = published.key_figures(store, period, by=args.by).table
        table = shown.iloc[:-1] if args.by else shown
    else:
        table = figures.key_figures(store, period, by=args.by)
    if args.format == "json":
        print(json.dumps(figures_records(table), ensure_ascii=False, indent=1))
    else:
        sys.stdout.write(figures_csv(table))
    return 0


def _report(store: Store, args: argparse.Namespace) -> int:
    from slcore import deck  # python-pptx and fpdf2: loaded only for this command

    if args.end < args.start:
        raise Refused("--to ligger før --from.")
    period = Period(args.start, args.end, args.as_of or figures.default_as_of(store))
    try:
        print(deck.cli_report(store, period, args.audience, args.format, Path(args.out)))
    except (ValueError, FileNotFoundError) as exc:
        raise Refused(str(exc)) from None
    return 0


def _document(store: Store, args: argparse.Namespace) -> int:
    from slcore import document  # fpdf2 and python-docx: loaded only for this command

    try:
        print(
            document.cli_document(store, args.on, args.changes_since, args.format, Path(args.out))
        )
    except (ValueError, FileNotFoundError) as exc:
        raise Refused(str(exc)) from None
    return 0


def _users(store: Store, args: argparse.Namespace) -> int:
    try:
        if args.action == "add":
            p = people.save(store, args.email, args.role, args.team, args.name)
            teams = f", teams: {', '.join(p.teams)}" if p.teams else ""
            print(f"{p.email} gemt: {', '.join(access.ROLES[r] for r in p.roles)}{teams}.")
        elif args.action == "remove":
            people.remove(store, args.email)
            print(f"{people.normalise_email(args.email)} fjernet.")
        else:
            table = people.people(store)
            w = csv.writer(sys.stdout, lineterminator="\n")
            w.writerow(["email", "name", "roles", "teams"])
            for rec in table.to_dict("records"):
                roles, teams = (";".join(map(str, rec[c])) for c in ("roles", "teams"))
                w.writerow([rec["email"], rec["name"] or "", roles, teams])
    except ValueError as exc:
        raise Refused(str(exc)) from None
    return 0


def _audit(store: Store, args: argparse.Namespace) -> int:
    log = audit.entries(store, since=args.since)
    if args.format == "csv":
        out = log.drop(columns=["event_name"]).assign(
            logged_at=[t.isoformat(sep=" ", timespec="seconds") for t in log["logged_at"]]
        )
        sys.stdout.write(out.map(defuse).to_csv(index=False, lineterminator="\n"))
        return 0
    if log.empty:
        print("Loggen har ingen hændelser" + (f" siden {args.since}." if args.since else "."))
    for row in log.itertuples(index=False):
        print(f"{row.logged_at:%Y-%m-%d %H:%M:%S}  {row.who}  {row.event_name}  {row.detail}")
    return 0


def _settings(store: Store, args: argparse.Namespace) -> int:
    if args.action == "set":
        try:
            if args.key == settings.LOGO:  # a file's path: the image is kept in the store
                path = Path(args.value)
                if not path.is_file():
                    raise Refused(f"Filen {path} findes ikke.")
                settings.set_logo(store, path.read_bytes())
                print(f"logo gemt fra {path.name}.")
                return 0
            value = settings.set_value(store, args.key, args.value)
        except ValueError as exc:
            raise Refused(str(exc)) from None
        print(f"{args.key} = {value}")
        return 0
    for key, value in settings.all_settings(store).items():
        shown = (
            f"({len(value)} tegn, {value[5 : value.find(';')]})"
            if key == settings.LOGO and value
            else value
        )
        print(f"{key} = {shown}")
    return 0


def _plain(column: str, value: object) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, str):  # a group, or a marker of the small-number rule (<5, ..)
        return value
    if column in MONEY_COLUMNS:
        return round(float(value), 2)  # type: ignore[arg-type]  # a number from DuckDB
    if column == "median_duration_days":
        v = float(value)  # type: ignore[arg-type]
        return int(v) if v.is_integer() else v
    if hasattr(value, "item"):
        return value.item()
    return value


def figures_records(table: pd.DataFrame) -> list[dict[str, object]]:
    """Return the key figures as plain records (money rounded to øre)."""
    return [{str(c): _plain(str(c), v) for c, v in row.items()} for row in table.to_dict("records")]


def figures_csv(table: pd.DataFrame) -> str:
    """Return the key figures as CSV: header, decimal point, two decimals for money."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(table.columns)
    for rec in figures_records(table):
        w.writerow(
            ""
            if v is None
            else (f"{v:.2f}" if k in MONEY_COLUMNS and not isinstance(v, str) else defuse(v))
            for k, v in rec.items()
        )
    return buf.getvalue()
