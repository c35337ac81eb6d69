"""LangChain integration for Gemini models served by CometAPI (native Gemini REST)."""

from importlib import metadata

from langchain_cometgemini._errors import (
    CometGeminiError,
    GeminiAPIError,
    GeminiAuthenticationError,
    GeminiConnectionError,
    GeminiContextOverflowError,
    GeminiInvalidRequestError,
    GeminiNotFoundError,
    GeminiPermissionDeniedError,
    GeminiRateLimitError,
    GeminiServerError,
    GeminiStreamError,
    GeminiTimeoutError,
)
from langchain_cometgemini.chat_models import ChatCometGemini
from langchain_cometgemini.images import save_images

try:
    __version__ = metadata.version("langchain-cometgemini")
except metadata.PackageNotFoundError:  # pragma: no cover - source checkout
    __version__ = "0.0.0"

__all__ = [
    "ChatCometGemini",
    "CometGeminiError",
    "GeminiAPIError",
    "GeminiAuthenticationError",
    "GeminiConnectionError",
    "GeminiContextOverflowError",
    "GeminiInvalidRequestError",
    "GeminiNotFoundError",
    "GeminiPermissionDeniedError",
    "GeminiRateLimitError",
    "GeminiServerError",
    "GeminiStreamError",
    "GeminiTimeoutError",
    "__version__",
    "save_images",
]
