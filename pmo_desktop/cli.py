"""Headless commands for scripts and scheduled jobs: demo, import, datamap, undo-import, history, template,
export-pack, check, escalate, reminders.

Exit codes a script can rely on:
  0  done, nothing to report
  1  done, but rows were rejected (import) or problems were found (check; compliance
     exceptions are printed by check but never change its exit code: only data integrity does)
  2  a file could not be read, or the command line was wrong
  3  the database could not be opened (locked, unreadable, written by a newer version)
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence
from pathlib import Path

EXIT_OK, EXIT_PROBLEMS, EXIT_BAD_INPUT, EXIT_DATABASE = 0, 1, 2, 3


def _add_database(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--database", metavar="URL",
                        help="SQLAlchemy URL or SQLite file (default: PMO_DATABASE_URL or the user's database)")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmo-desktop", description="PMO Desktop: headless commands.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = sub.add_parser("demo", help="create the demo office in a database")
    _add_database(demo)
    demo.add_argument("--scale", type=float, default=1.0,
                      help="1 = a 60-project office; larger values build benchmark-sized data")
    demo.add_argument("--seed", type=int, default=2026, help="random seed (same seed, same office)")
    demo.add_argument("--today", type=dt.date.fromisoformat, help="the date the office is built around (YYYY-MM-DD)")
    demo.add_argument("--force", action="store_true", help="add the demo even if the database already has projects")

    imp = sub.add_parser("import", help="import project managers' spreadsheets")
    _add_database(imp)
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE")
    imp.add_argument("--kind", choices=["projects", "status", "raid", "milestones", "people", "allocations", "scores"],
                     help="treat every sheet as this kind instead of detecting it")
    imp.add_argument("--dry-run", action="store_true", help="show the plan, write nothing")
    imp.add_argument("--json", action="store_true", help="print the plan as JSON")
    imp.add_argument("--rejects", type=Path, metavar="OUT.xlsx",
                     help="write the rejected rows with a reason column to this workbook")
    imp.add_argument("--datamap", metavar="NAME",
                     help="read each file as a fixed-layout return through this stored datamap")

    datamap = sub.add_parser("datamap", help="manage datamaps (field -> sheet and cell) for fixed-layout returns")
    datamap_sub = datamap.add_subparsers(dest="datamap_command", required=True, metavar="ACTION")
    datamap_load = datamap_sub.add_parser("load", help="store a datamap CSV under a name (replacing one of that name)")
    _add_database(datamap_load)
    datamap_load.add_argument("name", metavar="NAME")
    datamap_load.add_argument("csv", type=Path, metavar="FILE.csv",
                              help="columns cell_key, template_sheet, cellreference, type")

    undo = sub.add_parser("undo-import", help="undo an applied import batch as a whole")
    _add_database(undo)
    undo.add_argument("batch", type=int, help="the batch number (see 'history')")

    history = sub.add_parser("history", help="list import batches")
    _add_database(history)

    template = sub.add_parser("template", help="write the office's standard workbook for project managers")
    _add_database(template)
    template.add_argument("kind", choices=["projects", "status", "raid", "milestones", "people", "allocations",
                                           "scores"],
                          help="scores: one row per proposal and strategic criterion, pre-filled with the stored scores")
    template.add_argument("out", type=Path, metavar="OUT.xlsx")
    template.add_argument("--methodology", metavar="NAME",
                          help="pre-fill a milestones or RAID template with this methodology's standard milestones "
                               "or starter RAID items (e.g. agile)")
    template.add_argument("--project", metavar="CODE", help="the project code written on every pre-filled row")
    template.add_argument("--start", type=dt.date.fromisoformat, metavar="DATE",
                          help="baseline start the standard milestones are laid out from (YYYY-MM-DD; default: the "
                               "project's)")
    template.add_argument("--end", type=dt.date.fromisoformat, metavar="DATE",
                          help="baseline end the standard milestones are laid out up to (YYYY-MM-DD; default: the "
                               "project's)")

    pack = sub.add_parser("export-pack", help="write the executive pack for directors (an Excel workbook or a PDF)")
    _add_database(pack)
    pack.add_argument("out", type=Path, metavar="OUT.xlsx|OUT.pdf")
    pack.add_argument("--as-of", type=dt.date.fromisoformat, metavar="DATE",
                      help="the date the figures are taken at (YYYY-MM-DD; default today)")
    pack.add_argument("--scope", metavar="programme:NAME|department:NAME",
                      help="only this programme's or department's projects (default: the whole portfolio)")
    pack.add_argument("--sections", metavar="NAME,NAME",
                      help="the sections to include, comma-separated: Summary, Portfolio, Milestones, Financials, "
                           "Resources, RAID, Governance, Notes (default: all)")

    check = sub.add_parser("check", help="check integrity, foreign keys, schema version and the audit chain, "
                                          "then count compliance exceptions (these do not fail the check)")
    _add_database(check)
    check.add_argument("--today", type=dt.date.fromisoformat,
                       help="the date compliance is judged on (YYYY-MM-DD; default today)")

    escalate = sub.add_parser("escalate", help="apply the office's escalation rules to open RAID items")
    _add_database(escalate)
    escalate.add_argument("--today", type=dt.date.fromisoformat,
                          help="the date the rules are judged on (YYYY-MM-DD; default today)")
    escalate.add_argument("--dry-run", action="store_true", help="show what would escalate, write nothing")

    reminders = sub.add_parser("reminders", help="write what each project manager owes (missing reports, overdue "
                                                 "RAID actions, unmet gate conditions) as a workbook or text")
    _add_database(reminders)
    where = reminders.add_mutually_exclusive_group(required=True)
    where.add_argument("out", type=Path, nargs="?", metavar="OUT.xlsx", help="the workbook to write")
    where.add_argument("--text", action="store_true", help="print the reminders as plain text instead")
    reminders.add_argument("--today", type=dt.date.fromisoformat,
                           help="the date compliance is judged on (YYYY-MM-DD; default today)")
    return parser


def _open(args, *, source: str = "cli"):
    from .model.database import DatabaseError, open_database
    from .model.enums import AuditSource

    try:
        return open_database(args.database, source=AuditSource(source))
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_DATABASE) from exc
    except Exception as exc:  # OperationalError and friends: say which database, never its password
        from .model.database import display_url

        shown = display_url(args.database) if args.database and "://" in args.database else args.database
        print(f"error: cannot open the database {shown or '(default)'}: {exc}", file=sys.stderr)
        raise SystemExit(EXIT_DATABASE) from exc


def cmd_demo(args) -> int:
    from sqlalchemy import func, select

    from .demo import DemoSpec, build_demo
    from .model import Project

    db = _open(args)
    with db.session() as session:
        existing = session.scalar(select(func.count()).select_from(Project))
    if existing and not args.force:
        print(f"The database {db.display_url} already has {existing} projects; "
              "use --force to add the demo anyway, or name a new database.", file=sys.stderr)
        return EXIT_PROBLEMS
    spec = DemoSpec.scale(args.scale, seed=args.seed)
    summary = build_demo(db, spec, today=args.today or dt.date.today())
    print(f"Demo office created in {db.display_url}: {summary}")
    return EXIT_OK


def cmd_import(args) -> int:
    from .importer.pipeline import import_files

    db = _open(args, source="import")
    try:
        outcome = import_files(db, args.files, kind=args.kind, dry_run=args.dry_run, json=args.json,
                               rejects_path=args.rejects, datamap=args.datamap)
    except ValueError as exc:  # an unknown datamap, or a datamap with --kind
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if args.json:
        print(outcome.json_text)
    else:
        print(outcome.summary())
        if outcome.batch_ids:
            print(f"Import batches: {', '.join(map(str, outcome.batch_ids))} (undo with: pmo-desktop undo-import N)")
        for warning in outcome.warnings:
            print(f"warning: {warning}", file=sys.stderr)
    if outcome.rejects_path is not None:
        print(f"Rejected rows written to {outcome.rejects_path}", file=sys.stderr)
    for problem in outcome.file_errors:
        print(f"error: {problem.message}", file=sys.stderr)
    return outcome.exit_code


def cmd_datamap(args) -> int:
    from .importer.datamap import DatamapError, load_datamap_csv, save_datamap

    try:
        entries = load_datamap_csv(args.csv)
    except DatamapError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    db = _open(args)
    with db.transaction() as session:
        save_datamap(session, args.name, entries)
    canonical = sum(1 for entry in entries if entry.canonical)
    print(f"Datamap {args.name.strip()!r} stored: {len(entries)} cells, {canonical} mapped to project or status "
          f"fields, {len(entries) - canonical} kept as custom fields")
    return EXIT_OK


def cmd_undo_import(args) -> int:
    from .importer.apply import UndoError, undo_batch
    from .services.errors import ServiceError

    db = _open(args, source="cli")
    try:
        batch = undo_batch(db, args.batch)
    except (UndoError, ServiceError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_PROBLEMS
    print(f"Import batch {args.batch} ({batch.file_name}) undone.")
    return EXIT_OK


def cmd_history(args) -> int:
    from sqlalchemy import select

    from .model import ImportBatch

    db = _open(args)
    with db.session() as session:
        batches = session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).all()
    if not batches:
        print("No imports yet.")
    for b in batches:
        when = b.imported_at.strftime("%Y-%m-%d %H:%M") if b.imported_at else ""
        print(f"{b.id:>5}  {when}  {b.status:<8} {b.imported_by or '':<14} new {b.inserted:>6}  changed {b.updated:>6}"
              f"  rejected {b.rejected:>5}  {b.file_name}")
    return EXIT_OK


_TEMPLATE_OPTIONS = {"methodology": "--methodology", "baseline_start": "--start", "baseline_end": "--end"}
"""The option of ``template`` that a pre-fill field comes from, for the messages."""


def cmd_template(args) -> int:
    from .reports.templates import template_lists, template_project, write_template
    from .services.errors import ValidationError

    if args.out.suffix.lower() != ".xlsx":
        print(f"error: {args.out} must end in .xlsx", file=sys.stderr)
        return EXIT_BAD_INPUT
    db = _open(args)
    with db.session() as session:
        lists = template_lists(session)
        project = template_project(session, args.project) if args.project else None
        office = db.settings().office_name
    start, end, existing_raid = args.start, args.end, ()
    if project is not None:
        existing_raid = project.raid_items
        if args.kind == "milestones" and start is None and end is None:
            start, end = project.baseline_start, project.baseline_end
    elif args.project:
        print(f"warning: the office has no project {args.project} yet: import its project row before this "
              "template, or its rows will be rejected", file=sys.stderr)
    try:
        write_template(args.kind, args.out, lists=lists, methodology=args.methodology,
                       project_code=project.code if project is not None else args.project,
                       baseline_start=start, baseline_end=end, existing_raid=existing_raid, office_name=office)
    except ValidationError as exc:
        for error in exc.errors:
            print(f"error: {_TEMPLATE_OPTIONS.get(error.field, error.field)}: {error.message}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"error: cannot write {args.out}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Template written to {args.out}")
    return EXIT_OK


def _pack_sections(text: str | None) -> tuple[str, ...]:
    """The sections named on the command line, in the pack's order (case does not matter); all for none."""
    from .reports.exec_pack import SECTIONS

    if not text:
        return SECTIONS
    known = {name.lower(): name for name in SECTIONS}
    wanted = [part.strip() for part in text.split(",") if part.strip()]
    unknown = [part for part in wanted if part.lower() not in known]
    if unknown or not wanted:
        raise ValueError(f"--sections: {', '.join(unknown) or 'nothing'} is not a section of the pack; "
                         f"choose from {', '.join(SECTIONS)}")
    chosen = {known[part.lower()] for part in wanted}
    return tuple(name for name in SECTIONS if name in chosen)


def cmd_export_pack(args) -> int:
    from .reports.exec_pack import ExecPackError, write_exec_pack
    from .reports.pack_data import ScopeError, parse_scope

    suffix = args.out.suffix.lower()
    if suffix not in (".xlsx", ".pdf"):
        print(f"error: {args.out} must end in .xlsx (Excel workbook) or .pdf", file=sys.stderr)
        return EXIT_BAD_INPUT
    try:
        scope = parse_scope(args.scope)
        sections = _pack_sections(args.sections)
    except (ScopeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    db = _open(args)
    try:
        if suffix == ".pdf":
            from .ui.pdf import write_pdf_pack

            pdf = write_pdf_pack(db, args.out, as_of=args.as_of, scope=scope, sections=sections)
            print(f"Executive pack written to {pdf.path} ({pdf.pages} pages: {', '.join(pdf.sections)}; "
                  f"{pdf.seconds:.1f} s)")
            return EXIT_OK
        result = write_exec_pack(db, args.out, as_of=args.as_of, scope=scope, sections=sections)
    except (ScopeError, ExecPackError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = ", ".join(f"{name} {count:,}" for name, count in result.rows.items())
    print(f"Executive pack written to {result.path} ({rows}; {result.seconds:.1f} s)")
    return EXIT_OK


def cmd_check(args) -> int:
    from .services.integrity import add_compliance, run_checks

    db = _open(args)
    report = run_checks(db)
    add_compliance(db, report, args.today)  # information only: report.ok is the integrity verdict
    for line in report.lines():
        print(line)
    return EXIT_OK if report.ok else EXIT_PROBLEMS


def cmd_escalate(args) -> int:
    from .services.escalation import apply_escalations, escalations_due

    db = _open(args)
    today = args.today or dt.date.today()
    if args.dry_run:
        with db.session() as session:
            found = escalations_due(session, today)
    else:
        with db.transaction() as session:
            found = [applied.escalation for applied in apply_escalations(session, today)]
    if not found:
        print("Nothing to escalate.")
        return EXIT_OK
    for escalation in found:
        print(escalation.describe())
    verb = "would escalate" if args.dry_run else "escalated"
    print(f"{len(found)} item{'s' if len(found) != 1 else ''} {verb}.")
    return EXIT_OK


def cmd_reminders(args) -> int:
    from .analytics.governance import compliance_exceptions, reminders_text
    from .model.database import load_settings
    from .reports.reminders import TableExportError, write_reminders

    if args.out is not None and args.out.suffix.lower() != ".xlsx":
        print(f"error: {args.out} must end in .xlsx", file=sys.stderr)
        return EXIT_BAD_INPUT
    db = _open(args)
    today = args.today or dt.date.today()
    with db.session() as session:
        found = compliance_exceptions(session, today, load_settings(session))
    if args.text:
        text = reminders_text(found, today)
        print(text or "Nothing to remind: no missing reports, overdue RAID actions or gate conditions.")
        return EXIT_OK
    try:
        result = write_reminders(args.out, found, today)
    except TableExportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"Reminders for {result.managers} manager{'s' if result.managers != 1 else ''} "
          f"({result.items} item{'s' if result.items != 1 else ''}) written to {result.path}")
    return EXIT_OK


COMMANDS = {
    "demo": cmd_demo,
    "import": cmd_import,
    "datamap": cmd_datamap,
    "undo-import": cmd_undo_import,
    "history": cmd_history,
    "template": cmd_template,
    "export-pack": cmd_export_pack,
    "check": cmd_check,
    "escalate": cmd_escalate,
    "reminders": cmd_reminders,
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one headless command and return its exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on a usage error, 0 on --help
        return int(exc.code or 0)
    from .logging_setup import setup_logging
    from .model.database import DatabaseError

    setup_logging()
    try:
        return COMMANDS[args.command](args)
    except SystemExit as exc:
        return int(exc.code or 0)
    except DatabaseError as exc:  # locked, read-only, full disk, moved: the message says what to do
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_DATABASE
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
