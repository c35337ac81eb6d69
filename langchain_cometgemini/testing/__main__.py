"""``python -m langchain_cometgemini.testing [COMMAND ...]``: the emulator from a shell.

Without a command it serves on 127.0.0.1 until Ctrl-C and prints the two
``export`` lines that point ``ChatCometGemini()`` at it. With a command it
runs that command with those variables set and exits with its status, so
``python -m langchain_cometgemini.testing python quickstart.py`` runs a
script offline. Answers come from the default responder (scripted, not a
model): see docs/testing.md.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading

from langchain_cometgemini.testing._server import GeminiEmulator

_NOTE = (
    "# GeminiEmulator at {url}: answers are SCRIPTED (echoes, schema-shaped JSON,"
    " tool calls), not a model's."
)


def main(argv: list[str]) -> int:
    """Serve until interrupted, or run ``argv`` against the emulator."""
    with GeminiEmulator() as emulator:
        env = {"COMETAPI_BASE_URL": emulator.url, "COMETAPI_KEY": "test"}
        print(_NOTE.format(url=emulator.url), file=sys.stderr, flush=True)
        if argv:
            return subprocess.call(argv, env={**os.environ, **env})
        for name, value in env.items():
            print(f"export {name}={value}", flush=True)
        print("# Ctrl-C stops it.", file=sys.stderr, flush=True)
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
