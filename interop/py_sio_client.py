#!/usr/bin/env python3
"""python-socketio 5.18.1 (sync Client) against a server following the sio_server.mjs contract.

The basic flows: connect with auth to `/` and `/custom`, echo of JSON and binary, acks both ways,
rooms, middleware refusal on `/auth`, `Invalid namespace`, disconnect reasons both ways. Prints one
JSON line: {"ok", "peer", "url", "transports", "checks", "transcript", "elapsed_ms", "error"?}; the
transcript is normalized like sio_client.mjs's (socket ids become <label>, bytes become
{"<binary>": hex}). Exit 0 when every check passed, 1 otherwise, 2 on bad arguments.
Contract: interop/README.md ("Socket.IO").
"""
import argparse
import hashlib
import json
import queue
import sys
import threading
import time

import socketio

MODES = {'polling': ['polling'], 'websocket': ['websocket'], 'polling,websocket': ['polling', 'websocket']}


class Run:
    def __init__(self, url, transports):
        self.url = url
        self.transports = transports
        self.checks = []
        self.transcript = []
        self.labels = {}

    def label(self, sid, name):
        if isinstance(sid, str) and sid and sid not in self.labels:
            self.labels[sid] = name

    def norm(self, v):
        if isinstance(v, (bytes, bytearray)):
            b = bytes(v)
            # Past 256 bytes: length + SHA-256, as sio_client.mjs does.
            text = b.hex() if len(b) <= 256 else f'{len(b)} bytes, sha256 {hashlib.sha256(b).hexdigest()}'
            return {'<binary>': text, 'type': 'bytes'}
        if isinstance(v, str):
            return f'<{self.labels[v]}>' if v in self.labels else v
        if isinstance(v, (list, tuple)):
            return [self.norm(x) for x in v]
        if isinstance(v, dict):
            return {self.norm(k): self.norm(x) for k, x in v.items()}
        return v

    def check(self, name, ok, detail=None):
        c = {'name': name, 'ok': bool(ok)}
        if not ok and detail is not None:
            c['detail'] = json.dumps(self.norm(detail))[:2000]
        self.checks.append(c)
        return bool(ok)

    def record(self, key, value):
        self.transcript.append([key, self.norm(value)])

    def expect(self, key, value, want):
        self.record(key, value)
        # Key order counts: compare the JSON text, not the dicts.
        same = json.dumps(self.norm(value)) == json.dumps(self.norm(want))
        return self.check(key, same, {'got': value, 'want': want})


class Client:
    """A python-socketio Client whose incoming events land in one queue per namespace."""

    def __init__(self, run, name, namespaces):
        self.run = run
        self.name = name
        self.sio = socketio.Client(reconnection=False)
        self.inbox = {ns: queue.Queue() for ns in namespaces}
        self.errors = queue.Queue()
        self.disconnects = {ns: queue.Queue() for ns in namespaces}
        for ns in namespaces:
            self.sio.on('*', self._any(ns), namespace=ns)
            self.sio.on('connect_error', self._connect_error(ns), namespace=ns)
            self.sio.on('disconnect', self._disconnect(ns), namespace=ns)

    def _any(self, ns):
        def handler(event, *args):
            self.inbox[ns].put((event, list(args)))
        return handler

    def _connect_error(self, ns):
        def handler(*data):
            self.errors.put((ns, list(data)))
        return handler

    def _disconnect(self, ns):
        def handler(reason=None):
            self.disconnects[ns].put(reason)
        return handler

    def connect(self, auth=None):
        self.sio.connect(self.run.url, auth=auth, transports=self.run.transports,
                         namespaces=list(self.inbox), wait_timeout=5)
        for ns in self.inbox:
            self.run.label(self.sio.get_sid(ns), self.name + ('' if ns == '/' else ns))

    def event(self, name, ns='/', timeout=5.0):
        """The next event called `name` in `ns` (events before it are dropped), or None."""
        deadline = time.monotonic() + timeout
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            try:
                event, args = self.inbox[ns].get(timeout=left)
            except queue.Empty:
                return None
            if event == name:
                return args

    def call(self, event, *args, ns='/', timeout=5):
        """Emits with an ack; the ack's arguments as a list, or {"timeout": true}."""
        try:
            res = self.sio.call(event, tuple(args), namespace=ns, timeout=timeout)
        except socketio.exceptions.TimeoutError:
            return {'timeout': True}
        if res is None:
            return []
        return list(res) if isinstance(res, tuple) else [res]


def flows(run):
    auth = {'token': 'abc', 'nested': {'b': 1, 'a': [1, 'two', None]}}
    A = Client(run, 'A', ['/', '/custom'])
    A.connect(auth=auth)
    run.check('connected', A.sio.connected)
    if run.transports == MODES['polling,websocket']:
        run.check('upgraded', A.sio.transport() == 'websocket', A.sio.transport())
    run.expect('auth', A.event('auth'), [auth])
    run.expect('auth-custom', A.event('auth', '/custom'), [auth])

    shapes = [
        ('json', ['a', 1, -2.5, None, True, {'z': 1, 'a': {'y': [1, {'x': None}]}}, [[], {}], 'é€😀']),
        ('no-args', []),
        ('binary', [b'\x01\x02\x03', {'nested': b'\xff', 'list': [b'', b'\x00']}]),
        ('large-binary', [bytes(range(256)) * 400]),
    ]
    for name, args in shapes:
        A.sio.emit('message', tuple(args))
        run.expect(f'echo:{name}', A.event('message-back'), args)
        run.expect(f'ack:{name}', A.call('message-with-ack', *args), args)
    A.sio.emit('message', ('custom only',), namespace='/custom')
    run.expect('echo-custom', A.event('message-back', '/custom'), ['custom only'])

    # Server-to-client acks: a handler's return value is the ack.
    A.sio.on('ask', lambda *args: ('answer', *args), namespace='/')
    A.sio.emit('emit-with-ack', {'event': 'ask', 'args': [1, b'\x09']})
    run.expect('server-ack', A.event('emit-with-ack-result'), [{'args': ['answer', 1, b'\x09']}])
    A.sio.on('ask-silent', lambda *args: None, namespace='/')
    A.sio.emit('emit-with-ack', {'event': 'ask-silent', 'args': [], 'timeout': 300})
    got = A.event('emit-with-ack-result')
    # python-socketio acks even when the handler returns None (an empty ack): no timeout.
    run.record('server-ack-handler-returns-none', got)

    run.expect('client-ack-timeout', A.call('no-ack', 1, timeout=0.3), {'timeout': True})
    rooms = A.call('join', ['py1', 'py2'])
    run.record('join', [sorted(run.norm(rooms[0]))] if rooms and isinstance(rooms[0], list) else rooms)

    # Refused and unknown namespaces (each on its own connection: connect() fails as a whole).
    for name, ns, a in [('auth-refused', '/auth', {'token': 'no'}), ('invalid-namespace', '/nope', None)]:
        B = Client(run, name, [ns])
        try:
            B.connect(auth=a)
            run.check(name, False, 'connected')
        except socketio.exceptions.ConnectionError:
            try:
                run.record(f'{name}:connect_error', B.errors.get(timeout=2))
                run.check(name, True)
            except queue.Empty:
                run.check(name, False, 'no connect_error')
        B.sio.disconnect()
    C = Client(run, 'C', ['/auth'])
    C.connect(auth={'token': 'secret'})
    run.expect('auth-accepted', C.event('auth', '/auth'), [{'token': 'secret'}])
    C.sio.disconnect()
    run.record('client-disconnect-reason', C.disconnects['/auth'].get(timeout=2))

    # Server-side namespace disconnect of /custom leaves `/` working.
    A.sio.emit('server-disconnect', False, namespace='/custom')
    try:
        run.record('server-disconnect-reason', A.disconnects['/custom'].get(timeout=3))
    except queue.Empty:
        run.check('server-disconnect-reason', False, 'no disconnect')
    run.expect('root-after-custom-gone', A.call('message-with-ack', 'still'), ['still'])
    A.sio.emit('server-disconnect', True)
    try:
        run.record('server-close-reason', A.disconnects['/'].get(timeout=3))
    except queue.Empty:
        run.check('server-close-reason', False, 'no disconnect')
    A.sio.disconnect()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--url', required=True)
    ap.add_argument('--transports', default='polling,websocket', choices=list(MODES))
    ap.add_argument('--timeout', type=float, default=60)
    try:
        opts = ap.parse_args()
    except SystemExit:
        print(json.dumps({'ok': False, 'error': 'bad arguments'}))
        sys.exit(2)
    run = Run(opts.url, MODES[opts.transports])
    started = time.monotonic()
    result = {'ok': False, 'peer': 'python-socketio@5.18.1', 'url': opts.url, 'transports': opts.transports}

    def watchdog():
        result.update(checks=run.checks, transcript=run.transcript, error=f'timed out after {opts.timeout} s')
        print(json.dumps(result), flush=True)
        import os
        os._exit(1)
    timer = threading.Timer(opts.timeout, watchdog)
    timer.daemon = True
    timer.start()
    try:
        flows(run)
    except Exception as exc:  # noqa: BLE001 — any failure is reported in the JSON line
        result['error'] = f'{type(exc).__name__}: {exc}'
    timer.cancel()
    result['checks'] = run.checks
    result['transcript'] = run.transcript
    result['ok'] = 'error' not in result and bool(run.checks) and all(c['ok'] for c in run.checks)
    result['elapsed_ms'] = int((time.monotonic() - started) * 1000)
    print(json.dumps(result), flush=True)
    sys.exit(0 if result['ok'] else 1)


if __name__ == '__main__':
    main()
