"""The settings table: one declaration per request setting of ``ChatCometGemini``.

Each field of :class:`RequestSettings` is one row of the table. Its pydantic
declaration says how the value is validated and normalized (types, bounds,
``AfterValidator``); its :class:`Wire` marker says where the value goes in
the request and that it may be given per call (``invoke(x, temperature=0)``).
:class:`SettingsTable` reads the markers once, at import, and everything else
is derived from it: the per-call names, ``generationConfig`` building
(``_config``), per-call validation, and the check that docs/index.md's
parameter table agrees (tests/unit_tests/test_settings_docs.py).

Adding a ``generationConfig`` field is one declaration here plus its docs line::

    enable_affective_dialog: Annotated[
        bool | None, Config("enableAffectiveDialog")
    ] = None

A value is normalized once, when it is validated (constructor or per call),
and stored in its wire form, so building a request only copies values.
Request reference: https://ai.google.dev/api/generate-content#request-body
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from operator import getitem
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails

__all__ = [
    "EMPTY",
    "HARM_CATEGORIES",
    "HARM_THRESHOLDS",
    "IMAGE_SIZES",
    "TABLE",
    "RequestSettings",
    "SettingsTable",
    "Wire",
    "check_cached_content",
    "check_settings",
    "normalize_image_config",
    "normalize_media_resolution",
    "normalize_safety_settings",
    "normalize_speech_config",
]

Place = Literal[
    "generationConfig", "thinkingConfig", "request", "merge", "path", "call"
]

EMPTY: tuple[Any, ...] = ("", (), [], {})
"""``omit`` for settings whose empty value means "not set"."""


@dataclass(frozen=True, slots=True)
class Wire:
    """Where a setting goes in the request; a field with one may be given per call.

    ``place``: ``generationConfig`` (``key`` is its field), ``request`` (a
    top-level body key), ``thinkingConfig`` (``key`` is the keyword of
    ``_config.thinking_config``, which picks the wire field per model),
    ``merge`` (a mapping merged into ``generationConfig`` last), ``path`` (part
    of the URL) or ``call`` (used by the call, never sent). ``omit``: values
    sent as nothing besides ``None`` (a default the service assumes anyway).
    ``amount``: one of the thinking settings a per-call value replaces.
    """

    place: Place
    key: str = ""
    omit: tuple[Any, ...] = ()
    amount: bool = False

    @property
    def where(self) -> str:
        """Where the value goes, as docs/index.md's "request key" column says it."""
        if self.place == "generationConfig":
            return f"generationConfig.{self.key}"
        if self.place == "thinkingConfig":
            return "generationConfig.thinkingConfig"
        if self.place == "merge":
            return "generationConfig"
        return self.key


def Config(key: str, omit: tuple[Any, ...] = ()) -> Wire:  # noqa: N802 - reads as a marker
    """A ``generationConfig`` field. See https://ai.google.dev/api/generate-content#generationconfig"""
    return Wire("generationConfig", key, omit)


def Thinking(keyword: str, *, amount: bool = True) -> Wire:  # noqa: N802
    """An input of ``thinkingConfig``. See https://ai.google.dev/gemini-api/docs/thinking"""
    return Wire("thinkingConfig", keyword, amount=amount)


def _enum_name(value: Any, prefix: str) -> str:
    text = str(getattr(value, "name", value)).upper()
    return text if text.startswith(prefix) or prefix == "" else f"{prefix}{text}"


HARM_CATEGORIES = frozenset(
    {
        "HARM_CATEGORY_HARASSMENT",
        "HARM_CATEGORY_HATE_SPEECH",
        "HARM_CATEGORY_SEXUALLY_EXPLICIT",
        "HARM_CATEGORY_DANGEROUS_CONTENT",
        "HARM_CATEGORY_CIVIC_INTEGRITY",
    }
)
HARM_THRESHOLDS = frozenset(
    {
        "HARM_BLOCK_THRESHOLD_UNSPECIFIED",
        "BLOCK_LOW_AND_ABOVE",
        "BLOCK_MEDIUM_AND_ABOVE",
        "BLOCK_ONLY_HIGH",
        "BLOCK_NONE",
        "OFF",
    }
)


_SAFETY_KEYS = frozenset({"category", "threshold"})


def _safety_pairs(value: Any) -> list[tuple[Any, Any]]:
    if isinstance(value, Mapping):
        return list(value.items())
    if not isinstance(value, list | tuple):
        raise ValueError(
            f"safety_settings must be a dict or a list, not {type(value).__name__}"
        )
    for entry in value:
        if not isinstance(entry, Mapping) or not entry.keys() >= _SAFETY_KEYS:
            raise ValueError(
                "safety_settings entries must be "
                f"{{'category': ..., 'threshold': ...}}, got {entry!r}"
            )
    return [(entry["category"], entry["threshold"]) for entry in value]


def normalize_safety_settings(value: Any) -> list[dict[str, str]] | None:
    """``{category: threshold}`` or a list of either shape -> wire list.

    Short names are accepted (``"hate_speech": "block_none"``); unknown
    categories or thresholds raise ``ValueError`` naming the bad value.
    See https://ai.google.dev/api/generate-content#v1beta.SafetySetting
    """
    if value is None:
        return None
    settings = []
    for category, threshold in _safety_pairs(value):
        cat = _enum_name(category, "HARM_CATEGORY_")
        thr = _enum_name(threshold, "")
        if thr not in HARM_THRESHOLDS and f"BLOCK_{thr}" in HARM_THRESHOLDS:
            thr = f"BLOCK_{thr}"
        if cat not in HARM_CATEGORIES:
            raise ValueError(
                f"safety_settings: unknown harm category {category!r}; "
                f"known: {sorted(HARM_CATEGORIES)}"
            )
        if thr not in HARM_THRESHOLDS:
            raise ValueError(
                f"safety_settings: unknown threshold {threshold!r} for {cat}; "
                f"known: {sorted(HARM_THRESHOLDS)}"
            )
        settings.append({"category": cat, "threshold": thr})
    return settings


IMAGE_SIZES = ("512", "1K", "2K", "4K")
"""Sizes the image models take today (docs/images.md lists them per model);
the check accepts any size of the same shape, so newer sizes need no release."""
_IMAGE_SIZE = re.compile(r"^(?P<n>[1-9][0-9]*)(?P<k>K?)$")
_ASPECT_RATIO = re.compile(r"^[1-9][0-9]*:[1-9][0-9]*$")
_IMAGE_KEYS = {"aspect_ratio": "aspectRatio", "image_size": "imageSize"}


def _image_size(raw: Any) -> str:
    """``"1k"`` -> ``"1K"``. A size is a power of two, in pixels (``"512"``)
    or in K (``"1K"``, ``"2K"``, ``"4K"``): the shape every size Gemini
    documents has (https://ai.google.dev/gemini-api/docs/image-generation).
    """
    match = _IMAGE_SIZE.match(raw.strip().upper()) if isinstance(raw, str) else None
    number = int(match.group("n")) if match else 0
    if not match or number & (number - 1) or (not match.group("k") and number < 64):
        raise ValueError(
            "image_config.image_size must be a size string such as "
            f"{', '.join(repr(s) for s in IMAGE_SIZES)} (a power of two, in "
            f"pixels or K), got {raw!r}"
        )
    return f"{number}{match.group('k')}"


def _image_value(wire: str, raw: Any) -> Any:
    if wire == "imageSize":
        return _image_size(raw)
    if wire == "aspectRatio":
        if not isinstance(raw, str) or not _ASPECT_RATIO.match(raw.strip()):
            raise ValueError(
                "image_config.aspect_ratio must be 'W:H' with whole numbers "
                f"(e.g. '16:9', '1:1', '21:9'), got {raw!r}"
            )
        return raw.strip()
    return raw


def normalize_image_config(value: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """Check ``image_config`` and return it with wire (camelCase) keys.

    ``image_size`` must have the shape of a size (``"512"``, ``"1K"``, ``"2K"``,
    ``"4K"``; case-insensitive) and ``aspect_ratio`` look like ``"16:9"``; the
    values each model takes are in docs/images.md. A bad value raises ``ValueError``
    naming the field, before anything is sent. Other keys are camelCased and
    passed through for fields this package does not model yet. Idempotent: a
    normalized config normalizes to itself.
    See https://ai.google.dev/api/generate-content#ImageConfig
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ValueError(
            f"image_config must be a dict such as {{'aspect_ratio': '16:9', "
            f"'image_size': '2K'}}, not {type(value).__name__}"
        )
    config: dict[str, Any] = {}
    for key, raw in value.items():
        if raw is not None:
            wire = _IMAGE_KEYS.get(key) or _camel(str(key))
            config[wire] = _image_value(wire, raw)
    return config


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(word.capitalize() for word in rest)


def _voice(value: Any, where: str) -> dict[str, Any]:
    """A voice name, or a wire ``voiceConfig`` -> ``voiceConfig``."""
    if isinstance(value, str) and value.strip():
        return {"prebuiltVoiceConfig": {"voiceName": value.strip()}}
    if isinstance(value, Mapping):
        prebuilt = value.get("prebuiltVoiceConfig", value.get("prebuilt_voice_config"))
        name = (
            prebuilt.get("voiceName", prebuilt.get("voice_name"))
            if isinstance(prebuilt, Mapping)
            else None
        )
        if isinstance(name, str) and name.strip():
            return {"prebuiltVoiceConfig": {"voiceName": name.strip()}}
    raise ValueError(
        f"speech_config: {where} must be a voice name such as 'Kore', got {value!r}"
    )


def _speakers(value: Any) -> list[dict[str, Any]]:
    """``{"Joe": "Kore"}``, ``[{"speaker": "Joe", "voice": "Kore"}]`` or the
    wire's ``speakerVoiceConfigs`` -> ``speakerVoiceConfigs``.
    """
    if isinstance(value, Mapping):
        value = value.get(
            "speakerVoiceConfigs",
            value.get(
                "speaker_voice_configs",
                [{"speaker": k, "voice": v} for k, v in value.items()],
            ),
        )
    if not isinstance(value, list | tuple) or not value:
        raise ValueError(
            "speech_config: speakers must be {speaker: voice} or a list of "
            f"{{'speaker': ..., 'voice': ...}}, got {value!r}"
        )
    configs, seen = [], set()
    for entry in value:
        speaker = entry.get("speaker") if isinstance(entry, Mapping) else None
        if not isinstance(speaker, str) or not speaker.strip() or speaker in seen:
            raise ValueError(
                f"speech_config: each speaker needs a unique name, got {entry!r}"
            )
        seen.add(speaker)
        voice = entry.get("voice", entry.get("voice_config", entry.get("voiceConfig")))
        voice = voice if voice is not None else entry.get("voice_name")
        configs.append(
            {"speaker": speaker, "voiceConfig": _voice(voice, f"speaker {speaker!r}")}
        )
    return configs


_SPEECH_KEYS = frozenset(
    {
        "voice",
        "voice_name",
        "voice_config",
        "voiceConfig",
        "speakers",
        "multi_speaker_voice_config",
        "multiSpeakerVoiceConfig",
        "language_code",
        "languageCode",
    }
)


def normalize_speech_config(value: Any) -> dict[str, Any] | None:
    """The voice(s) of a text-to-speech answer -> ``speechConfig``.

    Friendly shapes: ``"Kore"`` or ``{"voice": "Kore"}`` (one voice),
    ``{"speakers": {"Joe": "Kore", "Jane": "Puck"}}`` (multi-speaker; the
    names are the speakers as the prompt writes them), optionally with
    ``language_code``; the wire shape (``voiceConfig`` /
    ``multiSpeakerVoiceConfig``, camelCase or snake_case) is accepted too.
    Idempotent. See https://ai.google.dev/api/generate-content#SpeechConfig
    and https://ai.google.dev/gemini-api/docs/speech-generation
    """
    if value is None:
        return None
    if isinstance(value, str):
        value = {"voice": value}
    if not isinstance(value, Mapping) or not value:
        raise ValueError(
            "speech_config must be a voice name, {'voice': ...} or "
            f"{{'speakers': {{speaker: voice}}}}, got {value!r}"
        )
    unknown = sorted(str(k) for k in value if k not in _SPEECH_KEYS)
    if unknown:
        raise ValueError(f"speech_config: unknown keys {unknown}")
    single = [
        value[k]
        for k in ("voice", "voice_name", "voice_config", "voiceConfig")
        if k in value
    ]
    multi = [
        value[k]
        for k in ("speakers", "multi_speaker_voice_config", "multiSpeakerVoiceConfig")
        if k in value
    ]
    if len(single) + len(multi) != 1:
        raise ValueError(
            "speech_config: give one voice or speakers (multi-speaker), not "
            f"{'both' if single and multi else 'neither'}"
        )
    config: dict[str, Any] = (
        {"voiceConfig": _voice(single[0], "voice")}
        if single
        else {"multiSpeakerVoiceConfig": {"speakerVoiceConfigs": _speakers(multi[0])}}
    )
    language = value.get("language_code", value.get("languageCode"))
    if language is not None:
        if not isinstance(language, str) or not language.strip():
            raise ValueError(f"speech_config.language_code: got {language!r}")
        config["languageCode"] = language.strip()
    return config


_MEDIA_RESOLUTIONS = {"unspecified", "low", "medium", "high"}


def normalize_media_resolution(value: Any) -> str | None:
    """``"low"`` -> ``"MEDIA_RESOLUTION_LOW"``; full enum names pass unchanged.

    See https://ai.google.dev/api/generate-content#MediaResolution
    """
    if value is None:
        return None
    text = str(getattr(value, "name", value))
    if text.lower() in _MEDIA_RESOLUTIONS:
        return f"MEDIA_RESOLUTION_{text.upper()}"
    return text


# generationConfig keys that have their own field and may not come through
# model_kwargs (the others may: model_kwargs is how a field is overridden raw).
_OWN_FIELD_KEYS = frozenset({"temperature", "topP", "topK"})


def check_settings(values: Mapping[str, Any]) -> None:
    """Checks across settings, for the constructor and for each call's merged values."""
    if values.get("thinking_budget") is not None and (
        values.get("thinking_level") is not None
    ):
        raise ValueError("thinking_budget and thinking_level: set one, not both.")
    overlap = _OWN_FIELD_KEYS.intersection(values.get("model_kwargs") or ())
    if overlap:
        raise ValueError(
            f"model_kwargs: {sorted(overlap)} have their own fields; use those."
        )


_CACHE_CONFLICTS = {
    "systemInstruction": "the system message",
    "tools": "tools",
    "toolConfig": "tool_choice / tool_config",
}


def check_cached_content(body: Mapping[str, Any]) -> None:
    """Refuse, before sending, a request the service answers 400.

    With ``cachedContent`` the system instruction, tools and tool config must
    live in the cache itself; a request that also carries them is rejected.
    See https://ai.google.dev/gemini-api/docs/caching and docs/caching.md.
    """
    if not body.get("cachedContent"):
        return
    clash = [name for key, name in _CACHE_CONFLICTS.items() if body.get(key)]
    if clash:
        raise ValueError(
            f"cached_content={body['cachedContent']!r} cannot be sent with "
            f"{', '.join(clash)}: Gemini takes them only inside the cache. Create "
            "the cache with system_instruction / tools / tool_config and drop them "
            "from this call (see docs/caching.md)."
        )


Effort = Literal["minimal", "low", "medium", "high"]


class RequestSettings(BaseModel):
    """The settings that shape a request; every one may also be given per call.

    ``ChatCometGemini`` inherits them. The class body is the settings table:
    one declaration per setting, its ``Wire`` marker saying where it goes.
    """

    model_config = ConfigDict(populate_by_name=True, protected_namespaces=())

    model: Annotated[str, Wire("path", "models/{model}")] = Field(
        default="gemini-2.5-flash", alias="model_name"
    )
    """Gemini model id, e.g. ``gemini-2.5-flash`` or ``gemini-3-flash-preview``."""
    temperature: Annotated[float | None, Config("temperature")] = Field(
        default=None, ge=0.0, le=2.0
    )
    top_p: Annotated[float | None, Config("topP")] = Field(default=None, ge=0.0, le=1.0)
    top_k: Annotated[int | None, Config("topK")] = Field(default=None, ge=1)
    max_tokens: Annotated[int | None, Config("maxOutputTokens")] = Field(
        default=None, ge=1, alias="max_output_tokens"
    )
    stop: Annotated[list[str] | None, Config("stopSequences", EMPTY)] = Field(
        default=None, alias="stop_sequences"
    )
    n: Annotated[int, Config("candidateCount", (1,))] = Field(
        default=1, ge=1, le=8, alias="candidate_count"
    )
    """Number of candidates (``candidateCount``); each becomes a generation."""
    seed: Annotated[int | None, Config("seed")] = None
    presence_penalty: Annotated[float | None, Config("presencePenalty")] = Field(
        default=None, ge=-2.0, le=2.0
    )
    frequency_penalty: Annotated[float | None, Config("frequencyPenalty")] = Field(
        default=None, ge=-2.0, le=2.0
    )
    response_mime_type: Annotated[str | None, Config("responseMimeType")] = None
    response_json_schema: Annotated[
        dict[str, Any] | None, Config("responseJsonSchema")
    ] = None
    response_schema: Annotated[dict[str, Any] | None, Config("responseSchema")] = None
    """OpenAPI-subset schema (``responseSchema``); prefer ``response_json_schema``."""
    response_modalities: Annotated[
        list[Literal["TEXT", "IMAGE", "AUDIO"]] | None, Config("responseModalities")
    ] = None
    image_config: Annotated[
        dict[str, Any] | None,
        Config("imageConfig", EMPTY),
        AfterValidator(normalize_image_config),
    ] = None
    """``{"aspect_ratio": "16:9", "image_size": "2K"}``; kept in wire form."""
    speech_config: Annotated[
        dict[str, Any] | str | None,
        Config("speechConfig", EMPTY),
        AfterValidator(normalize_speech_config),
    ] = None
    """Voice(s) for audio answers: ``"Kore"`` or ``{"speakers": {"Joe": "Kore"}}``."""
    thinking_budget: Annotated[int | None, Thinking("budget")] = Field(
        default=None, ge=-1
    )
    thinking_level: Annotated[Effort | None, Thinking("level")] = None
    include_thoughts: Annotated[
        bool | None, Thinking("include_thoughts", amount=False)
    ] = None
    reasoning_effort: Annotated[Effort | None, Thinking("effort")] = None
    """Generation-neutral thinking setting, translated per model (docs/thinking)."""
    response_logprobs: Annotated[bool | None, Config("responseLogprobs")] = None
    logprobs: Annotated[int | None, Config("logprobs")] = Field(
        default=None, ge=0, le=20
    )
    media_resolution: Annotated[
        str | None,
        Config("mediaResolution"),
        AfterValidator(normalize_media_resolution),
    ] = None
    safety_settings: Annotated[
        list[dict[str, str]] | dict[str, str] | None,
        Wire("request", "safetySettings", EMPTY),
        AfterValidator(normalize_safety_settings),
    ] = None
    """``{category: threshold}`` or a list of ``{"category", "threshold"}``."""
    cached_content: Annotated[str | None, Wire("request", "cachedContent", EMPTY)] = (
        None
    )
    """Name of a cached content resource (``cachedContents/...``)."""
    model_kwargs: Annotated[dict[str, Any], Wire("merge")] = Field(default_factory=dict)
    """Extra ``generationConfig`` fields, sent as given."""

    @model_validator(mode="after")
    def _check_settings(self) -> RequestSettings:
        check_settings(self.__dict__)
        return self


class SettingsTable:
    """What the ``Wire`` markers of a model's fields say, read once.

    ``names``: the per-call settings in declaration order (``call``: the same
    as a set); ``sent``: ``(field, key, omit, place)`` of each value copied into
    the body, ``generationConfig`` or the ``thinking_config`` inputs (one pass
    per request); ``amount``: the thinking settings a per-call value replaces
    together; ``merge``: mappings merged into ``generationConfig`` last;
    ``where``: the docs' "request key" of every per-call setting.
    """

    def __init__(self, model: type[BaseModel]) -> None:
        self.title = model.__name__
        self.fields = model.model_fields
        wires = {
            name: wire
            for name, field in self.fields.items()
            for wire in field.metadata
            if isinstance(wire, Wire)
        }
        self.names = tuple(wires)
        self.call = frozenset(wires)
        self.where = {name: wire.where for name, wire in wires.items()}
        self.sent = tuple(
            (name, w.key, w.omit, w.place)
            for name, w in wires.items()
            if w.place in ("generationConfig", "request", "thinkingConfig")
        )
        self.amount = frozenset(name for name, w in wires.items() if w.amount)
        self.merge = tuple(name for name, w in wires.items() if w.place == "merge")
        self._adapters: dict[str, TypeAdapter[Any]] = {}

    def validate(self, name: str, value: Any) -> Any:
        """``value`` validated and normalized as the constructor would do it.

        A bad value raises the constructor's ``ValidationError`` (same title,
        the field name in its location). Validators are built on first use.
        """
        adapter = self._adapters.get(name)
        if adapter is None:
            field = self.fields[name]
            # The field's type with its constraints and validators, as declared.
            annotated: Any = getitem(Annotated, (field.annotation, *field.metadata))
            adapter = self._adapters[name] = TypeAdapter(annotated)
        try:
            return adapter.validate_python(value)
        except ValidationError as error:
            details = [_detail(item, (name, *item["loc"])) for item in error.errors()]
            raise ValidationError.from_exception_data(self.title, details) from None

    def apply(self, options: dict[str, Any], overrides: Mapping[str, Any]) -> None:
        """Put validated per-call ``overrides`` into ``options`` (field values).

        A per-call thinking amount replaces the instance's one rather than
        clashing with it (docs/thinking.md); then the merged values are checked
        together as the constructor checks them.
        """
        given = {name: self.validate(name, value) for name, value in overrides.items()}
        if not self.amount.isdisjoint(given):
            options.update(dict.fromkeys(self.amount))
        options.update(given)
        try:
            check_settings(options)
        except ValueError as error:
            detail = InitErrorDetails(
                type="value_error", loc=(), input=dict(overrides), ctx={"error": error}
            )
            raise ValidationError.from_exception_data(self.title, [detail]) from None


def _detail(item: ErrorDetails, loc: tuple[int | str, ...]) -> InitErrorDetails:
    """One error of a ``ValidationError`` again, at ``loc`` (to name the field)."""
    detail = InitErrorDetails(type=item["type"], loc=loc, input=item["input"])
    if "ctx" in item:
        detail["ctx"] = item["ctx"]
    return detail


TABLE = SettingsTable(RequestSettings)
"""The table of :class:`RequestSettings` (what ``_config`` builds requests from)."""
