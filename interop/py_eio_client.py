#!/usr/bin/env python3
"""Reference Engine.IO client on python-engineio's synchronous `engineio.Client`.

Runs one scenario (the same names as eio_client.mjs, see interop/README.md "Engine.IO") against a
server under test and prints one JSON line. python-engineio speaks Engine.IO v4 only.
"""

import json
import os
import queue
import sys
import threading
import time

import engineio
import requests
from engineio import packet

from _cli import Parser, Usage, usage_error

SCENARIOS = ("echo", "at-limit", "over-limit", "heartbeat-expiry", "server-close", "client-close")
MODES = ("polling", "websocket", "polling,websocket")


def parse_args(argv):
    p = Parser(description=__doc__)
    p.add_argument("--url")
    p.add_argument("--path", default="/engine.io/")
    p.add_argument("--transports", default="polling,websocket")
    p.add_argument("--eio3", action="store_true")
    p.add_argument("--scenario", default="echo")
    p.add_argument("--max-payload", type=int, default=None)
    p.add_argument("--timeout", type=float, default=30)
    args = p.parse_args(argv)
    if not args.url:
        raise Usage("--url is required")
    if args.eio3:
        raise Usage("python-engineio's client speaks Engine.IO v4 only (--eio3 unsupported)")
    if args.scenario not in SCENARIOS:
        raise Usage(f"unknown --scenario {args.scenario}")
    if args.transports not in MODES:
        raise Usage(f"--transports must be one of {', '.join(MODES)}")
    if args.scenario in ("at-limit", "over-limit") and not (args.max_payload or 0) > 16:
        raise Usage(f"--scenario {args.scenario} needs --max-payload N (N > 16)")
    return args


def shape(data):
    if isinstance(data, str):
        return f"text({len(data.encode())} bytes)"
    if isinstance(data, (bytes, bytearray)):
        return f"binary({len(data)} bytes)"
    return type(data).__name__


class Run:
    def __init__(self, args):
        self.args = args
        self.checks = []
        self.result = {
            "ok": False,
            "peer": f"python-engineio@{engineio.__version__}" if hasattr(engineio, "__version__")
            else "python-engineio",
            "url": args.url,
            "scenario": args.scenario,
            "transports": args.transports,
            "transport": None,
            "upgraded": None,
            "sid": None,
            "close": None,
            "checks": self.checks,
        }
        self.events = queue.Queue()
        self.client = None

    def check(self, name, ok, detail=None):
        entry = {"name": name, "ok": bool(ok)}
        if not ok and detail is not None:
            entry["detail"] = detail
        self.checks.append(entry)
        return bool(ok)

    def connect(self):
        self.events = queue.Queue()
        c = engineio.Client(request_timeout=self.args.timeout)
        events = self.events
        c.on("message", lambda data: events.put(("message", data)))
        c.on("disconnect", lambda reason=None: events.put(("close", reason)))
        c.connect(
            self.args.url,
            transports=self.args.transports.split(","),
            engineio_path=self.args.path.strip("/"),
        )
        self.client = c
        self.result["sid"] = c.sid
        self.result["transport"] = c.transport()
        if self.args.transports == "polling,websocket":
            # python-engineio upgrades inside connect(): by now it is done or it failed.
            self.result["upgraded"] = c.transport() == "websocket"
            self.check("upgraded", c.transport() == "websocket", f"transport={c.transport()}")
        return c

    def next(self, timeout=None):
        try:
            return self.events.get(timeout=timeout or self.args.timeout)
        except queue.Empty:
            return ("timeout", None)

    def expect_echo(self, name, payload):
        self.client.send(payload)
        kind, data = self.next()
        if kind != "message":
            self.check(name, False, f"expected the echo, got {kind} {data or ''}")
            if kind == "close":
                self.result["close"] = {"reason": data}
            raise RuntimeError(f"{name}: no echo ({kind})")
        same = type(data) is type(payload) and data == payload
        return self.check(name, same, f"got {shape(data)}, sent {shape(payload)}")

    def session_gone(self, sid):
        """Polling GET with the old sid: 400 {"code":1} once the server forgot the session."""
        url = f"{self.args.url.rstrip('/')}{self.args.path}?EIO=4&transport=polling&sid={sid}"
        last = ""
        for _ in range(40):
            try:
                r = requests.get(url, timeout=2)
                last = f"{r.status_code} {r.text}"
                if r.status_code == 400:
                    try:
                        if r.json().get("code") == 1:
                            return True, last
                    except ValueError:
                        pass
            except requests.RequestException as exc:
                last = str(exc)
            time.sleep(0.1)
        return False, last

    def wait_close(self, timeout):
        while True:
            kind, data = self.next(timeout)
            if kind != "message":
                return kind, data

    # Messages pipelined without waiting: every echo must come back exactly once. python-engineio
    # runs each message handler in its own thread, so arrival order is not checked here; and it
    # refuses a polling payload of more than 16 packets (Payload.max_decode_packets), which a
    # server batching its queue into one GET answer (Node does) reaches with a bigger burst.
    def burst(self):
        sent = [f"burst-{i}" if i % 7 != 3 else f"burst-bin-{i}".encode() for i in range(12)]
        for m in sent:
            self.client.send(m)
        got = []
        while len(got) < len(sent):
            kind, data = self.next(5)
            if kind != "message":
                break
            got.append(data)
        key = lambda m: (isinstance(m, bytes), m)  # noqa: E731
        self.check("burst", sorted(got, key=key) == sorted(sent, key=key),
                   f"echoed {len(got)} of {len(sent)}")

    def echo(self):
        self.connect()
        self.burst()
        texts = [
            ("text-ascii", "Hello, duplex!"),
            ("text-utf8", "héllo wörld — 日本語 𝄞 🎉"),
            ("text-empty", ""),
            ("text-b-prefix", "bSGVsbG8="),
            ("text-100k", "duplex compresses repetitive text. " * 2926),
        ]
        for name, text in texts:
            self.expect_echo(name, text)
        for size in (0, 1, 125, 126, 65535, 65536, 500000):
            self.expect_echo(f"binary-{size}", os.urandom(size))
        self.client.disconnect()

    def sizes(self, limit):
        if self.client.transport() == "websocket":
            return {"text": limit - 1, "binary": limit}
        return {"text": limit - 1, "binary": (limit - 1) // 4 * 3}

    def after_pong(self):
        """python-engineio packs every queued packet into one POST: a pong could join an
        at-limit message and push it over. Waits until a pong has just gone out instead."""
        c = self.client
        if c.transport() != "polling":
            return
        sent = threading.Event()
        send = c._send_packet

        def watch(pkt):
            send(pkt)
            if pkt.packet_type == packet.PONG:
                sent.set()

        c._send_packet = watch
        sent.wait(c.ping_interval + c.ping_timeout + 1)
        c._send_packet = send
        time.sleep(0.05)

    def at_limit(self):
        self.connect()
        sizes = self.sizes(self.args.max_payload)
        self.result["sizes"] = sizes
        self.after_pong()
        self.expect_echo("text-at-limit", "x" * sizes["text"])
        self.after_pong()
        self.expect_echo("binary-at-limit", os.urandom(sizes["binary"]))
        self.client.disconnect()

    def over_limit_once(self, kind):
        self.connect()
        sizes = self.sizes(self.args.max_payload)
        self.result["sizes"] = sizes
        polling = self.client.transport() == "polling"
        payload = ("x" * (sizes["text"] + 1) if kind == "text"
                   else os.urandom(sizes["binary"] + (3 if polling else 1)))
        sid = self.client.sid
        self.client.send(payload)
        ev, data = self.next(min(self.args.timeout / 3, 10))
        close = {"reason": data} if ev == "close" else None
        self.check(f"{kind}-over-limit-closes", ev == "close",
                   f"echoed {shape(data)}" if ev == "message" else f"got {ev}")
        gone, last = self.session_gone(sid)
        self.check(f"{kind}-over-limit-session-gone", gone, last)
        if ev != "close":
            self.client.disconnect(abort=True)
        return close

    def over_limit(self):
        text = self.over_limit_once("text")
        self.result["close"] = text
        self.result["closes"] = {"text": text, "binary": self.over_limit_once("binary")}

    def heartbeat_expiry(self):
        c = self.connect()
        self.expect_echo("echo-before-mute", "still alive")
        interval, timeout = c.ping_interval, c.ping_timeout
        self.result["heartbeat"] = {"pingInterval": int(interval * 1000),
                                    "pingTimeout": int(timeout * 1000)}
        send = c._send_packet

        # Drops the outgoing pong, the only reply the heartbeat needs; everything else still flows.
        def muted(pkt):
            if pkt.packet_type != packet.PONG:
                send(pkt)

        muted_at = time.monotonic()
        c._send_packet = muted
        budget = interval + timeout + 1.5
        kind, data = self.wait_close(budget + 2)
        elapsed = time.monotonic() - muted_at
        self.result["closed_after_ms"] = int(elapsed * 1000)
        if kind == "close":
            self.result["close"] = {"reason": data}
        self.check("closed-by-heartbeat", kind == "close" and elapsed <= budget,
                   f"{kind} after {int(elapsed * 1000)} ms (budget {int(budget * 1000)})")
        gone, last = self.session_gone(c.sid or self.result["sid"])
        self.check("session-gone", gone, last)

    def server_close(self):
        self.connect()
        self.expect_echo("echo-before-close", "still alive")
        self.client.send("close-me")
        kind, data = self.wait_close(10)
        if kind == "close":
            self.result["close"] = {"reason": data}
        self.check("closed-by-server", kind == "close", f"got {kind}")
        gone, last = self.session_gone(self.result["sid"])
        self.check("session-gone", gone, last)

    def client_close(self):
        self.connect()
        self.expect_echo("echo-before-close", "still alive")
        self.client.disconnect()
        kind, data = self.wait_close(5)
        if kind == "close":
            self.result["close"] = {"reason": data}
        self.check("close-event", kind == "close" and data == "client disconnect",
                   f"got {kind} {data}")
        gone, last = self.session_gone(self.result["sid"])
        self.check("session-gone", gone, last)


def main():
    try:
        args = parse_args(sys.argv[1:])
    except Usage as exc:
        return usage_error(exc)
    run = Run(args)
    started = time.monotonic()

    def watchdog():
        run.result["error"] = f"timed out after {args.timeout} s"
        run.result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
        print(json.dumps(run.result), flush=True)
        os._exit(1)

    timer = threading.Timer(args.timeout, watchdog)
    timer.daemon = True
    timer.start()
    scenario = {
        "echo": run.echo,
        "at-limit": run.at_limit,
        "over-limit": run.over_limit,
        "heartbeat-expiry": run.heartbeat_expiry,
        "server-close": run.server_close,
        "client-close": run.client_close,
    }[args.scenario]
    try:
        scenario()
    except Exception as exc:  # the run broke off: report it in the result line
        run.result["error"] = f"{type(exc).__name__}: {exc}"
    timer.cancel()
    if run.client is not None and run.result["transport"] is None:
        run.result["transport"] = run.client.transport()
    run.result["elapsed_ms"] = int((time.monotonic() - started) * 1000)
    r = run.result
    r["ok"] = "error" not in r and bool(r["checks"]) and all(c["ok"] for c in r["checks"])
    print(json.dumps(r), flush=True)
    # python-engineio's background threads may still be winding down: do not wait for them.
    os._exit(0 if r["ok"] else 1)


if __name__ == "__main__":
    sys.exit(main())
