#!/usr/bin/env python3
"""Reference WebSocket echo server on Python `websockets` (asyncio).

Same contract as ws_echo_server.mjs (see interop/README.md): prints ``LISTENING <port>``, one JSON
line per closed connection, and a final JSON line when it exits.
"""

import argparse
import asyncio
import json
import signal
import sys

from websockets.asyncio.server import serve
from websockets.exceptions import ConnectionClosed
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory

from _deflate import deflate_params

MAX_SIZE = 64 * 1024 * 1024


def parse_args():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--deflate", default="{}", help="JSON factory params, or false")
    p.add_argument("--protocols", default="", help="comma-separated subprotocols to accept")
    p.add_argument("--once", action="store_true", help="exit after the first connection closes")
    p.add_argument("--timeout", type=float, default=0, help="exit after this many seconds")
    p.add_argument("--quiet", action="store_true", help="no per-connection lines")
    return p.parse_args()


def emit(obj):
    print(json.dumps(obj), flush=True)


async def main(args):
    params = deflate_params(args.deflate)
    stats = {"event": "exit", "ok": True, "connections": 0, "messages": 0, "errors": []}
    stop = asyncio.get_running_loop().create_future()

    async def handler(ws):
        stats["connections"] += 1
        conn = {
            "event": "closed",
            "path": ws.request.path,
            "extensions": ws.response.headers.get("Sec-WebSocket-Extensions", ""),
            "protocol": ws.subprotocol or "",
            "messages": 0,
        }
        try:
            async for message in ws:
                conn["messages"] += 1
                stats["messages"] += 1
                await ws.send(message)
        except ConnectionClosed:
            pass  # a close with any code ends the echo loop; the code is reported below
        except Exception as err:  # the peer's protocol error ends only its connection
            conn["error"] = repr(err)
        await ws.wait_closed()
        conn["code"] = ws.close_code
        conn["reason"] = ws.close_reason
        if not args.quiet:
            emit(conn)
        if args.once and not stop.done():
            stop.set_result(None)

    kwargs = {
        "max_size": MAX_SIZE,
        "ping_interval": None,
        "subprotocols": [p for p in args.protocols.split(",") if p] or None,
    }
    if params is None:
        kwargs["compression"] = None
    else:
        kwargs["extensions"] = [ServerPerMessageDeflateFactory(**params)]

    async with serve(handler, args.host, args.port, **kwargs) as server:
        port = next(iter(server.sockets)).getsockname()[1]
        print(f"LISTENING {port}", flush=True)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, lambda: stop.done() or stop.set_result(None))
        if args.timeout > 0:
            loop.call_later(args.timeout, lambda: stop.done() or stop.set_result(None))
        await stop
    emit(stats)


if __name__ == "__main__":
    try:
        asyncio.run(main(parse_args()))
    except ValueError as err:
        emit({"event": "exit", "ok": False, "errors": [str(err)]})
        sys.exit(2)
