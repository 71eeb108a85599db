"""Platform commands: init, demo, serve, user, token, export, import.

Every command here uses the database, so each calls ``django_setup()`` inside the command
function: importing this module (``pmo --help``) does not load Django. Failures that pmo
expects (``PmoError``) are reported as one line with exit status 2.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.table import Table

from pmo.commands import django_setup, err_console, fail, run_reporting_errors
from pmo.errors import (
    Conflict,
    FieldError,
    FileFormatError,
    FileLocation,
    NotFound,
    PmoError,
    ValidationFailed,
)

console = Console(highlight=False, soft_wrap=True)  # messages stay one line in logs

ROLES = ("pmo_admin", "portfolio_manager", "project_manager", "team_member", "executive_viewer")


class OutputFormat(StrEnum):
    table = "table"
    json = "json"


@contextmanager
def _progress(title: str) -> Iterator[Callable[[str, int, int], None]]:
    """A progress bar on stderr; yields ``update(label, done, total)``."""
    columns = (
        SpinnerColumn(),
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=err_console, transient=True) as bar:
        task = bar.add_task(title, total=None)

        def update(label: str, done: int, total: int) -> None:
            bar.update(task, description=f"{title}: {label}", completed=done, total=total)

        yield update


def _database_label() -> str:
    from django.conf import settings

    db = settings.DATABASES["default"]
    engine = str(db["ENGINE"]).rsplit(".", 1)[-1]
    if engine == "sqlite3":
        return f"SQLite {db['NAME']}"
    host = db.get("HOST") or "localhost"
    port = f":{db['PORT']}" if db.get("PORT") else ""
    return f"{engine} {db.get('NAME')} on {host}{port}"


# ---------------------------------------------------------------------------------------
# init, demo, serve


def init(
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Only migrate; never ask for a superuser.")
    ] = False,
) -> None:
    """Create or update the database; offer to create the first superuser."""
    django_setup()

    def run() -> None:
        from django.contrib.auth import get_user_model
        from django.core.management import call_command

        with err_console.status(f"Migrating the database ({_database_label()})…"):
            call_command("migrate", interactive=False, verbosity=0)
        console.print(f"Database ready: {_database_label()}")
        if get_user_model()._default_manager.filter(is_superuser=True).exists():
            return
        if no_input:
            console.print(
                "No superuser yet: create one with `pmo user create NAME --superuser` "
                "(or load the demo: `pmo demo`)."
            )
            return
        console.print("No superuser yet: create the first one.")
        username = typer.prompt("Username", default="admin")
        email = typer.prompt("Email (optional)", default="", show_default=False)
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        _create_user(username, password, email=email, superuser=True)

    run_reporting_errors(run)


def demo(
    if_empty: Annotated[
        bool,
        typer.Option("--if-empty", help="Load only when the database has no organisation."),
    ] = False,
    logins: Annotated[
        bool,
        typer.Option(
            "--logins",
            help="Print the demo users, their passwords and the URL. Alone, loads nothing.",
        ),
    ] = False,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the generator.")] = 2026,
    host: Annotated[str, typer.Option(help="Host shown in the URL.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port shown in the URL.")] = 8000,
) -> None:
    """Load the demo: three client organisations, 40 projects, 4,000 tasks, 150 resources."""
    django_setup()

    def run() -> None:
        from pmo.demo.generate import load_demo
        from pmo.orgs.models import Organisation
        from pmo.projects.scheduling import schedule_all_projects

        if if_empty or not logins:
            if if_empty and Organisation.objects.exists():
                err_console.print(
                    "The database already has organisations: demo not loaded.", soft_wrap=True
                )
            else:
                with _progress("Loading the demo") as update:
                    summary = load_demo(seed, progress=update)
                with _progress("Scheduling the demo projects") as update:
                    scheduled = schedule_all_projects(progress=update)
                c = summary.counts
                console.print(
                    f"Demo loaded in {summary.seconds:.1f} s (seed {seed}): "
                    f"{c['orgs.organisation']} organisations, {c['projects.project']} projects, "
                    f"{c['projects.task']:,} tasks, {c['projects.dependency']:,} dependencies, "
                    f"{c['resources.resource']} resources, {c['auth.user']} new users; "
                    f"{scheduled} projects scheduled."
                )
                if not logins:
                    console.print("`pmo demo --logins` lists the demo users and passwords.")
        if logins:
            _print_logins(host, port)

    run_reporting_errors(run)


def _print_logins(host: str, port: int) -> None:
    from pmo.demo.generate import login_status

    table = Table(title="Demo logins", title_justify="left", box=box.SIMPLE_HEAD)
    # Usernames and passwords are never cut or wrapped: people copy them.
    table.add_column("Username", no_wrap=True, min_width=17)
    table.add_column("Password", no_wrap=True, min_width=22)
    table.add_column("Role")
    rows = 0
    for login, state in login_status():
        if state == "missing":
            continue
        password = login.password if state == "ok" else "(changed)"
        role = (
            login.role if login.scope == "whole organisation" else f"{login.role} ({login.scope})"
        )
        table.add_row(login.username, password, role)
        rows += 1
    if not rows:
        console.print("No demo users in this database: load the demo with `pmo demo`.")
        return
    console.print(table)
    console.print(f"Open http://{host}:{port}/ and log in with one of these.")


def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    threads: Annotated[int, typer.Option(help="Worker threads.")] = 8,
) -> None:
    """Serve the web application and the API (waitress; static files included)."""
    django_setup()

    def run() -> None:
        from django.conf import settings
        from django.db import connection
        from django.db.migrations.executor import MigrationExecutor
        from waitress import serve as waitress_serve

        from pmo.wsgi import application

        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            err_console.print(
                "[yellow]warning:[/] the database is not up to date: run `pmo init` first.",
                soft_wrap=True,
            )
        allowed = settings.ALLOWED_HOSTS
        if host not in ("127.0.0.1", "localhost", "0.0.0.0", "::") and not (  # noqa: S104
            host in allowed or "*" in allowed
        ):
            err_console.print(
                f"[yellow]warning:[/] {host} is not in PMO_ALLOWED_HOSTS; requests to it "
                "will be refused.",
                soft_wrap=True,
            )
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host  # noqa: S104
        console.print(f"pmo is serving on http://{shown}:{port}/ (Ctrl+C stops it)")
        try:
            waitress_serve(application, host=host, port=port, threads=threads, _quiet=True)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", code=2)
        except KeyboardInterrupt:
            err_console.print("Stopped.", soft_wrap=True)

    run_reporting_errors(run)


# ---------------------------------------------------------------------------------------
# users and tokens


def _create_user(
    username: str,
    password: str,
    *,
    email: str = "",
    superuser: bool = False,
    org_code: str | None = None,
    role: str | None = None,
) -> Any:
    from django.contrib.auth import get_user_model
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError
    from django.db import transaction

    from pmo.core.models import AuditEvent
    from pmo.core.services import record, snapshot
    from pmo.orgs.models import Membership, Organisation

    User = get_user_model()
    with transaction.atomic():
        if User._default_manager.filter(username=username).exists():
            raise Conflict(f"user {username!r} already exists")
        org = None
        if org_code is not None:
            org = Organisation.objects.filter(code=org_code).first()
            if org is None:
                raise NotFound(f"no organisation with code {org_code!r}")
        user = User(username=username, email=email, is_staff=superuser, is_superuser=superuser)
        try:
            user.full_clean(exclude=["password"])
        except ValidationError as exc:
            raise ValidationFailed(
                [FieldError((name,), " ".join(msgs)) for name, msgs in exc.message_dict.items()]
            ) from None
        try:
            validate_password(password, user)
        except ValidationError as exc:
            raise ValidationFailed.field("password", " ".join(exc.messages)) from None
        user.set_password(password)
        user.save()
        record(
            None,
            AuditEvent.Action.CREATE,
            user,
            {
                k: [None, getattr(user, k)]
                for k in ("username", "email", "is_staff", "is_superuser")
            },
            organisation_id=org.pk if org else None,
        )
        if org is not None and role is not None:
            membership = Membership.objects.create(user=user, organisation=org, role=role)
            record(
                None,
                AuditEvent.Action.CREATE,
                membership,
                {k: [None, v] for k, v in snapshot(membership).items()},
            )
    where = f", {role} of {org_code}" if org_code else ""
    kind = "superuser" if superuser else "user"
    console.print(f"Created {kind} {username}{where}.")
    return user


def user_create(
    username: Annotated[str, typer.Argument(help="The new user's login name.")],
    password: Annotated[
        str | None,
        typer.Option("--password", "-p", help="Password (asked for when not given)."),
    ] = None,
    email: Annotated[str, typer.Option(help="Email address.")] = "",
    org: Annotated[
        str | None, typer.Option("--org", help="Organisation code to make the user a member of.")
    ] = None,
    role: Annotated[
        str | None,
        typer.Option("--role", help="Role in --org: " + ", ".join(ROLES) + "."),
    ] = None,
    superuser: Annotated[
        bool, typer.Option("--superuser", help="An instance administrator: sees everything.")
    ] = False,
) -> None:
    """Create a user, optionally a member of an organisation with a role."""
    if (org is None) != (role is None):
        fail("give --org and --role together", code=2)
    if role is not None and role not in ROLES:
        fail(f"unknown role {role!r}: use one of {', '.join(ROLES)}", code=2)
    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    django_setup()
    pw: str = password
    run_reporting_errors(
        lambda: _create_user(
            username, pw, email=email, superuser=superuser, org_code=org, role=role
        )
    )


def user_list(
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """List users with their organisations and roles."""
    django_setup()

    def run() -> None:
        from django.contrib.auth import get_user_model

        from pmo.orgs.models import Membership

        users = list(get_user_model()._default_manager.order_by("username"))
        orgs: dict[int, list[dict[str, Any]]] = {}
        for m in Membership.objects.select_related("organisation", "portfolio", "project").order_by(
            "organisation__code", "role", "id"
        ):
            orgs.setdefault(m.user_id, []).append(
                {
                    "code": m.organisation.code,
                    "role": m.role,
                    "portfolio": m.portfolio.code if m.portfolio else None,
                    "project": m.project.code if m.project else None,
                }
            )
        rows: list[dict[str, Any]] = [
            {
                "username": u.get_username(),
                "name": u.get_full_name(),
                "email": u.email,
                "is_superuser": u.is_superuser,
                "is_active": u.is_active,
                "organisations": orgs.get(u.pk, []),
            }
            for u in users
        ]
        if format == OutputFormat.json:
            typer.echo(json.dumps(rows, indent=2, ensure_ascii=False))
            return
        table = Table()
        for column in ("Username", "Name", "Email", "Memberships", "Flags"):
            table.add_column(column)
        for row in rows:
            memberships = ", ".join(
                f"{o['code']}: {o['role']}"
                + (f" ({o['project'] or o['portfolio']})" if o["project"] or o["portfolio"] else "")
                for o in row["organisations"]
            )
            flags = " ".join(
                f
                for f, on in (
                    ("superuser", row["is_superuser"]),
                    ("inactive", not row["is_active"]),
                )
                if on
            )
            table.add_row(row["username"], row["name"], row["email"], memberships or "—", flags)
        console.print(table)

    run_reporting_errors(run)


def token_create(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    name: Annotated[str, typer.Option("--name", help="What the token is for.")] = "cli",
) -> None:
    """Create an API token; only the token is printed (on stdout), once."""
    django_setup()

    def run() -> None:
        from django.db import transaction

        from pmo.core.tokens import do_create_token, user_by_name

        with transaction.atomic():
            user = user_by_name(username)
            row, token = do_create_token(None, name, user=user)
        typer.echo(token)
        err_console.print(
            f"Token {row.name!r} (id {row.pk}) created for {username}; it is shown only this once.",
            highlight=False,
            soft_wrap=True,
        )

    run_reporting_errors(run)


def token_list(
    username: Annotated[str, typer.Argument(help="Whose tokens.")],
    format: Annotated[
        OutputFormat, typer.Option("--format", "-f", help="table or json.")
    ] = OutputFormat.table,
) -> None:
    """List a user's API tokens: id, name, prefix, created, last used, revoked."""
    django_setup()

    def run() -> None:
        from pmo.core.models import ApiToken
        from pmo.core.tokens import user_by_name

        user: Any = user_by_name(username)
        rows: list[dict[str, Any]] = [
            {
                "id": t.pk,
                "name": t.name,
                "prefix": t.prefix,
                "created_at": t.created_at.isoformat(),
                "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                "revoked_at": t.revoked_at.isoformat() if t.revoked_at else None,
            }
            for t in ApiToken.objects.filter(user_id=user.pk)
        ]
        if format == OutputFormat.json:
            typer.echo(json.dumps(rows, indent=2))
            return
        table = Table()
        for column in ("Id", "Name", "Starts with", "Created", "Last used", "State"):
            table.add_column(column)
        for r in rows:
            table.add_row(
                str(r["id"]),
                r["name"],
                f"{r['prefix']}…",
                r["created_at"][:16],
                (r["last_used_at"] or "never")[:16],
                f"revoked {r['revoked_at'][:10]}" if r["revoked_at"] else "active",
            )
        console.print(table)

    run_reporting_errors(run)


def token_revoke(
    username: Annotated[str, typer.Argument(help="Whose token.")],
    token_id: Annotated[int, typer.Argument(help="The token's id (pmo token list USERNAME).")],
) -> None:
    """Revoke a user's API token: it no longer opens the API (audited)."""
    django_setup()

    def run() -> None:
        from django.db import transaction

        from pmo.core.tokens import do_revoke_token, user_by_name

        with transaction.atomic():
            row = do_revoke_token(None, token_id, user=user_by_name(username))
        console.print(f"Token {row.name!r} ({row.prefix}…) of {username} revoked.")

    run_reporting_errors(run)


def user_reset_feed(
    username: Annotated[str, typer.Argument(help="Whose calendar feed links to reset.")],
) -> None:
    """Reset a user's calendar feed links: every feed URL they handed out stops working."""
    django_setup()

    def run() -> None:
        from pmo.core.feeds import do_reset_feed_links
        from pmo.core.tokens import user_by_name

        row = do_reset_feed_links(None, user_by_name(username))
        console.print(
            f"Calendar feed links of {username} reset at {row.reset_at:%Y-%m-%d %H:%M:%S} UTC: "
            "the feed URLs given out before answer 404."
        )

    run_reporting_errors(run)


# ---------------------------------------------------------------------------------------
# export and import


class ExportFormat(StrEnum):
    json = "json"
    mspdi = "mspdi"
    xer = "xer"
    xlsx = "xlsx"
    csv = "csv"
    ics = "ics"


def export(
    target: Annotated[
        str,
        typer.Argument(
            metavar="ORG|PROJECT",
            help="Organisation code; with --format mspdi/xer/xlsx/csv/ics, a project code.",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", "-o", help="File to write ('-': stdout).")],
    fmt: Annotated[
        ExportFormat | None,
        typer.Option(
            "--format",
            "-f",
            help="json (default): the whole organisation; mspdi, xer, xlsx, csv, ics: a project.",
        ),
    ] = None,
    org: Annotated[
        str | None, typer.Option("--org", help="The project's organisation, if the code repeats.")
    ] = None,
    table: Annotated[str, typer.Option(help="What a CSV holds: tasks, risks or issues.")] = "tasks",
) -> None:
    """Export a whole organisation as one JSON document, or a project as a file."""
    if fmt is not None and fmt != ExportFormat.json:
        from pmo.commands.interop import export_project_file

        export_project_file(target, fmt=fmt.value, out=out, org=org, table=table)
        return
    django_setup()

    def run() -> None:
        from pmo.orgs.models import Organisation
        from pmo.orgs.transfer import document_counts, export_organisation

        organisation = Organisation.objects.filter(code=target).first()
        if organisation is None:
            raise NotFound(f"no organisation with code {target!r}")
        with _progress(f"Exporting {target}") as update:
            doc = export_organisation(organisation, progress=update)
        text = json.dumps(doc, indent=1, ensure_ascii=False) + "\n"
        if str(out) == "-":
            sys.stdout.write(text)
            sys.stdout.flush()
        else:
            _write_atomically(out, text)
        counts = document_counts(doc)
        err_console.print(
            f"Exported {target}: {counts['projects']} projects, {counts['tasks']:,} tasks, "
            f"{counts['resources']} resources, {counts['users']} users"
            + ("" if str(out) == "-" else f" → {out}"),
            highlight=False,
            soft_wrap=True,
        )

    run_reporting_errors(run)


def _write_atomically(path: Path, text: str) -> None:
    directory = path.resolve().parent
    if not directory.is_dir():
        fail(f"cannot write {path}: folder {directory} does not exist", code=2)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        umask = os.umask(0)
        os.umask(umask)
        Path(tmp).chmod(0o666 & ~umask)  # as an ordinary new file, not mkstemp's 0600
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def import_(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE",
            help="A `pmo export` JSON document, or a project file: MSPDI .xml, XER, .mpp, "
            "CSV or XLSX task list.",
        ),
    ],
    org: Annotated[
        str | None, typer.Option("--org", help="Project files: the organisation to import into.")
    ] = None,
    portfolio: Annotated[
        str | None,
        typer.Option("--portfolio", help="Project files: the portfolio code (if several)."),
    ] = None,
    check: Annotated[
        bool,
        typer.Option(
            "--check",
            help="Project files: print what would be created and the fidelity report (pmo's "
            "schedule against the file's dates); without --org, no database is used.",
        ),
    ] = False,
    code: Annotated[str, typer.Option(help="Project code (default: the file's).")] = "",
    name: Annotated[str, typer.Option(help="Project name (default: the file's).")] = "",
    fmt: Annotated[
        str | None,
        typer.Option("--format", help="mspdi, xer, mpp, csv or xlsx (default: by content)."),
    ] = None,
    mapping: Annotated[
        str | None,
        typer.Option(help='CSV/XLSX column mapping as JSON, e.g. {"name": "Task Name"}.'),
    ] = None,
    sheet: Annotated[str | None, typer.Option(help="XLSX: the sheet (default: the first).")] = None,
    minutes_per_day: Annotated[
        int, typer.Option(help="CSV/XLSX: minutes in a day of duration.", min=1, max=1440)
    ] = 480,
    resources: Annotated[
        str,
        typer.Option(help="create (match by code, add the others), match (only) or none."),
    ] = "create",
    limit: Annotated[int, typer.Option(help="--check: tasks that differ to list.")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Import an organisation exported with `pmo export` (refused if its code exists), or a
    project file (MS Project, Primavera P6, CSV/Excel task list) into --org."""
    try:
        data = file.read_bytes()
    except OSError as exc:
        fail(f"cannot read {file}: {exc.strerror or exc}", code=2)
    from pmo.interop.projectfile import is_organisation_json

    if not is_organisation_json(data, file.name):
        from pmo.commands import interop

        columns = interop._mapping(mapping)
        if check and org is None:
            try:
                interop.check_file(
                    file,
                    fmt=fmt,
                    mapping=columns,
                    sheet=sheet,
                    minutes_per_day=minutes_per_day,
                    limit=limit,
                    as_json=as_json,
                )
            except PmoError as exc:
                fail(exc.message, code=2)
            return
        if org is None:
            fail(
                f"{file.name} is a project file: give --org ORG (and --portfolio CODE) to import "
                "it, or --check alone to compare pmo's schedule with it without a database",
                code=2,
            )
        interop.import_project_file(
            file,
            org=org,
            portfolio=portfolio,
            check=check,
            code=code,
            name=name,
            fmt=fmt,
            mapping=columns,
            sheet=sheet,
            minutes_per_day=minutes_per_day,
            resources=resources,
            limit=limit,
            as_json=as_json,
        )
        return
    if org or portfolio or check:
        fail("--org, --portfolio and --check are for project files, not organisations", code=2)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        fail(f"cannot read {file}: {exc}", code=2)
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        err = FileFormatError(
            f"not valid JSON: {exc.msg} (column {exc.colno})",
            FileLocation(file=str(file), line=exc.lineno),
        )
        fail(err.message, code=2)
    django_setup()

    def run() -> None:
        from pmo.orgs.transfer import document_counts, import_organisation

        with _progress(f"Importing {file.name}") as update:
            org = import_organisation(doc, None, progress=update)
        counts = document_counts(doc)
        console.print(
            f"Imported organisation {org.code} ({org.name}): {counts['projects']} projects, "
            f"{counts['tasks']:,} tasks, {counts['resources']} resources, "
            f"{counts['users']} users."
        )

    run_reporting_errors(run)


def register(app: typer.Typer) -> None:
    app.command("init")(init)
    app.command("demo")(demo)
    app.command("serve")(serve)
    users = typer.Typer(help="User accounts.", no_args_is_help=True)
    users.command("create")(user_create)
    users.command("list")(user_list)
    users.command("reset-feed")(user_reset_feed)
    app.add_typer(users, name="user")
    tokens = typer.Typer(help="Personal API tokens.", no_args_is_help=True)
    tokens.command("create")(token_create)
    tokens.command("list")(token_list)
    tokens.command("revoke")(token_revoke)
    app.add_typer(tokens, name="token")
    app.command("export")(export)
    app.command("import")(import_)
