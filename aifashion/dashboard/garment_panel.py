"""``GarmentPanel``: the dashboard's second column -- the garment picker (drawn flats, sample
photos named by class and number, uploads), the upload button, the message line, the garment
picture, one checkbox per garment a parts segmenter found in the photo, and the mask toggle.
Widgets and layout only; ``TryOnApp`` wires the callbacks."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence

import ipywidgets as W

from aifashion.dashboard.parts import part_label
from aifashion.dashboard.style import column

UPLOAD_ACCEPT = ".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp"
#: shown under the garment checkboxes while none is ticked
NOTHING_TICKED = "<span class='aif-muted'>Tick a garment to put the pattern on it; the photo is shown as it is.</span>"


class GarmentPanel:
    """The garment column offering ``choices`` ((label, key) pairs); ``.widget`` is the column.

    ``part_boxes``: {part name: Checkbox} of the garments shown now, largest first ({} while the
    garment offers no choice: a 3-class segmenter, a drawn flat). ``on_parts_change`` (set by the
    app) is called with no argument after the user ticks or unticks one.
    """

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
        self.part_boxes: dict[str, W.Checkbox] = {}
        self.parts_hint = W.HTML(value="")
        self._parts_title = W.HTML("<b>Put the pattern on</b>")
        self.parts = W.VBox([])  # filled by show_parts
        self.parts.add_class("aif-parts")
        self.on_parts_change: Callable[[], None] | None = None
        self.show_mask = W.Checkbox(value=False, description="Show garment mask", indent=False)
        limits = W.HTML('<span class="aif-muted">JPEG, PNG or WebP, up to 20 MB / 40 MP</span>')
        self.widget = column(
            "2 · Garment", self.picker, W.HBox([self.upload, limits]), self.message, self.original, self.parts,
            self.show_mask,
        )  # fmt: skip

    def choose(self, label: str, key: Hashable, replace: bool = False) -> None:
        """Pick ``key``, adding (label, key) to the picker when it is not there (``replace``: put
        it last, with this label, even when it is)."""
        options = list(self.picker.options)
        if replace or key not in [k for _, k in options]:
            self.picker.options = [o for o in options if o[1] != key] + [(label, key)]
        self.picker.value = key

    def show_parts(self, found: dict[str, float], ticked: Sequence[str] | None) -> None:
        """One checkbox per part of ``found`` ({name: fraction of the photo in [0, 1]}, in its
        order), labelled like "outer · 31% of the photo", those in ``ticked`` ticked; nothing
        for an empty ``found``."""
        ticked, old = set(ticked or ()), list(self.part_boxes.values())
        self.part_boxes = {
            name: W.Checkbox(value=name in ticked, description=part_label(name, area), indent=False)
            for name, area in found.items()
        }
        for box in self.part_boxes.values():
            box.add_class("aif-part")
            box.observe(self._on_tick, names="value")
        self.parts.children = [self._parts_title, *self.part_boxes.values(), self.parts_hint] if found else []
        for box in old:  # the last garment's boxes leave the page for good
            box.close()
        self._update_hint()

    def ticked_parts(self) -> tuple[str, ...]:
        """The names of the ticked parts, largest first."""
        return tuple(name for name, box in self.part_boxes.items() if box.value)

    def _update_hint(self) -> None:
        self.parts_hint.value = NOTHING_TICKED if self.part_boxes and not self.ticked_parts() else ""

    def _on_tick(self, change=None) -> None:
        self._update_hint()
        if self.on_parts_change is not None:
            self.on_parts_change()
