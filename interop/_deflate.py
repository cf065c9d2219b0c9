"""Shared `--deflate` parsing for the Python peers."""

import json

ALLOWED = {
    "server_no_context_takeover",
    "client_no_context_takeover",
    "server_max_window_bits",
    "client_max_window_bits",
}


def deflate_params(text):
    """Return permessage-deflate factory keyword arguments, or None when deflate is off.

    Accepts a JSON object with the keys in ALLOWED, or `false` to turn compression off.
    """
    value = json.loads(text)
    if value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise ValueError("--deflate must be a JSON object or false")
    unknown = set(value) - ALLOWED
    if unknown:
        raise ValueError(f"unknown --deflate keys: {sorted(unknown)}")
    return value
