"""LangChain integration for Gemini models served by CometAPI (native Gemini REST).

Names are loaded on first access (PEP 562), as in ``langchain_core`` itself:
``import langchain_cometgemini`` costs almost nothing, and the chat model's
import cost is paid by the code that uses it.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from langchain_cometgemini._errors import (
        CometGeminiError,
        GeminiAPIError,
        GeminiAuthenticationError,
        GeminiConnectionError,
        GeminiContextOverflowError,
        GeminiContinuationError,
        GeminiInvalidRequestError,
        GeminiNotFoundError,
        GeminiPermissionDeniedError,
        GeminiRateLimitError,
        GeminiResponseError,
        GeminiServerError,
        GeminiStreamError,
        GeminiTimeoutError,
    )
    from langchain_cometgemini.audio import save_audio
    from langchain_cometgemini.chat_models import ChatCometGemini
    from langchain_cometgemini.images import save_images

__all__ = [
    "ChatCometGemini",
    "CometGeminiError",
    "GeminiAPIError",
    "GeminiAuthenticationError",
    "GeminiConnectionError",
    "GeminiContextOverflowError",
    "GeminiContinuationError",
    "GeminiInvalidRequestError",
    "GeminiNotFoundError",
    "GeminiPermissionDeniedError",
    "GeminiRateLimitError",
    "GeminiResponseError",
    "GeminiServerError",
    "GeminiStreamError",
    "GeminiTimeoutError",
    "__version__",
    "save_audio",
    "save_images",
]
_MODULE_OF = {
    "ChatCometGemini": "chat_models",
    "save_audio": "audio",
    "save_images": "images",
} | {name: "_errors" for name in __all__ if name.endswith("Error")}


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib import metadata

        try:
            value: Any = metadata.version("langchain-cometgemini")
        except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
            value = "0.0.0"
    elif name in _MODULE_OF:
        value = getattr(import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *__all__])
