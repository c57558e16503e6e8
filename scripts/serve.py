"""`scripts/run`: serve the archive, the index opened once and shared, the model loaded once per process.

One process per core (ARCHIVE_WORKERS or --workers to change): several are gunicorn's forked workers
(scripts/workers.py says why); one is waitress (a production WSGI server) in this process.  Host and
port from --host/--port, else ARCHIVE_HOST/ARCHIVE_PORT."""

from __future__ import annotations

import argparse
import logging
import sys
import threading

import waitress
from threadpoolctl import threadpool_limits

from index.facade import Archive, ArchiveError, LiveArchive, Settings
from scripts.workers import PreforkServer
from webapp import create_app

log = logging.getLogger("archive.serve")


def parser(settings: Settings) -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="scripts/run", description="Serve the newsletter archive over HTTP.")
    main.add_argument("--host", default=settings.host)
    main.add_argument("--port", type=int, default=settings.port)
    main.add_argument("--threads", type=int, default=settings.threads, help="request threads of each process")
    main.add_argument("--workers", type=int, default=settings.workers, help="server processes (default: one per core)")
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


def one_blas_thread() -> None:
    """numpy's BLAS (the vector scan of semantic search) on one thread per process: a search already
    runs its two sides on two threads, and the server runs a process per core, so BLAS's own threads
    only contend for the same cores (measured at 100,000 passages: a scan took 13 ms on one thread,
    24 ms on two).  Set before the fork, so every worker inherits it."""
    threadpool_limits(limits=1, user_api="blas")


def start_process(live: LiveArchive) -> None:
    """What each serving process starts for itself: following new generations, loading the model."""
    live.follow()
    warm_model(live.current())


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    one_blas_thread()
    try:
        settings = Settings.from_env()
        args = parser(settings).parse_args(argv)
        live = LiveArchive(settings)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    app = create_app(archive=live)
    print(f"Serving the newsletter archive on http://{args.host}:{args.port}/ ({max(1, args.workers)} "
          f"process{'es' if args.workers > 1 else ''})", file=sys.stderr, flush=True)
    if args.workers > 1:
        PreforkServer(app, args.host, args.port, args.workers, args.threads, lambda: start_process(live)).run()
        return 0
    start_process(live)
    waitress.serve(app, host=args.host, port=args.port, threads=args.threads, ident="", _quiet=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
