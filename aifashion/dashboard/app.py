"""``TryOnApp``: the ipywidgets try-on dashboard (layout + callbacks, no algorithms).

Three columns -- pattern (with "use my fabric"), garment, result -- each a panel in its own module
(widgets and layout only); this class wires them. The page shows the try-on at working size; the
result download is composited at the photo's own size when its button is clicked. Every callback
reads the controls and calls :class:`~aifashion.dashboard.session.TryOnSession`, which calls the package
(``generate``, ``segment``, ``compose``, ``garments``, ``imageio``).
"""

from __future__ import annotations

import functools
import html
import os
import time
from collections.abc import Hashable
from pathlib import Path

import ipywidgets as W
import numpy as np
from PIL import Image

from aifashion.dashboard.downloads import file_stem
from aifashion.dashboard.fabric_panel import FabricPanel
from aifashion.dashboard.garment_panel import GarmentPanel
from aifashion.dashboard.images import (
    DOWNLOAD_FORMATS,
    encode_image,
    mask_overlay,
    page_jpeg,
    pattern_file,
    tiled_swatch,
    uploaded_file,
)
from aifashion.dashboard.loading import load_generator_arg, pick_samples, segmenter_factory
from aifashion.dashboard.pattern_panel import NO_MIX, PatternPanel
from aifashion.dashboard.result_panel import ResultPanel
from aifashion.dashboard.session import TryOnSession
from aifashion.dashboard.style import header
from aifashion.imageio import ImageError
from aifashion.repeat import repeat_unit

SWATCH_PX = 576  # the 3 x 3 swatch's side on the page


class TryOnApp:
    """The try-on dashboard; show ``app.widget`` in a notebook or Voila.

    The widgets live on the panels: ``pattern_panel`` (:class:`PatternPanel`), ``fabric_panel``
    (:class:`FabricPanel`), ``garment_panel`` (:class:`GarmentPanel`) and ``result_panel``
    (:class:`ResultPanel`); ``session`` (:class:`TryOnSession`) holds the state and the pipeline.

    Args:
        generator: a ``PatternGenerator``, a path to an exported ``generator.safetensors``, or
            None for ``$AIFASHION_GENERATOR`` / the shipped weights.
        segmenter: a ``Segmenter``, a registered segmenter name (loaded on first use of a photo),
            or None (drawn garments only).
        segmenter_weights: weights path for a named segmenter (None: ``$AIFASHION_SEGMENTER_WEIGHTS``
            or the shipped weights).
        samples: folder of sample garment photos (None: ``$AIFASHION_DATA/clothing-dataset-small``
            when present); ``False`` for none.
        device: torch device for the generator and segmenter ("cpu" works).
        seed: seeds the "new pattern" button's sequence (per session, reproducible).
        work_size: photos are downscaled to this longest side (1024).
        tile_px: pattern tile size on a 1024-px garment at scale 1.
        display_px: longest side of the pictures sent to the page.
        max_samples: at most this many sample photos in the picker.
    """

    def __init__(
        self,
        generator=None,
        segmenter="aifashion-lite0",
        *,
        segmenter_weights: str | os.PathLike | None = None,
        samples: str | os.PathLike | None | bool = None,
        device: str = "cpu",
        seed: int = 0,
        work_size: int = 1024,
        tile_px: int = 256,
        display_px: int = 480,
        max_samples: int = 12,
    ) -> None:
        generator = load_generator_arg(generator, device)
        segmenter = segmenter_factory(segmenter, segmenter_weights, device)
        photos = pick_samples(samples, max_samples)
        self.session = TryOnSession(generator, segmenter, sample_photos=photos, work_size=work_size, tile_px=tile_px)
        self.display_px = int(display_px)
        self._rng = np.random.default_rng(seed)
        self.timings: dict[str, float] = {}
        self.tile: Image.Image | None = None  # the pattern tile worn now (generated or fabric, recoloured)
        self.fabric_tile: Image.Image | None = None  # the seamless tile of the user's fabric, when in use
        self.fabric_name = ""
        self._fabric_n = 0  # numbers each fabric upload (its recolouring cache key)
        self.result = None  # compose.TryOn of the current garment + pattern
        self.garment_view = None
        self._build()
        self._wire()
        self.refresh_pattern()
        self.refresh_garment()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        """Three panels (one file each: pattern_panel, garment_panel, result_panel) under a header;
        the callbacks reach the widgets through them."""
        self.fabric_panel = FabricPanel()
        self.pattern_panel = p = PatternPanel(self.session.classes, fabric=self.fabric_panel.widget)
        self.garment_panel = g = GarmentPanel(self.session.garment_choices())
        self.result_panel = r = ResultPanel()
        self.widget = W.VBox([header(), W.HBox([p.widget, g.widget, r.widget], layout=W.Layout(flex_flow="row wrap"))])
        self.widget.add_class("aif-app")

    def _wire(self) -> None:
        # Sliders update live: ipywidgets keeps at most one change in flight and merges the
        # rest, so dragging never queues more work than the kernel can do.
        p, f, g, r = self.pattern_panel, self.fabric_panel, self.garment_panel, self.result_panel
        for w in (p.category, p.mix_with, p.mix, p.seed, p.palette):
            w.observe(self._on_pattern_change, names="value")
        f.upload.observe(self._on_fabric_upload, names="value")
        f.back.on_click(self._on_fabric_back)
        p.new_pattern.on_click(self._on_new_pattern)
        g.picker.observe(self._on_garment_change, names="value")
        g.upload.observe(self._on_upload, names="value")
        g.show_mask.observe(self._on_mask_toggle, names="value")
        g.on_parts_change = self._on_parts_change
        for w in (r.scale, r.rotation, f.tile_cm):
            w.observe(self._on_placement_change, names="value")
        p.dl_button.on_click(self._on_download_pattern)
        r.dl_button.on_click(self._on_download_result)

    # ------------------------------------------------------------------ helpers
    def _show_error(self, text: str) -> None:
        self.garment_panel.message.value = f"<span class='aif-error'>&#9888; {html.escape(text)}</span>"

    def _guard(fn):  # noqa: N805 -- decorator inside the class body
        """Callbacks never raise into the page: errors become a message; the app keeps working."""

        @functools.wraps(fn)
        def wrapper(self, *args, **kwargs):
            try:
                return fn(self, *args, **kwargs)
            except ImageError as exc:
                self._show_error(str(exc))
            except Exception as exc:  # noqa: BLE001 -- report anything, keep the dashboard alive
                self._show_error(f"{type(exc).__name__}: {exc}")

        return wrapper

    @property
    def tile_cm_value(self) -> float | None:
        """The fabric tile's real-world size (cm) while a fabric is worn, else None."""
        return float(self.fabric_panel.tile_cm.value) if self.fabric_tile is not None else None

    def _use_fabric(self, tile: Image.Image | None, name: str = "") -> None:
        """Wear ``tile`` (the user's fabric) instead of generated patterns, or go back (None):
        the controls of the source not in use are disabled."""
        self.fabric_tile, self.fabric_name = tile, name
        self._fabric_n += tile is not None
        fabric = tile is not None
        p, f = self.pattern_panel, self.fabric_panel
        for w in (p.category, p.mix_with, p.seed, p.new_pattern, self.result_panel.scale, p.dl_size):
            w.disabled = fabric
        p.mix.disabled = fabric or p.mix_with.value == NO_MIX
        f.tile_cm.disabled = f.back.disabled = not fabric
        self.refresh_pattern()
        self.refresh_result()

    # ------------------------------------------------------------------ pipeline steps
    def refresh_pattern(self) -> None:
        """Render the pattern tile (one generator call; or the fabric's tile), recolour it to the
        chosen palette, and show it 3 x 3 as the swatch."""
        t0 = time.perf_counter()
        p = self.pattern_panel
        if self.fabric_tile is not None:
            base, key = self.fabric_tile, ("fabric", self._fabric_n)
        else:
            key = (p.category.value, p.seed.value, p.mix_value)
            base = self.session.pattern(p.category.value, p.seed.value, self.session.tile_px, p.mix_value)
        palette = p.palette_value
        self.tile = base if palette is None else self.session.recolored(key, base, palette)
        t1 = time.perf_counter()
        p.swatch.value = encode_image(tiled_swatch(self.tile, 3, size=SWATCH_PX), "JPEG", quality=88)
        self.timings.update(tile=t1 - t0, swatch=time.perf_counter() - t1)
        p.download.clear()

    def refresh_garment(self) -> None:
        """Load (segment once, cached) the picked garment and show it; with a parts segmenter, one
        checkbox per garment found in the photo, the largest ticked (the only one patterned)."""
        t0 = time.perf_counter()
        panel = self.garment_panel
        key = panel.picker.value
        if key is None:
            return
        cached = self.session.has_garment(key)
        try:
            whole = self.session.garment(key)
        except ImageError:
            self.garment_view = None
            panel.show_parts({}, None)
            raise
        self.timings["segment"] = 0.0 if cached else time.perf_counter() - t0
        ticked = self.session.default_parts(whole)
        panel.show_parts(whole.parts_found, ticked)
        self.garment_view = self.session.choose_parts(whole, ticked)
        if float((whole.mask > 0.5).mean()) < 0.005:
            panel.message.value = (
                "<span class='aif-muted'>No garment was found in this photo, so the pattern "
                "has nowhere to go; try another photo or a drawn garment.</span>"
            )
        self._show_original()
        self.refresh_result()

    def _show_original(self) -> None:
        g = self.garment_view
        if g is None:
            return
        img = mask_overlay(g.image, g.mask) if self.garment_panel.show_mask.value else g.image
        self.garment_panel.original.value = page_jpeg(img, self.display_px)

    def refresh_result(self) -> None:
        """Composite the current tile onto the current garment and show it."""
        g, r = self.garment_view, self.result_panel
        if g is None or self.tile is None:
            return
        t1 = time.perf_counter()
        cm = self.tile_cm_value
        self.result = self.session.try_on(g, self.tile, r.scale.value, r.rotation.value, tile_cm=cm)
        t2 = time.perf_counter()
        r.image.value = page_jpeg(Image.fromarray(self.result.rgb, "RGB"), self.display_px)
        t3 = time.perf_counter()
        self.timings.update(composite=t2 - t1, encode=t3 - t2)
        r.download.clear()
        h, w = self.result.rgb.shape[:2]
        period = self.tile.size[0] * self.session.magnification(g, self.tile, r.scale.value, cm)
        p = self.pattern_panel
        what = f"{p.category.value} seed {p.seed.value}" if cm is None else f"fabric {self.fabric_name}"
        full = g.full_size or (w, h)
        r.status.value = (
            f"<span class='aif-muted'>{html.escape(g.label)} · {html.escape(what)} · {w}×{h} px shown, "
            f"{full[0]}×{full[1]} px download · pattern repeats every {period:.0f} px · "
            f"composite {1000 * (t2 - t1):.0f} ms</span>"
        )

    # ------------------------------------------------------------------ callbacks
    @_guard
    def _on_pattern_change(self, change=None) -> None:
        p = self.pattern_panel
        p.mix.disabled = self.fabric_tile is not None or p.mix_with.value == NO_MIX
        self.refresh_pattern()
        self.refresh_result()

    @_guard
    def _on_new_pattern(self, _button=None) -> None:
        """Draw a fresh seed (from this session's generator); the seed observer re-renders."""
        t0 = time.perf_counter()
        self.pattern_panel.seed.value = int(self._rng.integers(0, 2**31 - 1))
        self.timings["click_to_result"] = time.perf_counter() - t0

    @_guard
    def _on_garment_change(self, change=None) -> None:
        self.garment_panel.message.value = ""
        self.refresh_garment()

    @_guard
    def _on_mask_toggle(self, change=None) -> None:
        self._show_original()

    @_guard
    def _on_parts_change(self) -> None:
        """A garment ticked or unticked: only the ticked ones take the pattern (none: the photo)."""
        if self.garment_view is None:
            return
        t0 = time.perf_counter()
        self.garment_view = self.session.choose_parts(self.garment_view, self.garment_panel.ticked_parts())
        self.timings["parts"] = time.perf_counter() - t0
        if self.garment_panel.show_mask.value:
            self._show_original()
        self.refresh_result()

    @_guard
    def _on_placement_change(self, change=None) -> None:
        self.refresh_result()

    @_guard
    def _on_upload(self, change) -> None:
        if not change["new"]:
            return
        panel = self.garment_panel
        name, content = uploaded_file(change["new"])
        panel.message.value = ""
        try:
            label, key = self.session.add_upload(bytes(content), name=name)
        except ImageError as exc:
            self._show_error(f"{name}: {exc}")
            return
        finally:
            # Forget the raw bytes (they can be 20 MB) and let the same file be chosen again.
            panel.upload.value = ()
        panel.choose(label, key, replace=True)

    @_guard
    def _on_fabric_upload(self, change) -> None:
        """A fabric photo -> its seamless tile, worn from now on; a bad file -> one line, no change."""
        if not change["new"]:
            return
        panel = self.fabric_panel
        name, content = uploaded_file(change["new"])
        panel.show(f"{name}: making a seamless tile…")
        try:
            tile = self.session.fabric_tile(content, name)
        except (ImageError, ValueError) as exc:
            panel.show(f"{name}: {exc}", error=True)
            return
        finally:
            panel.upload.value = ()  # forget the raw bytes; the same file may be chosen again
        panel.show(f"{name}: a seamless {tile.width}×{tile.height} px tile.")
        self._use_fabric(tile, name)

    @_guard
    def _on_fabric_back(self, _button=None) -> None:
        self.fabric_panel.message.value = ""
        self._use_fabric(None)

    @_guard
    def _on_download_pattern(self, _button=None) -> None:
        t0 = time.perf_counter()
        p = self.pattern_panel
        fmt, size = p.dl_format.value, int(p.dl_size.value)
        p.download.busy(
            f"Rendering {size}×{size} {fmt}" + (" (large sizes take a while on a CPU)" if size > 1024 else "")
        )
        p.dl_button.disabled = True
        try:
            repeat, dpi = p.dl_repeat.value, int(p.dl_dpi.value)
            if self.fabric_tile is not None:  # the fabric's tile at its own size (nothing to render)
                stem, rep = file_stem(self.fabric_name, ""), "" if repeat == "straight" else f"-{repeat}"
                data = encode_image(repeat_unit(self.tile, repeat), fmt, dpi=dpi)
                name = f"fabric-{stem}-tile{rep}.{DOWNLOAD_FORMATS[fmt][2]}"
            else:
                data, name = pattern_file(
                    self.session.generator, p.category.value, p.seed.value, size, p.mix_value, fmt, p.palette_value,
                    repeat, dpi,
                )  # fmt: skip
        except Exception:
            p.download.clear()
            raise
        finally:
            p.dl_button.disabled = False
        p.download.set(data, name, DOWNLOAD_FORMATS[fmt][1], note=f", made in {time.perf_counter() - t0:.1f} s")

    @_guard
    def _on_download_result(self, _button=None) -> None:
        """The try-on at the photo's own size (composited now, up to 40 MP), encoded for the link."""
        if self.result is None or self.garment_view is None:
            raise ValueError("there is no try-on result yet")
        t0 = time.perf_counter()
        p, r, g = self.pattern_panel, self.result_panel, self.garment_view
        fmt = r.dl_format.value
        stem = file_stem(g.label.split(": ", 1)[-1], "garment")
        what = f"{p.category.value}-seed{p.seed.value}" if self.fabric_tile is None else "fabric"
        name = f"tryon-{stem}-{what}.{DOWNLOAD_FORMATS[fmt][2]}"
        w, h = g.full_size or g.image.size
        r.download.busy(f"Compositing at {w}×{h} px")
        r.dl_button.disabled = True
        try:
            rgb = self.session.full_try_on(g, self.tile, r.scale.value, r.rotation.value, self.tile_cm_value)
            data = encode_image(self.result.rgb if rgb is None else rgb, fmt)
            del rgb  # only the encoded file stays
        except Exception:
            r.download.clear()
            raise
        finally:
            r.dl_button.disabled = False
        r.download.set(data, name, DOWNLOAD_FORMATS[fmt][1], note=f", made in {time.perf_counter() - t0:.1f} s")

    # ------------------------------------------------------------------ convenience
    def select_garment(self, key: Hashable) -> None:
        """Pick a garment by key (e.g. ``("drawn", "t-shirt")``, ``("photo", path)``); a photo not
        among the samples is added to the picker."""
        if key[0] == "photo":
            self.garment_panel.choose(*self.session.photo_choice(key[1]))
        else:
            self.garment_panel.picker.value = key

    def save_result(self, out_dir: str | os.PathLike) -> Path:
        """Write the current try-on and swatch to ``out_dir`` (for notebooks run by papermill;
        the dashboard itself never writes files). Returns the try-on path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        from aifashion.atomic import atomic_write_bytes

        if self.result is None:
            raise ValueError("there is no try-on result yet")
        atomic_write_bytes(out / "swatch.jpg", bytes(self.pattern_panel.swatch.value))
        return atomic_write_bytes(out / "tryon.png", encode_image(self.result.rgb, "PNG"))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
