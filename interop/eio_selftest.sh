#!/usr/bin/env bash
# Runs every Engine.IO reference client (engine.io-client 6 and 3, python-engineio, Chromium, the
# raw HTTP prober) against the Node reference server in every transport mode, to prove the peers
# and their expectations agree with Node's engine.io before they judge our server.
# Usage: interop/eio_selftest.sh [--no-chromium]. Env: DUPLEX_NODE, DUPLEX_PY.
set -uo pipefail
cd "$(dirname "$0")"
# shellcheck source=interop/_selftest.sh
source ./_selftest.sh "$@"

free_port() { "$PY" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
common=(--ping-interval 300 --ping-timeout 200 --quiet)
start_server eio "$tmp/eio.out" "$NODE" eio_echo_server.mjs --port 0 "${common[@]}" \
  --max-payload 1000000 --cors '*' --forbid || exit 1
# python-engineio answers pings late while it moves a megabyte: a 5 s pingTimeout for its
# scenarios other than heartbeat-expiry.
start_server slow "$tmp/slow.out" "$NODE" eio_echo_server.mjs --port 0 --ping-interval 300 \
  --ping-timeout 5000 --quiet --max-payload 1000000 || exit 1
start_server eio3 "$tmp/eio3.out" "$NODE" eio_echo_server.mjs --port 0 "${common[@]}" \
  --max-payload 1000000 --allow-eio3 || exit 1
start_server refuse "$tmp/refuse.out" "$NODE" eio_echo_server.mjs --port 0 --quiet \
  --cors http://other.test || exit 1
page_port=$(free_port)
start_server creds "$tmp/creds.out" "$NODE" eio_echo_server.mjs --port 0 --quiet \
  --cors "http://127.0.0.1:$page_port" --cors-credentials || exit 1

url=http://127.0.0.1:$eio
for mode in polling websocket polling,websocket; do
  for scenario in echo at-limit over-limit heartbeat-expiry server-close client-close; do
    run "node/$mode/$scenario" "$NODE" eio_client.mjs --url "$url" --transports "$mode" \
      --scenario "$scenario" --max-payload 1000000
    py_url=http://127.0.0.1:$slow
    [[ $scenario == heartbeat-expiry ]] && py_url=$url
    run "python/$mode/$scenario" "$PY" py_eio_client.py --url "$py_url" --transports "$mode" \
      --scenario "$scenario" --max-payload 1000000
  done
  for scenario in echo at-limit over-limit server-close client-close; do
    run "node-v3/$mode/$scenario" "$NODE" eio_client.mjs --eio3 --url "http://127.0.0.1:$eio3" \
      --transports "$mode" --scenario "$scenario" --max-payload 1000000
  done
done
# Node never expires an upgraded v3 session (see README), so only these two modes.
for mode in polling websocket; do
  run "node-v3/$mode/heartbeat-expiry" "$NODE" eio_client.mjs --eio3 --url "http://127.0.0.1:$eio3" \
    --transports "$mode" --scenario heartbeat-expiry
done
run "raw-http/cors-forbid" "$PY" eio_raw_http.py --url "$url" --max-payload 1000000 --forbid --cors '*'
run "raw-http/eio3" "$PY" eio_raw_http.py --url "http://127.0.0.1:$eio3" --max-payload 1000000 \
  --eio3-allowed
if ((chromium)); then
  run "chromium/cors-any" "$NODE" eio_chromium_cors.mjs --url "$url"
  run "chromium/cors-refused" "$NODE" eio_chromium_cors.mjs --url "http://127.0.0.1:$refuse" \
    --expect refused
  run "chromium/cors-credentials" "$NODE" eio_chromium_cors.mjs --url "http://127.0.0.1:$creds" \
    --page-port "$page_port" --with-credentials
fi
echo "eio selftest: $passed passed, $failed failed"
((failed == 0))
