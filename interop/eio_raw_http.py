#!/usr/bin/env python3
"""Raw HTTP and WebSocket checks of an Engine.IO v4 server's protocol answers.

Sends hand-made requests (python `requests`, `websocket-client` and plain sockets) and checks the
status, content type and body of every answer against what the Node reference server
(npm engine.io 6.6.13) answers. Prints one JSON line; contract in interop/README.md ("Engine.IO").
"""

import json
import sys
import threading
import time

import websocket

from _cli import Parser, Usage, usage_error
from _eio_http import OPEN_KEYS, TEXT_CT, Prober, snap


def parse_args(argv):
    p = Parser(description=__doc__)
    p.add_argument("--url")
    p.add_argument("--path", default="/engine.io/")
    p.add_argument("--max-payload", type=int, default=1000000)
    p.add_argument("--forbid", action="store_true",
                   help="the server refuses handshakes carrying an x-forbid header")
    p.add_argument("--eio3-allowed", action="store_true", help="the server accepts EIO=3")
    p.add_argument("--cors", default="",
                   help="the server's CORS origin ('*' or one origin); empty: no CORS")
    p.add_argument("--only", default="", help="comma-separated check groups to run")
    p.add_argument("--timeout", type=float, default=60)
    args = p.parse_args(argv)
    if not args.url:
        raise Usage("--url is required")
    if args.max_payload < 16:
        raise Usage("--max-payload must be at least 16")
    return args


class Raw(Prober):
    """The check groups (`--only`)."""

    def g_handshake(self):
        sid, r = self.handshake()
        data = json.loads(r.text[1:])
        self.handshake_data = data
        ok = (r.headers.get("content-type") == TEXT_CT and list(data) == OPEN_KEYS
              and data["upgrades"] == ["websocket"] and data["maxPayload"] == self.args.max_payload)
        self.check("handshake", ok,
                   f"expected {TEXT_CT}, keys {OPEN_KEYS}, upgrades ['websocket'], "
                   f"maxPayload {self.args.max_payload}; got {snap(r)}", snap(r))
        self.check("handshake-no-store", r.headers.get("cache-control") == "no-store",
                   f"cache-control: {r.headers.get('cache-control')}")

    def g_errors(self):
        self.expect_error("unknown-transport", self.req("GET", "?EIO=4&transport=foo"), 0)
        self.expect_error("missing-transport", self.req("GET", "?EIO=4"), 0)
        self.expect_error("unknown-sid-get", self.req("GET", self.poll_url("nope")), 1)
        self.expect_error("unknown-sid-post", self.req("POST", self.poll_url("nope"), "4x"), 1)
        self.expect_error("bad-handshake-method-post",
                          self.req("POST", "?EIO=4&transport=polling", "4x"), 2)
        self.expect_error("bad-handshake-method-put",
                          self.req("PUT", "?EIO=4&transport=polling", "4x"), 2)
        self.expect_error("websocket-without-upgrade",
                          self.req("GET", "?EIO=4&transport=websocket"), 3)
        if self.args.eio3_allowed:
            r = self.req("GET", "?EIO=3&transport=polling")
            ok = (not isinstance(r, Exception) and r.status_code == 200
                  and r.text.split(":", 1)[0].isdigit() and r.text.split(":", 1)[1].startswith("0{"))
            self.check("eio3-handshake", ok, f"expected a v3 payload '<len>:0{{...', got {snap(r)}",
                       snap(r))
        else:
            self.expect_error("unsupported-version-3", self.req("GET", "?EIO=3&transport=polling"), 5)
            self.expect_error("unsupported-version-missing", self.req("GET", "?transport=polling"), 5)
            self.expect_error("unsupported-version-5", self.req("GET", "?EIO=5&transport=polling"), 5)
        if self.args.forbid:
            self.expect_error("forbidden", self.req("GET", "?EIO=4&transport=polling",
                                                    headers={"x-forbid": "1"}), 4, status=403)

    def g_cors(self):
        r = self.req("GET", "?EIO=4&transport=polling&sid=nope")
        got = None if isinstance(r, Exception) else r.headers.get("access-control-allow-origin")
        if not self.args.cors:
            self.check("error-without-cors-headers", got is None, f"access-control-allow-origin: {got}")
            r = self.req("OPTIONS", "?EIO=4&transport=polling")
            self.expect_error("options-without-cors", r, 2)
            return
        self.check("error-carries-cors", got == self.args.cors,
                   f"expected access-control-allow-origin {self.args.cors}, got {got}", snap(r))
        r = self.req("OPTIONS", "?EIO=4&transport=polling", headers={
            "Origin": self.args.cors if self.args.cors != "*" else "http://duplex.test",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "x-duplex-test",
        })
        h = {} if isinstance(r, Exception) else {k.lower(): v for k, v in r.headers.items()}
        methods = [m.strip() for m in h.get("access-control-allow-methods", "").split(",")]
        ok = (not isinstance(r, Exception) and r.status_code == 204
              and h.get("access-control-allow-origin") == self.args.cors
              and "GET" in methods and "POST" in methods
              and "x-duplex-test" in h.get("access-control-allow-headers", "").lower())
        self.check("preflight", ok, f"expected 204 with allow-origin {self.args.cors}, methods "
                   f"GET+POST, headers x-duplex-test; got {snap(r)} {h}",
                   {**snap(r), "headers": {k: v for k, v in h.items()
                                           if k.startswith("access-control-") or k == "vary"}})

    def g_polling(self):
        sid, _ = self.handshake()
        self.expect_ok("post-ok", self.req("POST", self.poll_url(sid), "4héllo".encode(),
                                           headers={"Content-Type": "text/plain;charset=UTF-8"}))
        self.expect_payload("get-echo", self.req("GET", self.poll_url(sid)), "4héllo")
        self.expect_ok("post-two-packets", self.req("POST", self.poll_url(sid), "4a\x1ebAQID"))
        self.expect_payload("get-two-packets", self.req("GET", self.poll_url(sid)), "4a\x1ebAQID")
        self.req("POST", self.poll_url(sid), "1")

    def g_limits(self):
        n = self.args.max_payload
        sid, _ = self.handshake()
        self.expect_ok("post-at-limit", self.req("POST", self.poll_url(sid), "4" + "x" * (n - 1)))
        r = self.req("GET", self.poll_url(sid))
        ok = not isinstance(r, Exception) and r.status_code == 200 and r.text == "4" + "x" * (n - 1)
        self.check("get-at-limit", ok, f"expected the {n}-byte echo, got {snap(r)}", snap(r))
        self.req("POST", self.poll_url(sid), "1")

        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        r = self.req("POST", self.poll_url(sid), "4" + "x" * n)
        self.check("post-over-limit-413", not isinstance(r, Exception) and r.status_code == 413,
                   f"expected 413, got {snap(r)}", snap(r))
        t.join(10)
        self.expect_payload("post-over-limit-pending-get", box.get("r", TimeoutError("no answer")), "1")
        self.session_gone("post-over-limit-session-gone", sid)

    def g_closes(self):
        # A second GET while one is pending: refused (400), the first returns "1", session closed.
        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        r = self.req("GET", self.poll_url(sid))
        self.check("second-get-400", not isinstance(r, Exception) and r.status_code == 400,
                   f"expected 400, got {snap(r)}", snap(r))
        t.join(10)
        self.expect_payload("second-get-first-returns-close", box.get("r", TimeoutError()), "1")
        self.session_gone("second-get-session-gone", sid)

        # The client's close packet: the pending GET returns a noop, the session is gone.
        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        self.expect_ok("client-close-post", self.req("POST", self.poll_url(sid), "1"))
        t.join(10)
        self.expect_payload("client-close-pending-get", box.get("r", TimeoutError()), "6")
        self.session_gone("client-close-session-gone", sid)
        self.expect_error("closed-session-post", self.req("POST", self.poll_url(sid), "4x"), 1)

        # The server closes (the echo handler closes on `close-me`): the pending GET gets "1".
        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        self.expect_ok("server-close-post", self.req("POST", self.poll_url(sid), "4close-me"))
        t.join(10)
        self.expect_payload("server-close-pending-get", box.get("r", TimeoutError()), "1")
        self.session_gone("server-close-session-gone", sid)

    def g_malformed(self):
        # Node answers a malformed payload's POST with 200 "ok" (it reads the body first) and
        # closes the session with "parse error"; a 400 {"code":3} is accepted too.
        for name, body in (("unknown-type", "x"), ("type-9", "9"), ("empty-body", "")):
            sid, _ = self.handshake()
            t, box = self.pending_get(sid)
            r = self.req("POST", self.poll_url(sid), body)
            node_like = not isinstance(r, Exception) and r.status_code == 200 and r.text == "ok"
            ok = node_like or self.error_answer(r, 3)[0]
            self.check(f"malformed-{name}-post", ok,
                       f"expected 200 'ok' (Node) or 400 {{\"code\":3}}, got {snap(r)}", snap(r))
            t.join(10)
            self.expect_payload(f"malformed-{name}-pending-get", box.get("r", TimeoutError()), "1")
            self.session_gone(f"malformed-{name}-session-gone", sid)
        # v4 carries binary as base64 text: a POST labelled application/octet-stream is refused
        # (Node: 400, empty body) and the session closed.
        sid, _ = self.handshake()
        r = self.req("POST", self.poll_url(sid), b"4x",
                     headers={"Content-Type": "application/octet-stream"})
        self.check("octet-stream-post-400", not isinstance(r, Exception) and r.status_code == 400,
                   f"expected 400, got {snap(r)}", snap(r))
        self.session_gone("octet-stream-session-gone", sid)
        # In v4 the server pings; a client ping is a protocol error that closes the session.
        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        self.expect_ok("client-ping-post", self.req("POST", self.poll_url(sid), "2"))
        t.join(10)
        self.expect_payload("client-ping-pending-get", box.get("r", TimeoutError()), "1")
        self.session_gone("client-ping-session-gone", sid)

    def g_heartbeat(self):
        sid, r = self.handshake()
        data = json.loads(r.text[1:])
        interval, timeout = data["pingInterval"] / 1000, data["pingTimeout"] / 1000
        t0 = time.monotonic()
        r = self.req("GET", self.poll_url(sid), timeout=interval + timeout + 5)
        t1 = time.monotonic()
        ok = (not isinstance(r, Exception) and r.status_code == 200 and r.text == "2"
              and interval * 0.8 <= t1 - t0 <= interval + 1)
        self.check("ping-after-interval", ok,
                   f"expected '2' after ~{interval}s, got {snap(r)} after {t1 - t0:.3f}s", snap(r))
        r = self.req("GET", self.poll_url(sid), timeout=interval + timeout + 5)
        t2 = time.monotonic()
        ok = (not isinstance(r, Exception) and r.status_code == 200 and r.text == "1"
              and t2 - t1 <= timeout + 1)
        self.check("ping-timeout-close", ok,
                   f"expected '1' within ~{timeout}s, got {snap(r)} after {t2 - t1:.3f}s", snap(r))
        self.observed["ping-timeout-close"]["after_ms"] = int((t2 - t1) * 1000)
        self.session_gone("ping-timeout-session-gone", sid)

    # -- WebSocket ------------------------------------------------------------------------------
    def g_websocket(self):
        r = self.raw_upgrade("EIO=4&transport=websocket&sid=nope")
        self.check("ws-unknown-sid", r["status"] == 400 and not r["open_packet"],
                   f"expected HTTP 400 (Node: text/html 'Session ID unknown'), got {r}", r)
        r = self.raw_upgrade("EIO=4&transport=foo")
        self.check("ws-unknown-transport", r["status"] == 400, f"expected HTTP 400, got {r}", r)
        if self.args.forbid:
            r = self.raw_upgrade("EIO=4&transport=websocket", {"x-forbid": "1"})
            self.check("ws-forbidden", r["status"] in (400, 403) and not r["open_packet"],
                       f"expected HTTP 400 (Node; 403 accepted) and no session, got {r}", r)
        if not self.args.eio3_allowed:
            # Node answers 101 and then writes a raw 400 into the upgraded stream; any refusal
            # that opens no session passes.
            r = self.raw_upgrade("EIO=3&transport=websocket")
            self.check("ws-unsupported-version", not r["open_packet"],
                       f"expected no Engine.IO session, got {r}", r)

        # Straight WebSocket session: the open packet advertises no upgrades; polling on it is
        # a transport mismatch (400 code 3); once closed, its sid is unknown.
        ws = websocket.create_connection(self.ws_base + "?EIO=4&transport=websocket", timeout=5)
        first = ws.recv()
        data = json.loads(first[1:]) if isinstance(first, str) and first.startswith("0") else {}
        self.check("ws-open-packet", list(data) == OPEN_KEYS and data.get("upgrades") == [],
                   f"expected an open packet with {OPEN_KEYS} and upgrades [], got {first!r}",
                   {"first": first})
        sid = data.get("sid", "none")
        self.expect_error("polling-on-websocket-session", self.req("GET", self.poll_url(sid)), 3)
        ws.send("4ws-echo")
        self.check("ws-echo", ws.recv() == "4ws-echo", "no echo")
        ws.close()
        self.session_gone("ws-closed-session-gone", sid)

        # Upgrade of a polling session: 2probe/3probe, the pending GET returns a noop, then 5;
        # afterwards polling on that sid is 400 code 3 and a second WebSocket is turned away.
        sid, _ = self.handshake()
        t, box = self.pending_get(sid)
        ws = websocket.create_connection(self.ws_base + f"?EIO=4&transport=websocket&sid={sid}",
                                         timeout=5)
        ws.send("2probe")
        probe = ws.recv()
        self.check("upgrade-probe", probe == "3probe", f"expected '3probe', got {probe!r}")
        t.join(10)
        self.expect_payload("upgrade-pending-get-noop", box.get("r", TimeoutError()), "6")
        ws.send("5")
        ws.send("4after-upgrade")
        echoed = ws.recv()
        while echoed == "2":  # a heartbeat may come first
            ws.send("3")
            echoed = ws.recv()
        self.check("upgrade-echo", echoed == "4after-upgrade", f"got {echoed!r}")
        self.expect_error("polling-after-upgrade-get", self.req("GET", self.poll_url(sid)), 3)
        self.expect_error("polling-after-upgrade-post", self.req("POST", self.poll_url(sid), "4x"), 3)
        r = self.raw_upgrade(f"EIO=4&transport=websocket&sid={sid}")
        self.check("second-websocket-refused", not r["open_packet"] and not
                   (r["status"] == 101 and r["body"].startswith("\x81")),
                   f"expected a refusal or an immediate close, got {r}", r)
        ws.close()
        self.session_gone("upgraded-closed-session-gone", sid)


GROUPS = ["handshake", "errors", "cors", "polling", "limits", "closes", "malformed", "heartbeat",
          "websocket"]


def main():
    try:
        args = parse_args(sys.argv[1:])
    except Usage as exc:
        return usage_error(exc)
    only = [g for g in args.only.split(",") if g]
    unknown = [g for g in only if g not in GROUPS]
    if unknown:
        print(json.dumps({"ok": False, "error": f"unknown groups {unknown}; known: {GROUPS}"}))
        return 2
    raw = Raw(args)
    result = {"ok": False, "peer": "raw-http", "url": args.url, "checks": raw.checks,
              "observed": raw.observed}
    started = time.monotonic()

    def watchdog():
        result["error"] = f"timed out after {args.timeout} s"
        print(json.dumps(result), flush=True)
        import os
        os._exit(1)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()
    for group in only or GROUPS:
        try:
            getattr(raw, "g_" + group)()
        except Exception as exc:  # one broken group must not hide the others
            raw.check(f"{group}-completed", False, f"{type(exc).__name__}: {exc}")
    timer.cancel()
    result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    result["ok"] = bool(raw.checks) and all(c["ok"] for c in raw.checks)
    print(json.dumps(result), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
