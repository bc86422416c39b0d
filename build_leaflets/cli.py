"""Command line: parse options, call `build`, print what happened, set the exit status.

No logic of its own lives here, so everything the commands do can be tested without a terminal.
"""

from __future__ import annotations

import json
from pathlib import Path

import click

from build_leaflets import __version__, build, model
from build_leaflets.config import Project, load_project

_OUT_HELP = "Folder for the built files (default: output/ in the project folder)."


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="build-leaflets")
def cli() -> None:
    """Publish patient-information leaflets from YAML files.

    Each leaflet is one YAML file in leaflets/. `build-leaflets check` tells you about any
    mistakes (with the file, line and field); `build-leaflets build` makes a web page and a
    versioned PDF of every leaflet in output/.

    Run a command with --help to see its options, e.g. `build-leaflets build --help`.
    """


@cli.command(name="build")
@click.argument("references", nargs=-1, metavar="[REFERENCE]...")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), help=_OUT_HELP)
@click.option(
    "--page-size",
    type=click.Choice(["A4", "A5"], case_sensitive=False),
    help="Paper size of the PDFs (default: page_size in pyproject.toml, or A4).",
)
def build_command(references: tuple[str, ...], out: Path | None, page_size: str | None) -> None:
    """Check every leaflet, then write its web page and PDF.

    With no REFERENCE every leaflet in leaflets/ is built; name references (e.g. PSY-0101)
    to build only those. All leaflets are checked first, and nothing is written if any of
    them has a mistake.

    \b
    Output:
      output/<REFERENCE>.html                         the leaflet as a web page
      output/pdf/<REFERENCE>/<REFERENCE>-v<N>.pdf     the PDF of version N
      output/drafts/                                  leaflets with status: draft
      output/index.html                               a list of every leaflet

    A PDF, once written, is never replaced by a different one: to change a published
    leaflet, raise its version and last_updated.
    """
    project = _project()
    result = build.build(
        project, references, out=out, page_size=page_size.upper() if page_size else None
    )
    for reference, files in result.files.items():
        for file in files:
            click.echo(f"{reference}: {file.outcome.value}: {file.path}")
    for reference, message in result.failures.items():
        click.echo(f"{reference}: failed: {message}", err=True)
    built = len(result.files) - 1
    if not result.ok:
        raise click.exceptions.Exit(
            _fail(f"{len(result.failures)} leaflet(s) failed, {built} built.")
        )
    click.echo(f"Built {built} leaflet(s).")


@cli.command(name="check")
@click.argument("paths", nargs=-1, type=click.Path(exists=True, path_type=Path))
def check_command(paths: tuple[Path, ...]) -> None:
    """Check leaflets for mistakes without writing anything.

    With no PATH every leaflet in leaflets/ is checked; give files or folders to check only
    those. Each mistake is printed as `file:line:column: field: what to fix`, and the exit
    status is 1 if there are any, so this works in editors, pre-commit hooks and CI.
    """
    sources = build.check(_project(), paths)
    click.echo(f"{len(sources)} leaflet(s) checked: no problems found.")


@cli.command(name="schema")
def schema_command() -> None:
    """Print the JSON Schema of a leaflet file.

    Editors use it to suggest fields and flag mistakes as you type. For VS Code's YAML
    extension, save it (build-leaflets schema > leaflet.schema.json) and add to the top of
    each leaflet: # yaml-language-server: $schema=../leaflet.schema.json
    """
    click.echo(json.dumps(model.json_schema(), indent=2, sort_keys=False))


def _project() -> Project:
    return load_project(Path.cwd())


def _fail(message: str) -> int:
    click.echo(message, err=True)
    return 1


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="build-leaflets")
