"""A download link that works in Voila without writing any file on the server.

The encoded bytes travel to the browser as a binary widget buffer (a hidden ``ipywidgets.Image``,
which the front end turns into a ``blob:`` URL); the visible ``<a download>`` link borrows that
URL when clicked. Binary buffers avoid base64 ``data:`` URIs, which are a third larger and which
Chromium refuses to download beyond a couple of megabytes (a 4096x4096 PNG is tens of MB).
"""

from __future__ import annotations

import html
import uuid
from pathlib import Path

import ipywidgets as W

_MIME_TO_WIDGET_FORMAT = {"image/png": "png", "image/jpeg": "jpeg"}


def file_stem(name: str, default: str) -> str:
    """A safe part of a download's file name from ``name``'s stem: letters, digits, '-' and '_'
    (others become '_'), at most 40 characters; ``default`` when nothing is left."""
    return "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in Path(name).stem)[:40] or default


class DownloadLink:
    """A hidden blob holder plus a visible link; ``.widget`` is what goes in the layout.

    ``set(data, filename, mime)`` replaces the offered file; ``clear()`` removes it.
    """

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.css_class = f"aif-blob-{kind}-{uuid.uuid4().hex[:10]}"
        self._blob = W.Image(value=b"", format="png", layout=W.Layout(display="none"))
        self._blob.add_class(self.css_class)
        self.link = W.HTML(value="")
        self.link.add_class(f"aif-download-{kind}")
        self.widget = W.VBox([self.link, self._blob])
        self.filename: str | None = None
        self.nbytes = 0

    def set(self, data: bytes, filename: str, mime: str, note: str = "") -> None:
        fmt = _MIME_TO_WIDGET_FORMAT[mime]
        with self._blob.hold_sync():
            self._blob.format = fmt
            self._blob.value = bytes(data)
        self.filename = filename
        self.nbytes = len(data)
        # The <img> holding the blob: URL is found by its class; the link takes its URL on click.
        onclick = (
            f"var b=document.querySelector('img.{self.css_class}');if(!b||!b.src){{return false;}} this.href=b.src;"
        )
        size = f"{len(data) / 1e6:.1f} MB" if len(data) >= 1e5 else f"{len(data) / 1e3:.0f} kB"
        self.link.value = (
            f'<a class="aif-download-link" href="#" download="{html.escape(filename)}" '
            f'onclick="{html.escape(onclick)}">&#11015; Save {html.escape(filename)}</a> '
            f'<span class="aif-muted">({size}{html.escape(note)})</span>'
        )

    def busy(self, text: str) -> None:
        """Show that a file is being made (and offer none meanwhile)."""
        self.clear()
        self.link.value = f'<span class="aif-muted">&#8987; {html.escape(text)}&hellip;</span>'

    def clear(self) -> None:
        with self._blob.hold_sync():
            self._blob.value = b""
        self.link.value = ""
        self.filename = None
        self.nbytes = 0

    @property
    def data(self) -> bytes:
        return bytes(self._blob.value)
