"""Run an ASGI app with uvicorn on a background thread: for tests, benchmarks and make run."""

from __future__ import annotations

import threading
import time
from typing import Any

import uvicorn

from sandboxes.tls import TlsFiles


class BackgroundServer:
    def __init__(
        self, app: Any, host: str = "127.0.0.1", port: int = 0, tls: TlsFiles | None = None
    ) -> None:
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning",
            lifespan="auto",
            ssl_certfile=str(tls.server_cert) if tls else None,
            ssl_keyfile=str(tls.server_key) if tls else None,
            # An idle keep-alive TLS client never answers close_notify: don't wait for it.
            timeout_graceful_shutdown=1,
            # uvicorn drops idle keep-alive connections after 5 s, the very pause a client
            # polling a Bulk job makes: the client then reuses a socket the server is closing
            # (RemoteDisconnected). Real API front ends keep them far longer.
            timeout_keep_alive=75,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self.host = host
        self.scheme = "https" if tls else "http"
        self.port = port

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def start(self, timeout: float = 10.0) -> BackgroundServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError(f"server on {self.host}:{self.port} did not start")
            time.sleep(0.01)
        sockets = self._server.servers[0].sockets
        self.port = sockets[0].getsockname()[1]
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
