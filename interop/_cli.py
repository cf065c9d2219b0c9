"""Shared by the Python peers: a command line whose mistakes still get the one JSON line
(interop/README.md: `{"ok": false, "error"}` and exit status 2)."""

import argparse
import json


class Usage(Exception):
    """A bad command line."""


class Parser(argparse.ArgumentParser):
    """argparse that raises Usage instead of printing its own message and exiting."""

    def error(self, message):
        raise Usage(message)


def usage_error(exc):
    """Prints the JSON line for a Usage error; returns the exit status."""
    print(json.dumps({"ok": False, "error": str(exc)}), flush=True)
    return 2
