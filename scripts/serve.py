"""`scripts/run`: serve the archive, the index opened once and shared, the model loaded once per process.

One process per core (ARCHIVE_WORKERS or --workers to change): several are gunicorn's forked workers
(scripts/workers.py says why); one is waitress (a production WSGI server) in this process.  Host and
port from --host/--port, else ARCHIVE_HOST/ARCHIVE_PORT.

The site comes up whenever a good index generation exists: when the index must be built (the archive
changed, the code or model changed, the served generation is damaged), the last good generation is
served at once and the build runs in the background, in its own process; every server process
switches to its generation when it is done, or the failure is logged and the last good generation
kept.  Only with no good generation at all is the index built before serving (and a failure is the
exit message)."""

from __future__ import annotations

import argparse
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path

import waitress
from threadpoolctl import threadpool_limits
from waitress.channel import HTTPChannel
from waitress.task import ErrorTask

from index.facade import Archive, ArchiveError, IndexUnavailable, LiveArchive, Settings, index_staleness
from scripts.workers import PreforkServer
from webapp import SECURITY_HEADERS, create_app

log = logging.getLogger("archive.serve")
ROOT = Path(__file__).resolve().parent.parent
BUILD_COMMAND = [sys.executable, "-m", "scripts.cli", "build"]  # inherits the environment: ARCHIVE_* settings


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
    errors with the security headers.  Start it with `.run()`.  It waits on its sockets with poll(),
    not select(), which fails once the process has 1024 files open: every mapped column of an open
    index generation holds one (index.store.columns), and a switch keeps the old generation open
    until its last request is done."""
    server = waitress.create_server(app, host=host, port=port, threads=threads, ident="", asyncore_use_poll=True,
                                    **options)
    server.channel_class = _SecuredChannel  # waitress makes each connection's channel from this
    return server


class BackgroundBuild:
    """`scripts/archive build` in a process of its own, while the server serves the last good
    generation; its outcome is logged (its own messages go to the server's output)."""

    def __init__(self, reason: str, serving: str):
        log.info("serving %s while the index is built in the background: %s", serving, reason)
        self.process = subprocess.Popen(BUILD_COMMAND, cwd=ROOT, stdin=subprocess.DEVNULL)
        self._owner = os.getpid()  # gunicorn's workers are forks of this process, and not its parent
        threading.Thread(target=self._report, name="background-build", daemon=True).start()

    def _report(self) -> None:
        status = self.process.wait()
        if status == 0:
            log.info("the background build is done; its generation is served from now on")
        else:
            log.error("the background build failed (exit status %s; its messages are above); "
                      "still serving the last good generation", status)

    def stop(self) -> None:
        """Stop a build still running (it leaves the index as it was)."""
        if os.getpid() == self._owner and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=60)


def open_or_build(settings: Settings, reason: str | None) -> tuple[LiveArchive, bool]:
    """The last good generation, opened, and whether it had to be built first because there was none
    (ArchiveError if that build fails).  The build runs in a process of its own, so that the process
    gunicorn forks has loaded no model and started no thread pools (they do not survive a fork)."""
    try:
        return LiveArchive(settings), False
    except IndexUnavailable as exc:
        if reason is None:
            raise
        print(f"no good index generation ({exc}); building the index: {reason}", file=sys.stderr, flush=True)
        if subprocess.run(BUILD_COMMAND, cwd=ROOT, stdin=subprocess.DEVNULL).returncode != 0:
            raise ArchiveError("the index could not be built (the build's messages are above)") from None
        return LiveArchive(settings), True


def one_blas_thread() -> None:
    """numpy's BLAS (the vector scan of semantic search) on one thread per process: the server runs a
    process per core, so BLAS's own threads only contend for the same cores (measured at 100,000
    passages: a scan took 13 ms on one thread, 24 ms on two).  Set before the fork, so every worker
    inherits it."""
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
        reason = index_staleness(settings)  # None: the served generation is good and up to date
        live, built = open_or_build(settings, reason)
        app = create_app(archive=live, settings=settings)
    except ArchiveError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    background = None
    if reason is not None and not built:
        background = BackgroundBuild(reason, live.current().generation.name)
    print(f"Serving the newsletter archive on http://{args.host}:{args.port}/ ({max(1, args.workers)} "
          f"process{'es' if args.workers > 1 else ''})", file=sys.stderr, flush=True)
    try:
        if args.workers > 1:
            PreforkServer(app, args.host, args.port, args.workers, args.threads, lambda: start_process(live)).run()
        else:
            start_process(live)
            create_server(app, args.host, args.port, args.threads).run()
    finally:
        if background:
            background.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
