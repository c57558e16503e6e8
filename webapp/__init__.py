"""The web front end and JSON API of the newsletter archive.  Uses index.facade and nothing deeper.

    app = create_app()                          # serves the index named by the environment, following new builds
    app = create_app(archive=opened_archive)    # tests: an Archive that is already open, or a LiveArchive
"""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from index.facade import Archive, ArchiveError, BadRequest, IndexUnavailable, LiveArchive, Settings, UnknownId

from . import api, feeds, figure_pages, pages
from .hosts import guard_hosts

log = logging.getLogger(__name__)

SECURITY_HEADERS = {
    "Content-Security-Policy": ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
                                "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}

STATUS_OF = {BadRequest: 400, UnknownId: 404, IndexUnavailable: 503}


def create_app(archive: Archive | LiveArchive | None = None, settings: Settings | None = None, **config) -> Flask:
    """The Flask app serving `archive`, or else the index that `settings` (default: the environment's)
    names, switching to each new generation when a build completes.  Links are built as `settings`
    say (webapp.hosts); ArchiveError for a configuration that cannot be used."""
    settings = settings or Settings.from_env()
    app = Flask(__name__)
    app.config.update(config)
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    guard_hosts(app, settings)
    app.extensions["archive"] = archive or LiveArchive(settings)
    app.register_blueprint(pages.bp)
    app.register_blueprint(figure_pages.bp)
    app.register_blueprint(feeds.bp)
    app.register_blueprint(api.bp, url_prefix="/api")
    app.register_error_handler(ArchiveError, handle_archive_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(Exception, handle_unexpected_error)
    app.after_request(add_security_headers)
    return app


def wants_json() -> bool:
    return request.path == "/api" or request.path.startswith("/api/")


def error_response(status: int, message: str):
    if wants_json():
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def handle_archive_error(exc: ArchiveError):
    status = next((code for kind, code in STATUS_OF.items() if isinstance(exc, kind)), 500)
    if status == 500:
        return handle_unexpected_error(exc)
    return error_response(status, str(exc))


def handle_http_error(exc: HTTPException):
    if exc.code == 404 and request.url_rule is None:
        return error_response(404, f"there is nothing at {request.path[:200]}")
    if exc.code == 405:
        return error_response(405, f"{request.method} is not allowed here; use {', '.join(exc.valid_methods or ['GET'])}")
    return error_response(exc.code or 500, exc.description or exc.name)


def handle_unexpected_error(exc: Exception):
    """A bug, not a user's mistake: logged in full, answered without details."""
    log.exception("unexpected error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(500, "internal error: something went wrong on our side")


def add_security_headers(response):
    response.headers.update(SECURITY_HEADERS)
    return response
