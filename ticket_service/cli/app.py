"""The app a command works on: built from instance config and GUICHET_* env, checked like at start-up."""

from __future__ import annotations

import click


def load_app(verify: bool = True):
    """Build the app from instance config and GUICHET_* env; policy or storage problems become one-line errors."""
    from ticket_service import build_app
    from ticket_service.domain.policies import PolicyError
    from ticket_service.runtime import get_database
    from ticket_service.store.db import StorageError, check_schema, check_storage

    try:
        app = build_app()
        database = get_database(app)
        click.get_current_context().call_on_close(database.dispose)  # close pooled connections on exit
        if verify:  # the same checks as create_app
            check_storage(database, bool(app.config["ALLOW_ASYNC_COMMIT"]))
            check_schema(database)
        return app
    except (PolicyError, StorageError) as exc:
        raise click.ClickException(str(exc)) from None
