"""Plumbing of eio_raw_http.py: a prober that sends hand-made Engine.IO requests (python
`requests` and plain sockets) and checks answers against Node engine.io's (interop/README.md,
"Engine.IO")."""

import json
import socket
import threading
import time
from urllib.parse import urlsplit

import requests

OPEN_KEYS = ["sid", "upgrades", "pingInterval", "pingTimeout", "maxPayload"]
JSON_CT = "application/json"
TEXT_CT = "text/plain; charset=UTF-8"
ERRORS = {
    0: "Transport unknown",
    1: "Session ID unknown",
    2: "Bad handshake method",
    3: "Bad request",
    4: "Forbidden",
    5: "Unsupported protocol version",
}


def snap(r):
    """What an answer looked like, for the report."""
    if isinstance(r, Exception):
        return {"error": f"{type(r).__name__}: {r}"}
    body = r.content
    shown = body[:160].decode("utf-8", "replace")
    out = {"status": r.status_code, "content_type": r.headers.get("content-type"), "body": shown}
    if len(body) > 160:
        out["body_len"] = len(body)
    acao = r.headers.get("access-control-allow-origin")
    if acao is not None:
        out["acao"] = acao
    return out


class Prober:
    """Requests against one server and the checks they feed."""

    def __init__(self, args):
        self.args = args
        u = urlsplit(args.url)
        self.host = u.hostname
        self.port = u.port or 80
        self.base = f"{u.scheme}://{u.netloc}{args.path}"
        self.ws_base = f"ws://{u.netloc}{args.path}"
        self.checks = []
        self.observed = {}
        self.handshake_data = None
        self.origin_header = {} if args.cors in ("", "*") else {"Origin": args.cors}

    def check(self, name, ok, detail=None, observed=None):
        entry = {"name": name, "ok": bool(ok)}
        if not ok and detail is not None:
            entry["detail"] = detail
        self.checks.append(entry)
        if observed is not None:
            self.observed[name] = observed
        return bool(ok)

    def req(self, method, query, data=None, headers=None, timeout=10):
        h = dict(self.origin_header)
        h.update(headers or {})
        try:
            return requests.request(method, self.base + query, data=data, headers=h,
                                    timeout=timeout)
        except requests.RequestException as exc:
            return exc

    def poll_url(self, sid):
        return f"?EIO=4&transport=polling&sid={sid}"

    def handshake(self):
        r = self.req("GET", "?EIO=4&transport=polling")
        if isinstance(r, Exception) or r.status_code != 200 or not r.text.startswith("0"):
            raise RuntimeError(f"handshake failed: {snap(r)}")
        data = json.loads(r.text[1:].split("\x1e")[0])
        self.ping_interval_ms = data.get("pingInterval", 25000)
        return data["sid"], r

    def pending_get(self, sid, timeout=10):
        """A GET held open in the background; returns (thread, box) — box['r'] once it ends.

        With short test heartbeats (<= 2 s) it first waits for the session's ping and answers
        it, so the held GET has a whole ping interval in which no ping can answer it first."""
        box = {}
        if getattr(self, "ping_interval_ms", 25000) <= 2000:
            r = self.req("GET", self.poll_url(sid), timeout=timeout)
            if not isinstance(r, Exception) and r.status_code == 200 and r.text == "2":
                self.req("POST", self.poll_url(sid), "3")

        def run():
            box["r"] = self.req("GET", self.poll_url(sid), timeout=timeout)
            box["at"] = time.monotonic()

        t = threading.Thread(target=run, daemon=True)
        t.start()
        time.sleep(0.1)  # let it reach the server before the next request
        return t, box

    def error_answer(self, r, code, status=400):
        """Engine.IO's error answer: HTTP 400 (403 for Forbidden) + {"code":N,"message":"..."}."""
        if isinstance(r, Exception):
            return False, str(r)
        ct = (r.headers.get("content-type") or "").split(";")[0].strip()
        try:
            body = r.json()
        except ValueError:
            body = None
        expected = {"code": code, "message": ERRORS[code]}
        ok = r.status_code == status and ct == JSON_CT and body == expected
        return ok, f"expected {status} {JSON_CT} {json.dumps(expected)}, got {snap(r)}"

    def expect_error(self, name, r, code, status=400):
        ok, detail = self.error_answer(r, code, status)
        return self.check(name, ok, detail, snap(r))

    def session_gone(self, name, sid):
        """Once a session is closed, its sid is unknown: 400 {"code":1}."""
        r = None
        for _ in range(20):
            r = self.req("GET", self.poll_url(sid), timeout=3)
            if self.error_answer(r, 1)[0]:
                break
            time.sleep(0.1)
        return self.expect_error(name, r, 1)

    def expect_payload(self, name, r, body):
        ok = (not isinstance(r, Exception) and r.status_code == 200 and r.text == body
              and r.headers.get("content-type") == TEXT_CT)
        return self.check(name, ok, f"expected 200 {TEXT_CT} {body!r}, got {snap(r)}", snap(r))

    def expect_ok(self, name, r):
        ok = (not isinstance(r, Exception) and r.status_code == 200 and r.text == "ok"
              and (r.headers.get("content-type") or "").startswith("text/html"))
        return self.check(name, ok, f"expected 200 text/html 'ok', got {snap(r)}", snap(r))

    def raw_upgrade(self, query, extra=None):
        """A WebSocket handshake by hand: the status line and whatever the server says first."""
        s = socket.create_connection((self.host, self.port), timeout=5)
        lines = [f"GET {self.args.path}?{query} HTTP/1.1", f"Host: {self.host}:{self.port}",
                 "Upgrade: websocket", "Connection: Upgrade",
                 "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==", "Sec-WebSocket-Version: 13"]
        lines += [f"{k}: {v}" for k, v in (extra or {}).items()]
        s.sendall(("\r\n".join(lines) + "\r\n\r\n").encode())
        data = b""
        try:
            while len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
                head, sep, rest = data.partition(b"\r\n\r\n")
                if sep and head.startswith(b"HTTP/1.1 101") and len(rest) >= 2:
                    break
                # A refusal may keep the connection alive: stop at the end of its body.
                length = [line.split(b":", 1)[1] for line in head.split(b"\r\n")[1:]
                          if line.lower().startswith(b"content-length:")]
                if sep and not head.startswith(b"HTTP/1.1 101") and length \
                        and len(rest) >= int(length[0]):
                    break
        except OSError:
            pass
        finally:
            s.close()
        head, _, rest = data.partition(b"\r\n\r\n")
        status_line = head.split(b"\r\n", 1)[0].decode("latin-1")
        status = int(status_line.split(" ")[1]) if status_line.startswith("HTTP/1.1 ") else None
        # After a 101 the first frame (if any): an unmasked text frame of the open packet starts
        # with 0x81 and its payload with "0".
        opened = status == 101 and len(rest) >= 3 and rest[0] == 0x81 and rest[2:3] == b"0"
        return {"status": status, "status_line": status_line,
                "body": rest[:120].decode("latin-1"), "open_packet": opened}
