"""Pure: each structured request setting checked and put in its wire form.

The validators the settings table (``_settings``) attaches to its fields:
safety settings, image and speech configuration, media resolution. Each
accepts the spellings a user may write (snake_case, enum members, short
names) and returns the REST API's own, so a value is normalized once, when
it is validated. See https://ai.google.dev/api/generate-content#generationconfig
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = [
    "HARM_CATEGORIES",
    "HARM_THRESHOLDS",
    "IMAGE_SIZES",
    "check_model_id",
    "normalize_image_config",
    "normalize_media_resolution",
    "normalize_safety_settings",
    "normalize_speech_config",
]


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
    if len(configs) != 2:
        # MultiSpeakerVoiceConfig takes exactly two speakers; the service
        # refuses one or three. See
        # https://ai.google.dev/gemini-api/docs/speech-generation#multi-speaker
        raise ValueError(
            "speech_config: multi-speaker speech takes exactly two speakers, got "
            f"{len(configs)} ({', '.join(str(c['speaker']) for c in configs)}); "
            "for one voice give speech_config='Kore' or {'voice': 'Kore'}."
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
    """``"low"`` -> ``"MEDIA_RESOLUTION_LOW"``; full enum names pass unchanged;
    any other value is refused (Google's enum for the model-wide setting has
    UNSPECIFIED, LOW, MEDIUM, HIGH).

    See https://ai.google.dev/api/generate-content#MediaResolution
    """
    if value is None:
        return None
    text = str(getattr(value, "name", value)).strip()
    short = text.lower().removeprefix("media_resolution_")
    if short in _MEDIA_RESOLUTIONS:
        return f"MEDIA_RESOLUTION_{short.upper()}"
    raise ValueError(
        f"media_resolution must be one of {sorted(_MEDIA_RESOLUTIONS)} (or "
        f"MEDIA_RESOLUTION_<LEVEL>), got {value!r}. ultra_high is a per-part "
        "level only (docs/media_options.md)."
    )


_MODEL_ID = re.compile(r"(models/)?[A-Za-z0-9][A-Za-z0-9._@-]*")
"""A model id that stays one path segment of ``/v1beta/models/{model}:method``.
See https://ai.google.dev/api/models#method:-models.get (``models/{model}``)."""


def check_model_id(model: str) -> str:
    """``model`` unchanged, or ``ValueError`` if it would change the URL path.

    Refused rather than escaped: ``../../x`` or ``a:b?c`` is never a model the
    service knows, so the request could only fail (or reach another path).
    """
    if not isinstance(model, str) or not _MODEL_ID.fullmatch(model):
        raise ValueError(
            f"model={model!r} is not a Gemini model id: use letters, digits, "
            "'.', '-', '_' or '@' (optionally after 'models/'), e.g. "
            "'gemini-2.5-flash'."
        )
    return model
