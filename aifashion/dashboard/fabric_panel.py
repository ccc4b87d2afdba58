"""``FabricPanel``: "use my fabric" in the pattern column -- an upload of a fabric photo (made into
a seamless tile), the tile's real-world size, a message line and the way back to generated
patterns. Widgets and layout only; ``TryOnApp`` wires the callbacks."""

from __future__ import annotations

import html

import ipywidgets as W

from aifashion.dashboard.garment_panel import UPLOAD_ACCEPT
from aifashion.dashboard.session import GARMENT_WIDTH_CM

#: The tile-size slider: one repeat of the fabric, in centimetres.
TILE_CM = {"value": 10.0, "min": 1.0, "max": 50.0, "step": 0.5}


class FabricPanel:
    """The "your own fabric" box; ``.widget`` goes in the pattern column."""

    def __init__(self) -> None:
        lay = W.Layout
        self.upload = W.FileUpload(
            accept=UPLOAD_ACCEPT, multiple=False, description="Use my fabric", icon="upload", layout=lay(width="180px")
        )
        self.upload.add_class("aif-fabric-upload")
        self.back = W.Button(description="Generated patterns", icon="undo", layout=lay(width="170px"), disabled=True)
        self.tile_cm = W.FloatSlider(
            **TILE_CM, description="Tile size (cm)", style={"description_width": "96px"}, continuous_update=True,
            readout_format=".1f", layout=lay(width="96%"), disabled=True,
        )  # fmt: skip
        self.message = W.HTML(value="")
        self.message.add_class("aif-fabric-message")
        help_text = (
            "A photo of your fabric (straight on, evenly lit) becomes a seamless tile. "
            f"Tile size: how many cm one repeat of the photo spans; a garment is taken as about "
            f"{GARMENT_WIDTH_CM:.0f} cm wide."
        )
        self.widget = W.VBox(
            [
                W.HTML("<b>Or try your own fabric</b>"),
                W.HBox([self.upload, self.back]),
                self.tile_cm,
                self.message,
                W.HTML(f'<span class="aif-muted">{html.escape(help_text)}</span>'),
            ]
        )

    def show(self, text: str, error: bool = False) -> None:
        """One line under the upload: a note, or an error (class ``aif-error``)."""
        cls = "aif-error" if error else "aif-muted"
        self.message.value = f"<span class='{cls}'>{'&#9888; ' if error else ''}{html.escape(text)}</span>"
