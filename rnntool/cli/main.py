"""The ``rnntool`` command: a thin layer that parses, resolves names, calls the library, reports."""

from __future__ import annotations

import importlib
import sys

import click

from rnntool import __version__
from rnntool.errors import RnnToolError, RunFailedError

#: Modules under rnntool.cli that each define one click command named ``command``; the
#: command's name is the module's with '-' for '_'. They are imported only when used, so
#: ``rnntool train`` does not pay for the analysis stack's imports.
COMMAND_MODULES = ("train", "evaluate", "svcca", "topology", "fixedpoints", "plot", "import_miconi",
                   "sweep", "geometry")


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(m.replace("_", "-") for m in COMMAND_MODULES)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        module = name.replace("-", "_")
        if module not in COMMAND_MODULES:
            return None
        return importlib.import_module(f"rnntool.cli.{module}").command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="rnntool")
def cli() -> None:
    """Train recurrent networks on cognitive tasks and reverse-engineer them.

    Every subcommand prints the paths it wrote on stdout (logs and progress go to stderr)
    and accepts '-' to read model names or paths from stdin.
    """


def _fail(code: int, message: str) -> None:
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    click.echo(f"rnntool: error: {first}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="rnntool", standalone_mode=False)
    except click.exceptions.Abort:
        _fail(1, "interrupted")
    except click.ClickException as err:
        _fail(2, err.format_message())
    except RnnToolError as err:
        _fail(2, str(err))
    except RunFailedError as err:
        _fail(1, str(err))
    except KeyboardInterrupt:
        _fail(1, "interrupted")
    except BrokenPipeError:
        sys.exit(1)
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback
        _fail(1, f"{type(err).__name__}: {err}")
    sys.exit(0)
