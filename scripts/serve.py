"""`scripts/run`: serve the archive with waitress (a production WSGI server), the index and the model
loaded once per process.  Host and port from --host/--port, else ARCHIVE_HOST/ARCHIVE_PORT."""

from __future__ import annotations

import argparse
import logging
import os
import sys
import threading

import waitress
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from index.facade import Archive, ArchiveError, LiveArchive, Settings
from webapp import SECURITY_HEADERS, create_app

log = logging.getLogger("archive.serve")


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="scripts/run", description="Serve the newsletter archive over HTTP.")
    main.add_argument("--host", default=os.environ.get("ARCHIVE_HOST", "127.0.0.1"))
    main.add_argument("--port", type=int, default=os.environ.get("ARCHIVE_PORT", "8000"))
    main.add_argument("--threads", type=int, default=os.environ.get("ARCHIVE_THREADS", "8"))
    return main


def warm_model(archive: Archive) -> None:
    """Load the embedding model in the background: keyword search answers meanwhile, and the first
    semantic query does not wait seconds for the model."""
    def load() -> None:
        try:
            archive.warm_model()
            log.info("embedding model ready")
        except ArchiveError as exc:
            log.error("semantic search unavailable: %s", exc)

    threading.Thread(target=load, name="warm-model", daemon=True).start()


class _SecuredErrorTask(ErrorTask):
    """waitress's own error answer (a request it cannot parse, headers or body too large), which never
    reaches the app, with the app's security headers."""

    def execute(self) -> None:
        self.response_headers.extend(SECURITY_HEADERS.items())
        super().execute()


class _SecuredChannel(HTTPChannel):
    error_task_class = _SecuredErrorTask


def create_server(app, host: str, port: int, threads: int, **options):
    """A waitress server for `app` that names no server (no Server header) and answers its own
    errors with the security headers.  Start it with `.run()`."""
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="", **options)
    server.channel_class = _SecuredChannel  # waitress makes each connection's channel from this
    return server


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    args = parser().parse_args(argv)
    settings = Settings.from_env()
    try:
        live = LiveArchive(settings)
        app = create_app(archive=live, settings=settings)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    warm_model(live.current())
    server = create_server(app, args.host, args.port, args.threads)
    print(f"Serving the newsletter archive on http://{args.host}:{args.port}/", file=sys.stderr, flush=True)
    server.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
