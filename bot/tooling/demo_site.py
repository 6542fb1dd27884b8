"""The demo clinic page with the chat widget, for `make run` and the browser tests (never production).

Serves widget/ (widget.js, widget.css, the demo page and its CSS) and the socket.io client from
node_modules (installed by `npm ci`, never copied into the repository) on its own port, with a
Content-Security-Policy that allows scripts and styles from this site only and connections to the
Rasa server only: what a clinic's own page should send too.

    python -m bot.tooling.demo_site --port 5080 --rasa-url http://localhost:5005
"""
from __future__ import annotations

import argparse
import mimetypes
from functools import partial
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Dict, Optional, Tuple
from urllib.parse import urlparse

import yaml

from bot.settings import PROJECT_ROOT

WIDGET_DIR = PROJECT_ROOT / "widget"
SOCKET_IO_CLIENT = PROJECT_ROOT / "node_modules" / "socket.io-client" / "dist" / "socket.io.min.js"
# URL path -> file. Nothing else is served: no directory listing, no path from the request.
FILES: Dict[str, Path] = {
    "/widget/widget.js": WIDGET_DIR / "widget.js",
    "/widget/widget.css": WIDGET_DIR / "widget.css",
    "/widget/vendor/socket.io.min.js": SOCKET_IO_CLIENT,
    "/demo/demo.css": WIDGET_DIR / "demo" / "demo.css",
}
PAGE = WIDGET_DIR / "demo" / "index.html"


def session_minutes() -> int:
    """domain.yml's session expiry: the widget keeps a conversation exactly as long as Rasa does."""
    domain = yaml.safe_load((PROJECT_ROOT / "domain.yml").read_text(encoding="utf-8"))
    return int(domain["session_config"]["session_expiration_time"])


def content_security_policy(rasa_url: str) -> str:
    """Scripts and styles from this site only, connections to the Rasa server only, no framing."""
    server = urlparse(rasa_url)
    socket = f"{'wss' if server.scheme == 'https' else 'ws'}://{server.netloc}"
    return "; ".join([
        "default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'",
        f"connect-src {server.scheme}://{server.netloc} {socket}",
        "base-uri 'none'", "form-action 'none'", "frame-ancestors 'none'",
    ])


def page(rasa_url: str, site_origin: str) -> bytes:
    """The demo page with the widget's config filled in (server, this site, session length)."""
    html = PAGE.read_text(encoding="utf-8")
    return (html.replace("__RASA_URL__", rasa_url.rstrip("/")).replace("__SITE_ORIGIN__", site_origin)
            .replace("__SESSION_MINUTES__", str(session_minutes())).encode())


class DemoHandler(BaseHTTPRequestHandler):
    def __init__(self, *args: object, rasa_url: str, **kwargs: object) -> None:
        self.rasa_url = rasa_url
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]

    def body_for(self, path: str) -> Optional[Tuple[bytes, str]]:
        if path in ("/", "/index.html"):
            host = self.headers.get("Host", "localhost")
            return page(self.rasa_url, f"http://{host}"), "text/html; charset=utf-8"
        file = FILES.get(path)
        if file is None or not file.is_file():
            return None
        kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
        return file.read_bytes(), f"{kind}; charset=utf-8" if kind.startswith("text/") or kind.endswith(
            "javascript") else kind

    def do_HEAD(self) -> None:  # noqa: N802 (http.server's name)
        self.do_GET(send_body=False)

    def do_GET(self, send_body: bool = True) -> None:  # noqa: N802 (http.server's name)
        found = self.body_for(urlparse(self.path).path)
        body, kind = found or (b"not found\n", "text/plain; charset=utf-8")
        self.send_response(HTTPStatus.OK if found else HTTPStatus.NOT_FOUND)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Security-Policy", content_security_policy(self.rasa_url))
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        if send_body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: `make run` prints the page's address once; requests are not worth a line each."""


def serve(port: int, rasa_url: str) -> None:
    if not SOCKET_IO_CLIENT.is_file():
        raise SystemExit(f"{SOCKET_IO_CLIENT} is missing: run `make install` (npm ci)")
    server = ThreadingHTTPServer(("127.0.0.1", port), partial(DemoHandler, rasa_url=rasa_url))
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.tooling.demo_site", description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--rasa-url", required=True, help="the Rasa server the widget talks to")
    args = parser.parse_args(argv)
    serve(args.port, args.rasa_url)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
