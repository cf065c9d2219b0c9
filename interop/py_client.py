#!/usr/bin/env python3
"""Reference WebSocket client on Python `websockets` (asyncio).

Runs the same echo conversation as ws_client.mjs (see interop/README.md) and prints one JSON line.
"""

import argparse
import asyncio
import json
import os
import sys
import time

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory

from _deflate import deflate_params

MAX_SIZE = 64 * 1024 * 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--url", required=True)
    p.add_argument("--deflate", default="{}", help="JSON factory params, or false")
    p.add_argument("--protocol", default=None)
    p.add_argument("--timeout", type=float, default=30)
    return p.parse_args()


class Conversation:
    def __init__(self):
        self.checks = []

    def check(self, name, ok, detail=None):
        entry = {"name": name, "ok": bool(ok)}
        if not ok and detail is not None:
            entry["detail"] = detail
        self.checks.append(entry)

    async def expect(self, ws, name, expected):
        got = await ws.recv()
        same = type(got) is type(expected) and got == expected
        self.check(name, same, f"{type(got).__name__} len={len(got)}")

    async def run(self, ws, result):
        texts = [
            ("text-ascii", "Hello, duplex!"),
            ("text-utf8", "héllo wörld — 日本語 𝄞 🎉"),
            ("text-empty", ""),
            ("text-100k", "duplex compresses repetitive text. " * 2926),
        ]
        for name, text in texts:
            await ws.send(text)
            await self.expect(ws, name, text)

        for size in (0, 1, 125, 126, 65535, 65536, 1 << 20):
            payload = os.urandom(size)
            await ws.send(payload)
            await self.expect(ws, f"binary-{size}", payload)

        # Three text fragments with the 3-byte "€" split across the first two, so the peer must
        # validate UTF-8 across frame boundaries.
        whole = "frag-one € frag-two · frag-three".encode()
        euro = whole.index("€".encode())
        cuts = (euro + 1, euro + 10)
        await ws.send([whole[: cuts[0]], whole[cuts[0] : cuts[1]], whole[cuts[1] :]], text=True)
        await self.expect(ws, "text-fragmented", whole.decode())

        payload = b"duplex-ping-42"
        pong = await ws.ping(payload)
        # websockets resolves the waiter only for a Pong that carries the same payload.
        await asyncio.wait_for(pong, 10)
        self.check("ping-pong", True)

        await ws.close(4000, "duplex bye")
        result["close"] = {"code": ws.close_code, "reason": ws.close_reason}
        self.check(
            "close-echo",
            ws.close_code == 4000 and ws.close_reason == "duplex bye",
            f"code={ws.close_code} reason={ws.close_reason}",
        )


async def main(args):
    result = {"ok": False, "peer": "python-websockets", "url": args.url}
    conv = Conversation()
    result["checks"] = conv.checks
    kwargs = {"max_size": MAX_SIZE, "ping_interval": None, "open_timeout": args.timeout}
    try:
        params = deflate_params(args.deflate)
    except ValueError as err:
        result["error"] = f"--deflate: {err}"
        print(json.dumps(result), flush=True)
        return 2
    try:
        if params is None:
            kwargs["compression"] = None
        else:
            kwargs["extensions"] = [ClientPerMessageDeflateFactory(**params)]
        if args.protocol:
            kwargs["subprotocols"] = [args.protocol]
        started = time.monotonic()
        async with connect(args.url, **kwargs) as ws:
            result["extensions"] = ws.response.headers.get("Sec-WebSocket-Extensions", "")
            result["protocol"] = ws.subprotocol or ""
            await asyncio.wait_for(conv.run(ws, result), args.timeout)
        result["elapsed_ms"] = round((time.monotonic() - started) * 1000)
    except (OSError, ValueError, ConnectionClosed, asyncio.TimeoutError) as err:
        result["error"] = repr(err)
    except Exception as err:  # any handshake failure is a result to report, not a crash
        result["error"] = repr(err)
    result["ok"] = "error" not in result and bool(conv.checks) and all(c["ok"] for c in conv.checks)
    print(json.dumps(result, ensure_ascii=False), flush=True)
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse_args())))
