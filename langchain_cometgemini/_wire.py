"""Gemini's REST shapes as the API spells them, and the constants both ways share.

The TypedDicts describe what goes on the wire (camelCase, as the REST
reference writes it) so mypy checks every key the pure modules read or write.
They describe, they do not validate: an answer is untrusted JSON, and the
parser still checks each value's type before using it.

Everything here is read by ``_request`` (messages -> request), ``_response``
(answer -> messages), ``_parts`` (the part-kind table) and the emulator;
this module imports nothing of the package, so the pipeline runs one way.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

__all__ = [
    "OUTCOMES",
    "PROVIDER",
    "SIGNATURES_KEY",
    "Blob",
    "Candidate",
    "CodeExecutionResult",
    "Content",
    "ExecutableCode",
    "FileData",
    "FunctionCall",
    "FunctionResponse",
    "GenerateContentRequest",
    "GenerateContentResponse",
    "ModalityTokenCount",
    "Part",
    "PartialArg",
    "PromptFeedback",
    "UsageMetadata",
]

PROVIDER = "google_genai"
"""``response_metadata["model_provider"]``: langchain-google-genai's name, so
langchain-core's registered translator gives standard ``content_blocks``."""

SIGNATURES_KEY = "__gemini_function_call_thought_signatures__"
"""``additional_kwargs`` key mapping tool-call id -> thought signature (as
``langchain-google-genai`` names it, so histories move between the two)."""

OUTCOMES = {
    "OUTCOME_UNSPECIFIED": 0,
    "OUTCOME_OK": 1,
    "OUTCOME_FAILED": 2,
    "OUTCOME_DEADLINE_EXCEEDED": 3,
}
"""Outcome enum of ``CodeExecutionResult``, kept as the proto numbers genai
uses in its blocks. See https://ai.google.dev/api/caching#Outcome"""


# -- parts ---------------------------------------------------------------------


class Blob(TypedDict, total=False):
    """Raw media bytes, base64 in JSON. See https://ai.google.dev/api/caching#Blob

    ``displayName`` only inside ``FunctionResponse.parts``, where the JSON
    ``response`` may refer to the part as ``{"$ref": displayName}``.
    """

    mimeType: str
    data: str
    displayName: str


class FileData(TypedDict, total=False):
    """Media by URI. See https://ai.google.dev/api/caching#FileData"""

    mimeType: str
    fileUri: str


class PartialArg(TypedDict, total=False):
    """One streamed piece of a call's arguments (Vertex AI only).

    ``jsonPath`` (RFC 9535, e.g. ``$.location`` or ``$.items[0].name``) says
    where the value goes; exactly one typed value is set; ``willContinue``
    says more pieces of the same path follow (a string's next characters).
    See ``PartialArg`` in https://github.com/googleapis/googleapis/blob/master/google/cloud/aiplatform/v1/content.proto
    and https://googleapis.github.io/js-genai/release_docs/interfaces/types.PartialArg.html
    """

    jsonPath: str
    stringValue: str
    numberValue: float
    boolValue: bool
    nullValue: str
    willContinue: bool


class FunctionCall(TypedDict, total=False):
    """A call the model asks for. See https://ai.google.dev/api/caching#FunctionCall

    Vertex AI may stream one call's arguments over several parts (when the
    request sets ``toolConfig.functionCallingConfig.streamFunctionCallArguments``):
    the first part names the call with ``willContinue: true``, nameless parts
    carry ``partialArgs``, and an empty ``functionCall`` closes it. See
    ``FunctionCall`` in https://github.com/googleapis/googleapis/blob/master/google/cloud/aiplatform/v1/content.proto
    """

    id: str
    name: str
    args: dict[str, Any]
    partialArgs: list[PartialArg]
    willContinue: bool


class FunctionResponse(TypedDict, total=False):
    """A function's result sent back to the model.

    See https://ai.google.dev/api/caching#FunctionResponse
    """

    id: str
    name: str
    response: dict[str, Any]
    parts: list[Part]
    """Media the function returned (Gemini 3): ``inlineData`` parts only. See
    https://ai.google.dev/gemini-api/docs/function-calling#multimodal"""


class ExecutableCode(TypedDict, total=False):
    """Code the model wrote for the code-execution tool.

    See https://ai.google.dev/api/caching#ExecutableCode (``id`` is sent by
    newer service versions to pair the code with its result).
    """

    id: str
    language: str
    code: str


class CodeExecutionResult(TypedDict, total=False):
    """What running ``ExecutableCode`` gave.

    See https://ai.google.dev/api/caching#CodeExecutionResult
    """

    id: str
    outcome: str
    output: str


class Part(TypedDict, total=False):
    """One piece of a turn: exactly one data field, plus modifiers.

    The data fields (``text`` ... ``codeExecutionResult``) form the ``data``
    oneof; ``thought`` and ``thoughtSignature`` may stand beside any of them.
    See https://ai.google.dev/api/caching#Part
    """

    text: str
    thought: bool
    thoughtSignature: str
    inlineData: Blob
    fileData: FileData
    functionCall: FunctionCall
    functionResponse: FunctionResponse
    executableCode: ExecutableCode
    codeExecutionResult: CodeExecutionResult
    toolCall: dict[str, Any]
    toolResponse: dict[str, Any]
    mediaResolution: dict[str, str]
    """Per-part input resolution, ``{"level": "MEDIA_RESOLUTION_HIGH"}`` (Gemini 3)."""
    videoMetadata: dict[str, Any]
    """``startOffset`` / ``endOffset`` (Duration strings) and ``fps`` of a video."""


class Content(TypedDict, total=False):
    """One turn. See https://ai.google.dev/api/caching#Content"""

    role: Literal["user", "model"]
    parts: list[Part]


# -- request ---------------------------------------------------------------------


class GenerateContentRequest(TypedDict, total=False):
    """The body of ``generateContent`` / ``streamGenerateContent``.

    The keys are every top-level field the service accepts (the emulator
    rejects others, as the service does). ``tools``, ``toolConfig``,
    ``safetySettings`` and ``generationConfig`` are built by ``_tools`` and
    ``_config`` and kept as plain objects here.
    See https://ai.google.dev/api/generate-content#request-body
    """

    model: str
    contents: list[Content]
    systemInstruction: Content
    tools: list[dict[str, Any]]
    toolConfig: dict[str, Any]
    safetySettings: list[dict[str, Any]]
    generationConfig: dict[str, Any]
    cachedContent: str
    labels: dict[str, str]
    serviceTier: str
    """``standard``, ``flex`` or ``priority``; the answer's
    ``x-gemini-service-tier`` header names the tier that served it."""
    continuationToken: str
    """Resumes a long-decode answer (``Candidate.continuationToken``). See
    https://ai.google.dev/gemini-api/docs/generate-content/long-decode"""


# -- response --------------------------------------------------------------------


class Candidate(TypedDict, total=False):
    """One answer. See https://ai.google.dev/api/generate-content#candidate"""

    index: int
    content: Content
    finishReason: str
    finishMessage: str
    safetyRatings: list[dict[str, Any]]
    citationMetadata: dict[str, Any]
    groundingMetadata: dict[str, Any]
    urlContextMetadata: dict[str, Any]
    avgLogprobs: float
    logprobsResult: dict[str, Any]
    tokenCount: int
    continuationToken: str
    """Long decode: with ``finishReason: CONTINUATION``, the token to send back
    as the request's ``continuationToken`` for the rest of the answer."""


class ModalityTokenCount(TypedDict, total=False):
    """Tokens of one modality (``TEXT``, ``IMAGE``, ``AUDIO``, ``VIDEO`` ...).

    See https://ai.google.dev/api/generate-content#ModalityTokenCount
    """

    modality: str
    tokenCount: int


class UsageMetadata(TypedDict, total=False):
    """Token counts (cumulative in a stream).

    ``trafficType`` comes from Vertex AI-backed answers. See
    https://ai.google.dev/api/generate-content#UsageMetadata and
    https://cloud.google.com/vertex-ai/docs/reference/rest/v1/GenerateContentResponse#UsageMetadata
    """

    promptTokenCount: int
    cachedContentTokenCount: int
    candidatesTokenCount: int
    toolUsePromptTokenCount: int
    thoughtsTokenCount: int
    totalTokenCount: int
    promptTokensDetails: list[ModalityTokenCount]
    cacheTokensDetails: list[ModalityTokenCount]
    candidatesTokensDetails: list[ModalityTokenCount]
    toolUsePromptTokensDetails: list[ModalityTokenCount]
    trafficType: str
    serviceTier: str


class PromptFeedback(TypedDict, total=False):
    """Why a prompt was blocked, if it was.

    See https://ai.google.dev/api/generate-content#PromptFeedback
    """

    blockReason: str
    safetyRatings: list[dict[str, Any]]


class GenerateContentResponse(TypedDict, total=False):
    """A unary answer, or one event of a stream.

    See https://ai.google.dev/api/generate-content#generatecontentresponse
    """

    candidates: list[Candidate]
    promptFeedback: PromptFeedback
    usageMetadata: UsageMetadata
    modelVersion: str
    responseId: str
    createTime: str
    """Vertex AI only. See https://cloud.google.com/vertex-ai/docs/reference/rest/v1/GenerateContentResponse"""
