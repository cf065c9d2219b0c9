#!/usr/bin/env bash
# Runs every reference client against every reference server (Node ws, Python websockets, and
# Chromium as a client) to prove the peers themselves agree before they judge our code.
# Ends with interop/eio_selftest.sh (Engine.IO), counted as one more run.
# Usage: interop/selftest.sh [--no-chromium]. Env: DUPLEX_NODE, DUPLEX_PY.
set -uo pipefail
cd "$(dirname "$0")"
# shellcheck source=interop/_selftest.sh
source ./_selftest.sh "$@"

start_server node_port "$tmp/node.out" "$NODE" ws_echo_server.mjs --port 0 --quiet || exit 1
start_server py_port "$tmp/py.out" "$PY" py_echo_server.py --port 0 --quiet || exit 1
start_server node_tuned "$tmp/node2.out" "$NODE" ws_echo_server.mjs --port 0 --quiet --protocols chat \
  --deflate '{"serverNoContextTakeover":true,"serverMaxWindowBits":10,"threshold":0}' || exit 1

run "node-client/node-server" "$NODE" ws_client.mjs --url "ws://127.0.0.1:$node_port/"
run "node-client/python-server" "$NODE" ws_client.mjs --url "ws://127.0.0.1:$py_port/"
run "python-client/node-server" "$PY" py_client.py --url "ws://127.0.0.1:$node_port/"
run "python-client/python-server" "$PY" py_client.py --url "ws://127.0.0.1:$py_port/"
run "python-client/node-server-tuned" "$PY" py_client.py --url "ws://127.0.0.1:$node_tuned/" \
  --protocol chat --deflate '{"client_max_window_bits":9}'
run "node-client/no-deflate" "$NODE" ws_client.mjs --url "ws://127.0.0.1:$py_port/" --deflate false
if ((chromium)); then
  run "chromium/node-server" "$NODE" chromium_client.mjs --url "ws://127.0.0.1:$node_port/"
  run "chromium/python-server" "$NODE" chromium_client.mjs --url "ws://127.0.0.1:$py_port/"
fi
# The Engine.IO peers against Node's engine.io (their own summary line).
if ((chromium)); then ./eio_selftest.sh; else ./eio_selftest.sh --no-chromium; fi || failed=$((failed + 1))
echo "selftest: $passed passed, $failed failed"
((failed == 0))
