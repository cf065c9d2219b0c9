# Shared by selftest.sh and eio_selftest.sh (sourced from interop/ with the script's arguments):
# their environment and options, servers that stop with the script, and run/count/report.
# Env: DUPLEX_NODE, DUPLEX_PY. Option: --no-chromium (sets chromium=0).
NODE=${DUPLEX_NODE:-node}
PY=${DUPLEX_PY:-.venv/bin/python}
chromium=1
[[ ${1:-} == --no-chromium ]] && chromium=0

pids=()
tmp=$(mktemp -d)
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# start_server VAR OUTFILE CMD... : starts a server in this shell (so its PID is recorded for the
# EXIT trap), waits for its LISTENING line and stores the port in VAR.
start_server() {
  local var=$1 out=$2
  shift 2
  "$@" >"$out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do
    if grep -qs '^LISTENING ' "$out"; then
      printf -v "$var" '%s' "$(awk '/^LISTENING /{print $2; exit}' "$out")"
      return 0
    fi
    sleep 0.1
  done
  echo "server did not start: $*" >&2
  cat "$out" >&2
  return 1
}

# run NAME CMD... : runs a client to its verdict line; PASS or FAIL (with its stderr), counted.
passed=0; failed=0
run() {
  local name=$1; shift
  local line
  if line=$("$@" 2>"$tmp/err"); then
    passed=$((passed + 1)); echo "PASS $name  ${line:0:160}"
  else
    failed=$((failed + 1)); echo "FAIL $name  $line"; cat "$tmp/err"
  fi
}
