"""Run ``python -m ticket_service`` as the ``guichet`` command."""

from ticket_service.cli import main

main(prog_name="guichet")
