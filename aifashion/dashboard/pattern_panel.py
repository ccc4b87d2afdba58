"""``PatternPanel``: the dashboard's first column -- category, mix, seed, colours (palette), the
3 x 3 swatch, "use my fabric" (``FabricPanel``) and the pattern download controls. Widgets and
layout only; ``TryOnApp`` wires the callbacks."""

from __future__ import annotations

import ipywidgets as W

from aifashion.dashboard.downloads import DownloadLink
from aifashion.dashboard.images import DOWNLOAD_FORMATS, MAX_DOWNLOAD_SIZE
from aifashion.dashboard.style import column
from aifashion.repeat import REPEATS

NO_MIX = "(none)"
#: The palette dropdown's first choice: the pattern's own colours.
ORIGINAL = "original"
DOWNLOAD_SIZES = (256, 512, 1024, 2048, MAX_DOWNLOAD_SIZE)
STYLE = {"description_width": "72px"}


def palette_names() -> list[str]:
    """``ORIGINAL`` and the named palettes of ``aifashion.gan.palette`` (none if it is absent)."""
    try:
        from aifashion.gan.palette import PALETTES
    except ImportError:
        return [ORIGINAL]
    return [ORIGINAL, *PALETTES]


class PatternPanel:
    """The pattern column for the generator's ``classes``; ``.widget`` is the column."""

    def __init__(self, classes: list[str], fabric: W.Widget | None = None) -> None:
        lay, full = W.Layout, W.Layout(width="96%")
        self.category = W.Dropdown(options=classes, value=classes[0], description="Category", style=STYLE, layout=full)
        self.mix_with = W.Dropdown(
            options=[NO_MIX] + classes, value=NO_MIX, description="Mix with", style=STYLE, layout=full
        )
        self.mix = W.FloatSlider(
            value=0.0,
            min=0.0,
            max=1.0,
            step=0.05,
            description="Mix",
            style=STYLE,
            continuous_update=True,
            readout_format=".2f",
            layout=full,
            disabled=True,
        )
        self.seed = W.BoundedIntText(
            value=0, min=0, max=2**31 - 1, description="Seed", style=STYLE, layout=lay(width="190px")
        )
        self.new_pattern = W.Button(
            description="New pattern", icon="random", button_style="primary", layout=lay(width="130px")
        )
        self.palette = W.Dropdown(
            options=palette_names(), value=ORIGINAL, description="Colours", style=STYLE, layout=full
        )
        self.swatch = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.swatch.add_class("aif-picture")
        self.swatch.add_class("aif-swatch")
        self.dl_size = W.Dropdown(
            options=list(DOWNLOAD_SIZES), value=1024, description="Size", style=STYLE, layout=lay(width="170px")
        )
        self.dl_format = W.ToggleButtons(options=list(DOWNLOAD_FORMATS), value="PNG", style={"button_width": "64px"})
        self.dl_repeat = W.Dropdown(
            options=list(REPEATS), value="straight", description="Repeat", style=STYLE, layout=lay(width="190px")
        )
        self.dl_dpi = W.BoundedIntText(
            value=300, min=10, max=4800, description="DPI", style=STYLE, layout=lay(width="130px")
        )
        self.dl_button = W.Button(description="Render pattern file", icon="download", layout=lay(width="180px"))
        self.download = DownloadLink("pattern")
        self.widget = column(
            "1 · Pattern",
            self.category,
            self.mix_with,
            self.mix,
            W.HBox([self.seed, self.new_pattern]),
            self.palette,
            self.swatch,
            W.HTML('<span class="aif-muted">3 × 3 tiles of the pattern: a seamless pattern shows no seam.</span>'),
            *([fabric] if fabric is not None else []),
            W.HTML(f"<b>Download the pattern</b> (rendered at full size, up to {MAX_DOWNLOAD_SIZE} px)"),
            W.HBox([self.dl_size, self.dl_format]),
            W.HBox([self.dl_repeat, self.dl_dpi]),
            W.HTML(
                '<span class="aif-muted">A print-ready repeat unit: straight (a grid), half-drop (columns '
                "moved down by half), half-brick (rows moved across by half); the DPI is stored in the file.</span>"
            ),
            self.dl_button,
            self.download.widget,
        )

    @property
    def mix_value(self) -> tuple[str, float] | None:
        """``(second category, weight)``, or None when nothing is mixed in."""
        if self.mix_with.value == NO_MIX or self.mix.value <= 0.0:
            return None
        return (self.mix_with.value, float(self.mix.value))

    @property
    def palette_value(self) -> str | None:
        """The chosen palette's name, or None for the pattern's own colours."""
        return None if self.palette.value == ORIGINAL else self.palette.value
