"""Issue 19, the newer request keys: ``service_tier``, ``labels``,
``retrieval_config`` (constructor and per call, validated before sending, sent
only when set), the ``x-gemini-service-tier`` header in
``response_metadata["service_tier"]``, and the newer built-ins in Google's
``Tool`` shape. Requests checked exactly and against google-genai's types.
"""

from __future__ import annotations

import operator
from functools import reduce
from typing import Any

import pytest
from google.genai import types as genai
from pydantic import ValidationError

from langchain_cometgemini import ChatCometGemini
from langchain_cometgemini.testing import GeminiEmulator, Reply
from tests.genai_check import validated
from tests.unit_tests.test_profiles import WEATHER_DECL, get_weather

G3 = "gemini-3-flash-preview"
ASK = [{"role": "user", "parts": [{"text": "Hi"}]}]


def llm(emulator: GeminiEmulator, **settings: Any) -> ChatCometGemini:
    settings.setdefault("model", G3)
    return ChatCometGemini(
        base_url=emulator.url, api_key="test", max_retries=0, **settings
    )


def sent(emulator: GeminiEmulator) -> dict[str, Any]:
    """The last request body, validated by google-genai's types."""
    return validated(emulator.last_request.body)


# -- service tier and labels ---------------------------------------------------------


def test_service_tier_and_labels_go_top_level_through_invoke_and_stream(
    emulator: GeminiEmulator,
) -> None:
    model = llm(emulator, service_tier="FLEX", labels={"team": "search-1"})
    message = model.invoke("Hi")
    summed = reduce(operator.add, model.stream("Hi"))
    expected = {"contents": ASK, "serviceTier": "flex", "labels": {"team": "search-1"}}
    assert [r.body for r in emulator.requests] == [expected, expected]
    assert sent(emulator) == expected
    assert message.response_metadata["service_tier"] == "flex"
    assert summed.response_metadata["service_tier"] == "flex"
    assert message.text == summed.text == "Echo: Hi"


def test_per_call_tier_and_the_served_tier_from_the_header(
    emulator: GeminiEmulator,
) -> None:
    model = llm(emulator)
    emulator.queue(
        Reply(json=Reply.text("ok").json, headers={"x-gemini-service-tier": "standard"})
    )
    message = model.invoke("Hi", service_tier=genai.ServiceTier.PRIORITY)
    assert sent(emulator) == {"contents": ASK, "serviceTier": "priority"}
    # Priority was asked, standard served: the header says so.
    assert message.response_metadata["service_tier"] == "standard"
    plain = model.invoke("Hi")
    assert sent(emulator) == {"contents": ASK}
    assert "service_tier" not in plain.response_metadata


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"service_tier": "fast"}, "service_tier must be one of"),
        ({"labels": {"Team": "x"}}, "key 'Team' must start with a lowercase"),
        ({"labels": {"team": "Search"}}, "value 'Search' of 'team'"),
        ({"labels": {"1team": "x"}}, "key '1team'"),
        ({"labels": {"team": 3}}, "valid string"),
        ({"labels": {f"k{i}": "v" for i in range(65)}}, "at most 64 labels"),
        ({"retrieval_config": {"lat_lng": {"latitude": 91, "longitude": 0}}}, "-90"),
        (
            {"retrieval_config": {"lat_lng": {"latitude": 1, "longitude": "2"}}},
            "longitude must be a number",
        ),
        ({"retrieval_config": {"latlng": (1, 2)}}, "unknown key 'latlng'"),
        ({"retrieval_config": {"language_code": ""}}, "language_code must be"),
    ],
)
def test_bad_values_are_refused_before_sending(
    emulator: GeminiEmulator, settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        llm(emulator, **settings)
    with pytest.raises(ValidationError, match=message):
        llm(emulator).invoke("Hi", **settings)
    assert emulator.requests == []


# -- retrieval config ------------------------------------------------------------------


def test_retrieval_config_joins_the_tool_config(emulator: GeminiEmulator) -> None:
    model = llm(
        emulator,
        retrieval_config={"lat_lng": (48.8584, 2.2945), "languageCode": "fr_FR"},
    ).bind_tools(
        [get_weather, {"google_maps": {"enable_widget": True}}], tool_choice="any"
    )
    message = model.invoke("Café?")
    summed = reduce(operator.add, model.stream("Café?"))
    expected = {
        "contents": [{"role": "user", "parts": [{"text": "Café?"}]}],
        "tools": [
            {"functionDeclarations": [WEATHER_DECL]},
            {"googleMaps": {"enableWidget": True}},
        ],
        "toolConfig": {
            "functionCallingConfig": {"mode": "ANY"},
            "includeServerSideToolInvocations": True,
            "retrievalConfig": {
                "latLng": {"latitude": 48.8584, "longitude": 2.2945},
                "languageCode": "fr_FR",
            },
        },
    }
    assert [r.body for r in emulator.requests] == [expected, expected]
    assert sent(emulator) == expected
    assert message.tool_calls[0]["name"] == summed.tool_calls[0]["name"]


def test_retrieval_config_per_call_alone(emulator: GeminiEmulator) -> None:
    llm(emulator, model="gemini-2.5-flash").bind_tools([{"google_maps": {}}]).invoke(
        "Hi", retrieval_config={"lat_lng": {"latitude": -33, "longitude": 151}}
    )
    assert sent(emulator) == {
        "contents": ASK,
        "tools": [{"googleMaps": {}}],
        "toolConfig": {
            "retrievalConfig": {"latLng": {"latitude": -33.0, "longitude": 151.0}}
        },
    }


# -- built-ins in Google's Tool shape ---------------------------------------------


def test_newer_built_ins_in_googles_tool_shape(emulator: GeminiEmulator) -> None:
    tools = [
        {
            "file_search": {
                "file_search_store_names": ["fileSearchStores/a"],
                "top_k": 3,
            }
        },
        {"computer_use": {"environment": "ENVIRONMENT_BROWSER"}},
        {
            "mcp_servers": [
                {
                    "name": "docs",
                    "streamable_http_transport": {
                        "url": "https://mcp.example.com/",
                        "headers": {"X_Api_Key": "k"},
                    },
                }
            ]
        },
    ]
    llm(emulator).bind_tools(tools).invoke("Hi")
    assert sent(emulator) == {
        "contents": ASK,
        "tools": [
            {"fileSearch": {"fileSearchStoreNames": ["fileSearchStores/a"], "topK": 3}},
            {"computerUse": {"environment": "ENVIRONMENT_BROWSER"}},
            {
                "mcpServers": [
                    {
                        "name": "docs",
                        "streamableHttpTransport": {
                            "url": "https://mcp.example.com/",
                            "headers": {"X_Api_Key": "k"},
                        },
                    }
                ]
            },
        ],
    }


@pytest.mark.parametrize(
    ("tool", "message"),
    [
        ({"mcp_server": [{"name": "x"}]}, "Did you mean 'mcp_servers'"),
        ({"file_serch": {}}, "Did you mean 'file_search'"),
        ({"mcp_servers": {"name": "x"}}, "takes a list of servers"),
        ({"mcp_servers": [{"url": "x"}]}, "each a dict with a 'name'"),
        ({"google_maps": ["x"]}, "takes a dict of settings"),
    ],
)
def test_built_in_mistakes_are_named(
    emulator: GeminiEmulator, tool: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        llm(emulator).bind_tools([tool])
    assert emulator.requests == []
