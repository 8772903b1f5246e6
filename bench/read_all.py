"""The floor of `kjob get jobs` over many jobs: a Click program that lists the jobs directory and
parses every object file, and does nothing else."""

from __future__ import annotations

import json
import os

import click


@click.command()
@click.argument("directory", type=click.Path(exists=True, file_okay=False))
def main(directory: str) -> None:
    count = 0
    for entry in sorted(os.listdir(directory)):
        if entry.endswith(".json"):
            with open(os.path.join(directory, entry), "rb") as f:
                json.loads(f.read())
            count += 1
    click.echo(f"{count} objects")


if __name__ == "__main__":
    main()
