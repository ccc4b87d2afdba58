"""Files for the dashboard's widget tests: what the page's upload widgets receive, and decoding
what the dashboard shows or offers for download."""

from __future__ import annotations

import datetime
import io
from pathlib import Path

from PIL import Image


def upload(widget, name: str, data: bytes) -> None:
    """Set a ``FileUpload``'s value exactly as the front end's message deserialises to."""
    widget.value = (
        {
            "name": name,
            "type": "",
            "size": len(data),
            "content": memoryview(data),
            "last_modified": datetime.datetime.now(datetime.UTC),
        },
    )


def encoded(img: Image.Image, fmt: str) -> bytes:
    """``img`` saved as ``fmt`` ("PNG", "JPEG", "GIF", ...), in memory."""
    buf = io.BytesIO()
    img.save(buf, fmt)
    return buf.getvalue()


def decode(data: bytes) -> Image.Image:
    """An image file's bytes (a widget's value, a download) opened and loaded."""
    img = Image.open(io.BytesIO(bytes(data)))
    img.load()
    return img


def sample_photo(clothing_small_dir: Path, cls: str = "t-shirt", i: int = 0) -> Path:
    """The ``i``-th validation photo of class ``cls`` in clothing-dataset-small."""
    return sorted((clothing_small_dir / "validation" / cls).glob("*.jpg"))[i]
