"""Import time: ``perf_counter`` marks in a fresh interpreter.

``import langchain_cometgemini`` is set against
``import langchain_core.language_models``; for the model, ``BaseChatModel`` is
imported first and ``ChatCometGemini`` right after it in the same interpreter,
so the ratio is exactly what the package adds, free of process-to-process
noise. One warm run per case (byte-compiles, warms the file cache), then the
median of RUNS.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from typing import Any

from common import progress
from report import Row

RUNS = 7
IMPORTS = {
    # The pair the issue names: both packages load their names lazily.
    "literal": ["import langchain_core.language_models"],
    "package": ["import langchain_cometgemini"],
    "model": [
        "from langchain_core.language_models import BaseChatModel",
        "from langchain_cometgemini import ChatCometGemini",
    ],
    "genai": ["from langchain_google_genai import ChatGoogleGenerativeAI"],
}
# Byte-compiled files allowed, as for any installed package (this machine sets
# PYTHONDONTWRITEBYTECODE, which would recompile our sources at every import).
_ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _marks(statements: list[str]) -> list[float]:
    """Seconds from the start to the end of each statement, in a fresh interpreter."""
    code = "import time; t = time.perf_counter(); marks = []\n" + "".join(
        f"{statement}\nmarks.append(time.perf_counter() - t)\n"
        for statement in statements
    )
    code += "print(marks)"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        env=_ENV,
    )
    return [float(x) for x in out.stdout.strip("[]\n").split(",")]


def measure(port: str, impls: list[str]) -> dict[str, Any]:
    """Per case: its statements and the median time to the end of each."""
    progress("import times")
    cases = {k: v for k, v in IMPORTS.items() if k != "genai" or "genai" in impls}
    runs: dict[str, list[list[float]]] = {case: [] for case in cases}
    for statements in cases.values():
        _marks(statements)
    for _ in range(RUNS):
        for case, statements in cases.items():
            runs[case].append(_marks(statements))
    results = {
        case: {
            "statements": cases[case],
            "median_s": [statistics.median(col) for col in zip(*marks, strict=True)],
        }
        for case, marks in runs.items()
    }
    results["model"]["ratio"] = statistics.median(m[1] / m[0] for m in runs["model"])
    return results


def rows(imp: dict[str, Any]) -> list[Row]:
    literal, package = imp["literal"]["median_s"][0], imp["package"]["median_s"][0]
    genai = imp.get("genai", {}).get("median_s", [None])[0]
    floor, ours = imp["model"]["median_s"]

    def other(base: float) -> str | None:
        return f"{genai * 1e3:,.0f} ms ({genai / base:.2f}x)" if genai else None

    return [
        Row(
            "import.package",
            "import (ms): `import langchain_cometgemini` vs "
            "langchain_core.language_models",
            literal * 1e3,
            package * 1e3,
            package / literal,
            other(literal),
        ),
        Row(
            "import.model",
            "import (ms): BaseChatModel, then ChatCometGemini on top",
            floor * 1e3,
            ours * 1e3,
            imp["model"]["ratio"],
            other(floor),
        ),
    ]
