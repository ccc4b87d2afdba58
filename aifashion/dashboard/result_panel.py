"""``ResultPanel``: the dashboard's third column -- the try-on picture, the scale and rotation
sliders, the status line and the result download controls. Widgets and layout only;
``TryOnApp`` wires the callbacks."""

from __future__ import annotations

import ipywidgets as W

from aifashion.dashboard.downloads import DownloadLink
from aifashion.dashboard.images import DOWNLOAD_FORMATS
from aifashion.dashboard.style import column

STYLE = {"description_width": "72px"}


class ResultPanel:
    """The try-on column; ``.widget`` is the column."""

    def __init__(self) -> None:
        lay, full = W.Layout, W.Layout(width="96%")
        self.image = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.image.add_class("aif-picture")
        self.image.add_class("aif-result")
        self.scale = W.FloatSlider(
            value=1.0, min=0.25, max=4.0, step=0.05, description="Scale", style=STYLE, continuous_update=True,
            layout=full,
        )  # fmt: skip
        self.rotation = W.FloatSlider(
            value=0.0, min=-180.0, max=180.0, step=5.0, description="Rotation", style=STYLE, continuous_update=True,
            readout_format=".0f", layout=full,
        )  # fmt: skip
        self.status = W.HTML(value="")
        self.status.add_class("aif-status")
        self.dl_format = W.ToggleButtons(options=list(DOWNLOAD_FORMATS), value="PNG", style={"button_width": "64px"})
        self.dl_button = W.Button(description="Render result file", icon="download", layout=lay(width="180px"))
        self.download = DownloadLink("result")
        self.widget = column(
            "3 · Try-on", self.image, self.scale, self.rotation, self.status, W.HTML("<b>Download the result</b>"),
            W.HBox([self.dl_format]), self.dl_button, self.download.widget,
        )  # fmt: skip
