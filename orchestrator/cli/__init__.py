"""The ``orchestrator`` command: one entry point, one sub-command group per job."""

from __future__ import annotations

import click

from orchestrator.config import ConfigError, load_settings

from .db import db
from .sandbox import sandbox
from .serve import api, serve, worker
from .template import template


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", "config_file", type=click.Path(dir_okay=False),
              help="Configuration file (TOML). Default: $ORCHESTRATOR_CONFIG or ./orchestrator.toml.")
@click.pass_context
def main(ctx: click.Context, config_file: str | None) -> None:
    """Heat-compatible orchestration: HOT templates in, cloud resources out."""
    try:
        ctx.obj = load_settings(config_file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


main.add_command(template)
main.add_command(db)
main.add_command(serve)
main.add_command(api)
main.add_command(worker)
main.add_command(sandbox)
