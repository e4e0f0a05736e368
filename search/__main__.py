"""Run ``python -m search``."""

from .cli import main

main(prog_name="python -m search")
