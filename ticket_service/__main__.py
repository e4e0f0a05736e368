"""Run ``python -m ticket_service`` as the ``guichet`` command."""

from .cli import main

main(prog_name="guichet")
