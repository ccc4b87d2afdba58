"""``GarmentPanel``: the dashboard's second column -- the garment picker (drawn flats, sample
photos named by class and number, uploads), the upload button, the message line, the garment
picture and the mask toggle. Widgets and layout only; ``TryOnApp`` wires the callbacks."""

from __future__ import annotations

from collections.abc import Hashable

import ipywidgets as W

from aifashion.dashboard.style import column

UPLOAD_ACCEPT = ".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp"


class GarmentPanel:
    """The garment column offering ``choices`` ((label, key) pairs); ``.widget`` is the column."""

    def __init__(self, choices: list[tuple[str, Hashable]]) -> None:
        lay = W.Layout
        self.picker = W.Dropdown(
            options=choices, description="Garment", style={"description_width": "72px"}, layout=lay(width="96%")
        )
        self.upload = W.FileUpload(
            accept=UPLOAD_ACCEPT, multiple=False, description="Upload photo", layout=lay(width="180px")
        )
        self.upload.add_class("aif-photo-upload")
        self.message = W.HTML(value="")
        self.message.add_class("aif-message")
        self.original = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.original.add_class("aif-picture")
        self.original.add_class("aif-original")
        self.show_mask = W.Checkbox(value=False, description="Show garment mask", indent=False)
        limits = W.HTML('<span class="aif-muted">JPEG, PNG or WebP, up to 20 MB / 40 MP</span>')
        self.widget = column(
            "2 · Garment", self.picker, W.HBox([self.upload, limits]), self.message, self.original, self.show_mask
        )
