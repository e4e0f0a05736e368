"""Job handlers by name: built-in ones register at import, extra modules (JOB_MODULES) register theirs."""

from __future__ import annotations

from typing import Any, Callable

from ticket_service.domain.clock import Clock

# handler(app, database, payload, clock) -> a short result for the log; it commits its own work.
Handler = Callable[[Any, Any, dict, Clock], Any]

HANDLERS: dict[str, Handler] = {}


def job(name: str) -> Callable[[Handler], Handler]:
    """Register the decorated function as the handler of jobs named ``name``."""
    def register(handler: Handler) -> Handler:
        HANDLERS[name] = handler
        return handler
    return register
