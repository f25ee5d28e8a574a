"""The ``rnntool`` command: a thin layer that parses, resolves names, calls the library, reports.

Start-up is kept cheap: the group knows its subcommands' names and one-line summaries
without importing them, and a subcommand's module (and torch with it) is imported only when
that subcommand runs, shows its help or completes one of its arguments.
"""

from __future__ import annotations

import importlib
import os
import sys
import traceback

import click
from click.shell_completion import CompletionItem, get_completion_class

from rnntool import __version__
from rnntool.errors import RnnToolError, RunFailedError

#: Subcommand → (module under rnntool.cli defining a click command named ``command``,
#: one-line summary shown by ``rnntool --help`` and by completion).
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("train", "Train models on a task with a learning rule."),
    "evaluate": ("evaluate", "Score models: accuracy and psychometric tables."),
    "fixedpoints": ("fixedpoints", "Find fixed and slow points and their stability."),
    "plot": ("plot", "Draw figures of model or population files."),
    "svcca": ("svcca", "Representational distances between groups of models."),
    "topology": ("topology", "Fixed-point topology distances between groups of models."),
    "import-miconi": ("import_miconi", "Import a network from Miconi's C++ program."),
    "sweep": ("sweep", "Train and analyse grids of rules, settings and seeds on Dask."),
    "geometry": ("geometry", "Precision and weight geometry of System A models (duration task)."),
    "statespace": ("statespace", "Task-aligned state space and circuit of IBL agents."),
    "vectorfield": ("vectorfield", "Vector fields, fixed points and basins of IBL agents."),
    "distill": ("distill", "Distil IBL agents into 2-unit agents (RADD, soft targets)."),
    "report": ("report", "One PDF with every figure of a model."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return [*COMMANDS, *sorted(self.commands)]

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name in self.commands:
            return self.commands[name]
        if name not in COMMANDS:
            return None
        return importlib.import_module(f"rnntool.cli.{COMMANDS[name][0]}").command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1] if name in COMMANDS
                 else self.commands[name].get_short_help_str(60))
                for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def shell_complete(self, ctx: click.Context, incomplete: str) -> list[CompletionItem]:
        items = [CompletionItem(name, help=help) for name, (_, help) in COMMANDS.items()
                 if name.startswith(incomplete)]
        items += [CompletionItem(name, help=cmd.get_short_help_str())
                  for name, cmd in self.commands.items() if name.startswith(incomplete)]
        if incomplete.startswith("-"):
            items += click.Command.shell_complete(self, ctx, incomplete)
        return items


@click.group(cls=LazyGroup, no_args_is_help=True,
             context_settings={"help_option_names": ["-h", "--help"], "show_default": True,
                               "max_content_width": 100})
@click.version_option(__version__, prog_name="rnntool")
def cli() -> None:
    """Train recurrent networks on cognitive tasks and reverse-engineer them.

    Every subcommand reads and writes documented HDF5 files, prints the paths it wrote on
    stdout (logs and progress go to stderr) and accepts '-' to read model names or paths
    from stdin. 'rnntool COMMAND --help' shows a command's options and examples.

    \b
    Examples:
      rnntool train bptt_mine -v 0.5 --N 2
      rnntool evaluate bptt_mine
      rnntool fixedpoints bptt_mine --mode sparse | rnntool plot - --kind pca
    """


@cli.command("completion")
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell-completion script for SHELL.

    It completes subcommands, options, model names (./models and the sample models),
    --rule, --task, --metric, --kind and the other choices.

    \b
    Examples:
      eval "$(rnntool completion bash)"        # in ~/.bashrc
      eval "$(rnntool completion zsh)"         # in ~/.zshrc
      rnntool completion fish > ~/.config/fish/completions/rnntool.fish
    """
    cls = get_completion_class(shell)
    assert cls is not None
    click.echo(cls(cli, {}, "rnntool", "_RNNTOOL_COMPLETE").source())


def _fail(code: int, message: str) -> None:
    first = str(message).strip().splitlines()[0] if str(message).strip() else "failed"
    click.echo(f"rnntool: error: {first}", err=True)
    sys.exit(code)


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI and turn every error into one line and an exit code."""
    try:
        cli.main(args=argv, prog_name="rnntool", standalone_mode=False)
    except click.exceptions.NoArgsIsHelpError as err:
        click.echo(err.ctx.get_help() if err.ctx else cli.get_help(click.Context(cli)))
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
    except Exception as err:  # noqa: BLE001 - the CLI never shows a traceback unless asked
        if os.environ.get("RNNTOOL_TRACEBACK"):
            traceback.print_exc()
        _fail(1, f"{type(err).__name__}: {err}")
    sys.exit(0)
