"""``python -m langchain_cometgemini.testing``: the emulator from a shell.

Without a command it serves until Ctrl-C and prints the two ``export`` lines
that point ``ChatCometGemini()`` at it; ``--port`` keeps those lines valid
across restarts. With a command (after ``--``, or simply after the options)
it runs that command with the two variables set and exits with its status,
so ``python -m langchain_cometgemini.testing -- python quickstart.py`` runs a
script offline. Answers come from the default responder (scripted, not a
model): see docs/testing.md.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import threading

from langchain_cometgemini._errors import docs_url
from langchain_cometgemini.testing._server import GeminiEmulator

_NOTE = (
    "# GeminiEmulator at {url}: answers are SCRIPTED (echoes, schema-shaped JSON,"
    " tool calls), not a model's."
)

_EPILOG = f"""examples:
  python -m langchain_cometgemini.testing
      serve on a free port; paste the printed export lines into another shell
  python -m langchain_cometgemini.testing --port 8765
      the same on a fixed port: the export lines stay valid across restarts
  python -m langchain_cometgemini.testing -- python my_script.py
      run my_script.py against the emulator and exit with its status

guide: {docs_url("testing.md")}
"""


def parser() -> argparse.ArgumentParser:
    """The command line: options, then an optional command."""
    cli = argparse.ArgumentParser(
        prog="python -m langchain_cometgemini.testing",
        usage=(
            "%(prog)s [-h] [--host HOST] [--port PORT] [--any-model] [-- COMMAND ...]"
        ),
        description=(
            "Serve the Gemini emulator, a local stand-in for CometAPI's Gemini\n"
            "endpoint (scripted answers, no key, no network), or run COMMAND\n"
            "with COMETAPI_BASE_URL and COMETAPI_KEY pointing at it."
        ),
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    cli.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: %(default)s)",
    )
    cli.add_argument(
        "--port",
        type=int,
        default=0,
        help="port to listen on (default: 0, a free one chosen by the system)",
    )
    cli.add_argument(
        "--any-model",
        action="store_true",
        help="answer every model id (default: only ids the service would serve)",
    )
    cli.add_argument(
        "command",
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND",
        help="command to run against the emulator; none: serve until Ctrl-C",
    )
    return cli


def main(argv: list[str]) -> int:
    """Serve until interrupted, or run the command against the emulator."""
    cli = parser()
    args = cli.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not 0 <= args.port <= 65535:
        cli.error(f"--port must be 0-65535, got {args.port}")
    emulator = GeminiEmulator(host=args.host, port=args.port, any_model=args.any_model)
    try:
        emulator.start()
    except OSError as exc:
        print(
            f"Cannot listen on {args.host}:{args.port}: {exc.strerror or exc}. "
            "Pick another --port (0: any free one).",
            file=sys.stderr,
        )
        return 2
    try:
        return _serve_or_run(emulator, command)
    except KeyboardInterrupt:  # Ctrl-C at any point: a clean end
        return 130 if command else 0
    finally:
        emulator.stop()


def _serve_or_run(emulator: GeminiEmulator, command: list[str]) -> int:
    """Run ``command`` against the started emulator, or serve until Ctrl-C."""
    env = {"COMETAPI_BASE_URL": emulator.url, "COMETAPI_KEY": "test"}
    print(_NOTE.format(url=emulator.url), file=sys.stderr, flush=True)
    if command:
        try:
            return subprocess.call(command, env={**os.environ, **env})
        except FileNotFoundError:
            print(f"Command not found: {command[0]}", file=sys.stderr)
            return 127
    for name, value in env.items():
        print(f"export {name}={value}", flush=True)
    print("# Ctrl-C stops it.", file=sys.stderr, flush=True)
    threading.Event().wait()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
