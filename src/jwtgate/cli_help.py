"""Readable ``--help`` for the ``jwtgate`` command.

Typer renders every parameter with its Python type (``--help <bool>``, ``--password-stdin
<bool>``, ``--role <list[str]>``, ``NAME <str>``) and a required argument as ``{name}`` in the
usage line, and its rich mode reads ``[default: ...]`` in a help text as markup and drops it.
Here a flag takes no value, so it shows none; every other parameter shows its name in capitals
(``NAME``, ``--role ROLE``, ``--port PORT``), as Unix manuals do, and help is plain text. A
parameter given an explicit ``metavar`` keeps it.
"""

from __future__ import annotations

from typing import Any

import typer.core

__all__ = ["ReadableHelpGroup", "typer_app"]


class _Argument(typer.core.TyperArgument):
    """An argument shown as ``NAME`` (required) or ``[NAME]``, without its Python type."""

    def display_type_rich(self, ctx: Any) -> str | None:
        return None

    def _usage_display_name(self) -> str:
        name = self.display_name_raw if self.required else f"[{self.display_name_raw}]"
        return name + ("..." if self.nargs != 1 else "")


def _readable(params: list[Any]) -> None:
    for param in params:
        if type(param) is typer.core.TyperArgument:
            param.__class__ = _Argument
        if param.metavar is not None:
            continue
        if getattr(param, "is_flag", False) or getattr(param, "count", False):
            param.metavar = ""
        else:
            param.metavar = (param.name or "value").upper()


class ReadableHelpGroup(typer.core.TyperGroup):
    """A command group whose help, and its commands' help, shows metavars instead of types.

    Every group of the command is one (see :func:`typer_app`); the commands it resolves are
    fixed on the way out, so commands need nothing.
    """

    def get_params(self, ctx: Any) -> list[Any]:
        params: list[Any] = super().get_params(ctx)
        _readable(params)
        return params

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        command = super().get_command(ctx, cmd_name)
        if command is not None and not isinstance(command, ReadableHelpGroup):
            # The help option is created once and cached by the command, so this lasts.
            help_option = command.get_help_option(ctx)
            _readable([*command.params, *([help_option] if help_option else [])])
        return command


def typer_app(help: str, **options: Any) -> typer.Typer:
    """A Typer app (the command or one of its groups) with the readable help."""
    return typer.Typer(
        help=help,
        no_args_is_help=True,
        cls=ReadableHelpGroup,
        rich_markup_mode=None,
        **options,
    )
