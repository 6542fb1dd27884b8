"""A TCP forwarder that can be cut, to drill outages of PostgreSQL or Redis without touching them.

The production tests point the topology at PostgreSQL and Redis through one of these. `cut()`
resets every open connection and refuses new ones, which is what clients see while a server
restarts; `restore()` accepts again on the same port. The real servers are shared by everything
else on the machine (other tests, other developers), so they are never stopped themselves.
"""
from __future__ import annotations

import socket
import threading
from typing import List, Optional, Tuple


class Outage:
    """Forwards 127.0.0.1:<port> to `target` until cut."""

    def __init__(self, target: Tuple[str, int]) -> None:
        self.target = target
        self.port = 0
        self._listener: Optional[socket.socket] = None
        self._open: List[socket.socket] = []
        self._lock = threading.Lock()
        self.restore()

    def url_for(self, url: str) -> str:
        """`url` (postgresql://... or redis://...) with its host and port replaced by this proxy."""
        from sqlalchemy.engine import make_url

        if url.startswith("redis"):
            scheme, rest = url.split("://", 1)
            path = rest.split("/", 1)[1] if "/" in rest else ""
            return f"{scheme}://127.0.0.1:{self.port}/{path}"
        return make_url(url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    def restore(self) -> None:
        """Listen (again, on the same port) and forward new connections."""
        listener = socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(128)
        self.port = listener.getsockname()[1]
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and reset every forwarded connection."""
        listener, self._listener = self._listener, None
        if listener is not None:
            try:  # wakes the thread blocked in accept(); close() alone leaves the port listening
                listener.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            listener.close()
        with self._lock:
            doomed, self._open = self._open, []
        for sock in doomed:  # wakes the pumps; the servers' clients see the connection closed
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:  # cut
                return
            try:
                server = socket.create_connection(self.target, timeout=5)
                server.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._open += [client, server]
            for source, sink in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(source, sink), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for sock in (source, sink):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            with self._lock:
                for sock in (source, sink):
                    if sock in self._open:
                        self._open.remove(sock)
                        sock.close()
