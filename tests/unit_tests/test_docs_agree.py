"""The docs agree with the code: image sizes, where examples write, save_images."""

from __future__ import annotations

import base64
import re
from pathlib import Path

import pytest
from langchain_core.messages import AIMessage

from langchain_cometgemini import save_images
from langchain_cometgemini._normalize import normalize_image_config
from langchain_cometgemini.testing import PNG_1X1

ROOT = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```python([^\n]*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_every_image_size_the_docs_name_is_accepted() -> None:
    text = (ROOT / "docs" / "images.md").read_text()
    sizes = set(re.findall(r'`"(\d+K?)"`', text))
    assert {"512", "1K", "2K", "4K"} <= sizes
    for size in sizes:
        config = normalize_image_config({"image_size": size})
        assert config == {"imageSize": size}
    # The old sentence said only 1K, 2K and 4K were allowed, then that 512 works.
    assert 'must be `"1K"`, `"2K"` or `"4K"`' not in text


# Calls that write files; an example must write into a temporary directory
# (the block uses tempfile) or say where, in a comment on the line or above.
WRITERS = re.compile(
    r"save_audio\(|save_images\(|run_bulk(?:_sync)?\(|run_on_ray\(|"
    r"write_(?:text|bytes|parquet)\(|open\([^)]*['\"][wax]b?['\"]"
)


def _says_where(lines: list[str], index: int) -> bool:
    nearby = " ".join(lines[max(0, index - 2) : index + 3]).lower()
    return "#" in nearby and ("directory" in nearby or "tmp" in nearby)


@pytest.mark.parametrize(
    "page",
    [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))],
    ids=lambda p: p.name,
)
def test_examples_write_into_a_temporary_directory_or_say_where(page: Path) -> None:
    silent = []
    temporary = False  # a block of the page made a temporary directory
    for match in FENCE.finditer(page.read_text()):
        code = match.group(2)
        temporary = temporary or "tempfile" in code
        if temporary:
            continue  # later blocks build on the earlier ones
        lines = code.splitlines()
        for index, line in enumerate(lines):
            writes = WRITERS.search(line) and not line.lstrip().startswith("#")
            if writes and "s3://" not in line and not _says_where(lines, index):
                silent.append(line.strip())
    assert silent == [], f"{page.name}: examples writing files without saying where"


def _drawing(*pngs: bytes) -> AIMessage:
    blocks = [
        {
            "type": "image_url",
            "image_url": {
                "url": f"data:image/png;base64,{base64.b64encode(p).decode()}"
            },
        }
        for p in pngs
    ]
    return AIMessage(content=blocks)


def test_save_images_never_overwrites_silently(tmp_path: Path) -> None:
    first = save_images(_drawing(PNG_1X1, PNG_1X1), tmp_path, prefix="cat")
    assert [p.name for p in first] == ["cat_0.png", "cat_1.png"]
    before = first[0].read_bytes()
    second = save_images(_drawing(PNG_1X1 + b"x"), tmp_path, prefix="cat")
    assert [p.name for p in second] == ["cat_2.png"]
    assert first[0].read_bytes() == before  # untouched
    other = save_images(_drawing(PNG_1X1), tmp_path, prefix="dog")
    assert [p.name for p in other] == ["dog_0.png"]


def test_save_images_overwrite_replaces_on_request(tmp_path: Path) -> None:
    save_images(_drawing(PNG_1X1), tmp_path)
    again = save_images(_drawing(PNG_1X1 + b"new"), tmp_path, overwrite=True)
    assert [p.name for p in again] == ["image_0.png"]
    assert again[0].read_bytes() == PNG_1X1 + b"new"
