"""The ``pmo`` command.

Each group of commands lives in its own module under ``pmo.commands`` and exposes
``register(app)``. File commands (schedule, level, evm --series, bench) work without a
database: they never import Django. Commands that need the database call
``pmo.commands.django_setup()`` first.
"""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="pmo",
    help="pmo, the Project Management Office platform.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """pmo, the Project Management Office platform.

    File commands (schedule, level, bench, evm --series) need no database; the others use
    the database configured by PMO_DATABASE_URL (default: SQLite in PMO_DATA_DIR).
    """


# Order is the order of `pmo --help`.
COMMAND_MODULES = (
    "pmo.commands.platform",
    "pmo.commands.schedule",
    "pmo.commands.level",
    "pmo.commands.evm",
    "pmo.commands.resources",
    "pmo.commands.finance",
    "pmo.commands.interop",
)


def _register_all() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name == name:  # that command group is not written yet
                continue
            raise
        module.register(app)


_register_all()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
