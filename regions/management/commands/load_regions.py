from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from regions.services import RegionFileError, regions_load


class Command(BaseCommand):
    help = "Load or update administrative divisions from a CSV (code,name,level,parent_code). Idempotent."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("csv_files", nargs="+", type=Path)
        parser.add_argument("--release", default="", help="Name of the source release, e.g. 'NBS 2020'.")
        parser.add_argument(
            "--retire-missing",
            action="store_true",
            help="Mark regions of the file's levels and area that the file no longer lists as not in use.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        for path in options["csv_files"]:
            if not path.is_file():
                raise CommandError(f"File not found: {path}")
            try:
                result = regions_load(
                    actor=None,
                    content=path.read_bytes(),
                    release=options["release"] or path.stem,
                    retire_missing=options["retire_missing"],
                )
            except RegionFileError as exc:
                raise CommandError(f"{path.name}: {exc}") from exc
            if result.errors:
                raise CommandError(f"{path.name}: nothing loaded.\n" + "\n".join(result.errors[:50]))
            self.stdout.write(
                f"{path.name}: {result.created} created, {result.updated} updated, "
                f"{result.unchanged} unchanged, {result.retired} retired"
            )
