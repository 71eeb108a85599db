"""Command groups of the ``pmo`` CLI (see ``pmo.cli``)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import NoReturn

from rich.console import Console
from rich.text import Text

from pmo.errors import PmoError

err_console = Console(stderr=True)


def django_setup() -> None:
    """Configure Django for commands that use the database (file commands never call it)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmo.settings")
    import django

    django.setup()


def fail(message: str, code: int = 1) -> NoReturn:
    """Print ``message`` as one line on stderr (never wrapped, never read as markup) and exit."""
    text = Text("error: ", style="bold red")
    text.append(message)
    err_console.print(text, highlight=False, soft_wrap=True)
    sys.exit(code)


def run_reporting_errors[T](func: Callable[[], T]) -> T:
    """Run ``func``; a ``PmoError`` becomes a clear one-line message and exit status 2."""
    try:
        return func()
    except PmoError as exc:
        fail(exc.message, code=2)
