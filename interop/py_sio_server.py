"""A python-socketio server for the Rust client's tests: the part of the Socket.IO server
contract (interop/README.md) that tests/client.rs exercises, on python-socketio's ASGI
server under uvicorn.

    interop/.venv/bin/python interop/py_sio_server.py --port 0

Prints `LISTENING <port>` once it accepts connections.
"""

import argparse
import asyncio
import socket
import sys

import socketio
import uvicorn

parser = argparse.ArgumentParser()
parser.add_argument("--port", type=int, default=0)
parser.add_argument("--quiet", action="store_true")
args = parser.parse_args()

sio = socketio.AsyncServer(async_mode="asgi", cors_allowed_origins="*")
app = socketio.ASGIApp(sio)
NAMESPACES = ["/", "/custom"]


def register(nsp):
    @sio.on("connect", namespace=nsp)
    async def connect(sid, environ, auth):
        await sio.emit("auth", auth or {}, to=sid, namespace=nsp)

    @sio.on("message-with-ack", namespace=nsp)
    async def message_with_ack(sid, *data):
        # A tuple return value is spread into several ack arguments.
        return data

    @sio.on("message", namespace=nsp)
    async def message(sid, *data):
        await sio.emit("message-back", data, to=sid, namespace=nsp)

    @sio.on("no-ack", namespace=nsp)
    async def no_ack(sid, *data):
        # python-socketio acks whenever the handler returns, even with nothing: never return.
        await asyncio.Event().wait()

    @sio.on("emit-with-ack", namespace=nsp)
    async def emit_with_ack(sid, spec):
        event, call_args = spec["event"], tuple(spec.get("args", []))
        timeout = spec.get("timeout", 10_000) / 1000
        try:
            answer = await sio.call(event, call_args, to=sid, namespace=nsp, timeout=timeout)
            answer = list(answer) if isinstance(answer, tuple) else [answer]
            result = {"args": answer}
        except socketio.exceptions.TimeoutError:
            result = {"error": "timeout"}
        await sio.emit("emit-with-ack-result", result, to=sid, namespace=nsp)

    @sio.on("server-disconnect", namespace=nsp)
    async def server_disconnect(sid, close=False):
        await sio.disconnect(sid, namespace=nsp)


for nsp in NAMESPACES:
    register(nsp)


async def main():
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", args.port))
    config = uvicorn.Config(app, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    print(f"LISTENING {listener.getsockname()[1]}", flush=True)
    await server.serve(sockets=[listener])


asyncio.run(main())
