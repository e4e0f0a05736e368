"""Liveness endpoint for probes and the start-up script."""

from flask import Blueprint, jsonify

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    """Return 200 with a tiny JSON body when the service answers."""
    return jsonify(status="ok")
