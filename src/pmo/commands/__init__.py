"""Command groups of the ``pmo`` CLI (see ``pmo.cli``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from rich.console import Console

from pmo.errors import PmoError

err_console = Console(stderr=True)


def django_setup() -> None:
    """Configure Django for commands that use the database (file commands never call it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo.settings")
    import django

    django.setup()


def fail(message: str, code: int = 1) -> NoReturn:
    err_console.print(f"[bold red]error:[/] {message}", highlight=False)
    sys.exit(code)


def run_reporting_errors[T](func: Callable[[], T]) -> T:
    """Run ``func``; a ``PmoError`` becomes a clear one-line message and exit status 2."""
    try:
        return func()
    except PmoError as exc:
        fail(exc.message, code=2)
