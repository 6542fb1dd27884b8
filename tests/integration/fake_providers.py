"""A local fake of the providers' HTTP APIs (Twilio, Meta's Send API, Telegram Bot API, Slack
Web API) on 127.0.0.1, recording what the bot sends so tests can assert what a patient
receives. Each answers in the shape its SDK expects; nothing leaves the machine.
"""
from __future__ import annotations

import json
import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, List, Optional
from urllib.parse import parse_qs, urlparse

# The credentials the tests configure the channels with and sign their webhooks with.
SID, TOKEN = "AC" + "1" * 32, "twilio-auth-token"
SMS_NUMBER, WHATSAPP_NUMBER = "+18442880000", "+18442880001"
APP_SECRET, VERIFY_TOKEN = "meta-app-secret", "meta-verify-token"
TELEGRAM_TOKEN, TELEGRAM_SECRET = "123456:TEST-token_abc", "telegram-secret_1"
SLACK_SECRET = "slack-signing-secret"
CHANNELS = ("sms", "whatsapp", "messenger", "telegram", "slack")


@dataclass
class Sent:
    provider: str  # twilio, messenger, telegram, slack
    method: str  # the API method (Messages, me/messages, sendMessage, chat.postMessage...)
    to: str
    text: str
    body: Dict[str, Any] = field(default_factory=dict)


class FakeProviders:
    """Start with `with FakeProviders() as fake:`; base URLs in `fake.url(provider)`."""

    def __init__(self) -> None:
        self.sent: List[Sent] = []
        self.calls: List[str] = []  # every path called, in order
        self._lock = threading.Lock()
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                status, answer = fake.answer(self.path, self.headers.get("Content-Type", ""), raw)
                body = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"

    def url(self, provider: str) -> str:
        return {"twilio": f"{self.base}/twilio", "messenger": f"{self.base}/graph",
                "telegram": f"{self.base}/telegram", "slack": f"{self.base}/slack/api/"}[provider]

    def channel_settings(self, *channels: str) -> Dict[str, str]:
        """The Settings fields that turn `channels` (of CHANNELS) on, each provider's API at this fake."""
        twilio = {"twilio_account_sid": SID, "twilio_auth_token": TOKEN, "twilio_api_url": self.url("twilio")}
        fields = {
            "sms": {**twilio, "twilio_sms_number": SMS_NUMBER},
            "whatsapp": {**twilio, "twilio_whatsapp_number": WHATSAPP_NUMBER},
            "messenger": {"messenger_page_token": "page-token", "messenger_app_secret": APP_SECRET,
                          "messenger_verify_token": VERIFY_TOKEN, "messenger_api_url": self.url("messenger")},
            "telegram": {"telegram_bot_token": TELEGRAM_TOKEN, "telegram_webhook_secret": TELEGRAM_SECRET,
                         "telegram_api_url": self.url("telegram")},
            "slack": {"slack_bot_token": "xoxb-test", "slack_signing_secret": SLACK_SECRET,
                      "slack_api_url": self.url("slack")},
        }
        return {name: value for channel in channels for name, value in fields[channel].items()}

    def _record(self, sent: Sent) -> None:
        with self._lock:
            self.sent.append(sent)

    def answer(self, path: str, content_type: str, raw: str):
        with self._lock:
            self.calls.append(urlparse(path).path)
        parsed = urlparse(path)
        if "json" in content_type:
            body: Dict[str, Any] = json.loads(raw or "{}")
        else:
            body = {k: v[-1] for k, v in parse_qs(raw or parsed.query).items()}
        if match := re.match(r"/twilio/2010-04-01/Accounts/(\w+)/Messages.json", parsed.path):
            self._record(Sent("twilio", "Messages", body.get("To", ""), body.get("Body", ""), body))
            return 201, {"sid": f"SM{len(self.sent):032d}", "account_sid": match.group(1),
                         "to": body.get("To"), "from": body.get("From"), "body": body.get("Body"),
                         "status": "queued", "num_segments": "1", "direction": "outbound-api"}
        if re.match(r"/graph/v[\d.]+/me/messages", parsed.path):
            recipient = body.get("recipient", {}).get("id", "")
            self._record(Sent("messenger", "me/messages", recipient, body["message"].get("text", ""), body))
            return 200, {"recipient_id": recipient, "message_id": f"m_{len(self.sent)}"}
        if match := re.match(r"/telegram/bot[^/]+/(\w+)", parsed.path):
            method = match.group(1)
            if method == "sendMessage":
                self._record(Sent("telegram", method, str(body.get("chat_id")), body.get("text", ""), body))
                return 200, {"ok": True, "result": {
                    "message_id": len(self.sent), "date": int(time.time()),
                    "chat": {"id": int(body.get("chat_id")), "type": "private"}, "text": body.get("text")}}
            self._record(Sent("telegram", method, "", "", body))
            if method == "getWebhookInfo":
                url = next((s.body.get("url") for s in reversed(self.sent) if s.method == "setWebhook"), "")
                return 200, {"ok": True, "result": {"url": url, "has_custom_certificate": False,
                                                    "pending_update_count": 0}}
            return 200, {"ok": True, "result": True}
        if match := re.match(r"/slack/api/([\w.]+)", parsed.path):
            self._record(Sent("slack", match.group(1), body.get("channel", ""), body.get("text", ""), body))
            return 200, {"ok": True, "channel": body.get("channel"), "ts": f"{time.time():.6f}"}
        return 404, {"error": f"the fake does not know {parsed.path}"}

    def received(self, provider: str, to: str, method: Optional[str] = None) -> List[Sent]:
        """What the provider was asked to deliver to `to`, in order."""
        with self._lock:
            return [s for s in self.sent if s.provider == provider and s.to == to
                    and (method is None or s.method == method)]

    def text_to(self, provider: str, to: str) -> str:
        return "\n\n".join(s.text for s in self.received(provider, to))

    def __enter__(self) -> "FakeProviders":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.server.shutdown()
        self.server.server_close()
