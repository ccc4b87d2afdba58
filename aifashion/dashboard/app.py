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
from aifashion.dashboard.images import page_jpeg, uploaded_file
from aifashion.dashboard.loading import load_generator_arg, pick_samples, segmenter_factory
from aifashion.dashboard.pattern_panel import NO_MIX, PatternPanel
from aifashion.dashboard.result_panel import ResultPanel
from aifashion.dashboard.session import DOWNLOAD_FORMATS, TryOnSession, encode_image, mask_overlay, tiled_swatch
from aifashion.dashboard.style import header
from aifashion.imageio import ImageError

SWATCH_PX = 576  # the 3 x 3 swatch's side on the page


class TryOnApp:
    """The try-on dashboard; show ``app.widget`` in a notebook or Voila.

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
        """Three panels (one file each: pattern_panel, garment_panel, result_panel) under a header."""
        self.fabric_panel = f = FabricPanel()
        self.pattern_panel = p = PatternPanel(self.session.classes, fabric=f.widget)
        self.palette, self.fabric_upload, self.fabric_back, self.tile_cm = p.palette, f.upload, f.back, f.tile_cm
        self.garment_panel = g = GarmentPanel(self.session.garment_choices())
        # the panels' controls, under the names the callbacks (and tests) use
        self.category, self.mix_with, self.mix, self.seed = p.category, p.mix_with, p.mix, p.seed
        self.new_pattern, self.swatch, self.dl_size, self.dl_format = p.new_pattern, p.swatch, p.dl_size, p.dl_format
        self.dl_pattern_btn, self.dl_pattern = p.dl_button, p.download
        self.picker, self.upload, self.message = g.picker, g.upload, g.message
        self.original, self.show_mask = g.original, g.show_mask

        self.result_panel = r = ResultPanel()
        self.result_image, self.scale, self.rotation, self.status = r.image, r.scale, r.rotation, r.status
        self.dl_result_format, self.dl_result_btn, self.dl_result = r.dl_format, r.dl_button, r.download
        self.widget = W.VBox([header(), W.HBox([p.widget, g.widget, r.widget], layout=W.Layout(flex_flow="row wrap"))])
        self.widget.add_class("aif-app")

    def _wire(self) -> None:
        # Sliders update live: ipywidgets keeps at most one change in flight and merges the
        # rest, so dragging never queues more work than the kernel can do.
        for w in (self.category, self.mix_with, self.mix, self.seed, self.palette):
            w.observe(self._on_pattern_change, names="value")
        self.fabric_upload.observe(self._on_fabric_upload, names="value")
        self.fabric_back.on_click(self._on_fabric_back)
        self.new_pattern.on_click(self._on_new_pattern)
        self.picker.observe(self._on_garment_change, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.show_mask.observe(self._on_mask_toggle, names="value")
        self.garment_panel.on_parts_change = self._on_parts_change
        for w in (self.scale, self.rotation, self.tile_cm):
            w.observe(self._on_placement_change, names="value")
        self.dl_pattern_btn.on_click(self._on_download_pattern)
        self.dl_result_btn.on_click(self._on_download_result)

    # ------------------------------------------------------------------ helpers
    def _show_error(self, text: str) -> None:
        self.message.value = f"<span class='aif-error'>&#9888; {html.escape(text)}</span>"

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
    def part_boxes(self) -> dict:
        """{part: Checkbox} of the garments found in the photo shown, largest first ({}: no choice)."""
        return self.garment_panel.part_boxes

    @property
    def mix_value(self) -> tuple[str, float] | None:
        return self.pattern_panel.mix_value

    @property
    def tile_cm_value(self) -> float | None:
        """The fabric tile's real-world size (cm) while a fabric is worn, else None."""
        return float(self.tile_cm.value) if self.fabric_tile is not None else None

    def _use_fabric(self, tile: Image.Image | None, name: str = "") -> None:
        """Wear ``tile`` (the user's fabric) instead of generated patterns, or go back (None):
        the controls of the source not in use are disabled."""
        self.fabric_tile, self.fabric_name = tile, name
        self._fabric_n += tile is not None
        fabric = tile is not None
        for w in (self.category, self.mix_with, self.seed, self.new_pattern, self.scale, self.dl_size):
            w.disabled = fabric
        self.mix.disabled = fabric or self.mix_with.value == NO_MIX
        self.tile_cm.disabled = self.fabric_back.disabled = not fabric
        self.refresh_pattern()
        self.refresh_result()

    # ------------------------------------------------------------------ pipeline steps
    def refresh_pattern(self) -> None:
        """Render the pattern tile (one generator call; or the fabric's tile), recolour it to the
        chosen palette, and show it 3 x 3 as the swatch."""
        t0 = time.perf_counter()
        if self.fabric_tile is not None:
            base, key = self.fabric_tile, ("fabric", self._fabric_n)
        else:
            key = (self.category.value, self.seed.value, self.mix_value)
            base = self.session.pattern(self.category.value, self.seed.value, self.session.tile_px, self.mix_value)
        palette = self.pattern_panel.palette_value
        self.tile = base if palette is None else self.session.recolored(key, base, palette)
        t1 = time.perf_counter()
        self.swatch.value = encode_image(tiled_swatch(self.tile, 3, size=SWATCH_PX), "JPEG", quality=88)
        self.timings.update(tile=t1 - t0, swatch=time.perf_counter() - t1)
        self.dl_pattern.clear()

    def refresh_garment(self) -> None:
        """Load (segment once, cached) the picked garment and show it; with a parts segmenter, one
        checkbox per garment found in the photo, the largest ticked (the only one patterned)."""
        t0 = time.perf_counter()
        key = self.picker.value
        if key is None:
            return
        cached = self.session.has_garment(key)
        try:
            whole = self.session.garment(key)
        except ImageError:
            self.garment_view = None
            self.garment_panel.show_parts({}, None)
            raise
        self.timings["segment"] = 0.0 if cached else time.perf_counter() - t0
        ticked = self.session.default_parts(whole)
        self.garment_panel.show_parts(whole.parts_found, ticked)
        self.garment_view = self.session.choose_parts(whole, ticked)
        if float((whole.mask > 0.5).mean()) < 0.005:
            self.message.value = (
                "<span class='aif-muted'>No garment was found in this photo, so the pattern "
                "has nowhere to go; try another photo or a drawn garment.</span>"
            )
        self._show_original()
        self.refresh_result()

    def _show_original(self) -> None:
        g = self.garment_view
        if g is None:
            return
        img = mask_overlay(g.image, g.mask) if self.show_mask.value else g.image
        self.original.value = page_jpeg(img, self.display_px)

    def refresh_result(self) -> None:
        """Composite the current tile onto the current garment and show it."""
        g = self.garment_view
        if g is None or self.tile is None:
            return
        t1 = time.perf_counter()
        cm = self.tile_cm_value
        self.result = self.session.try_on(g, self.tile, self.scale.value, self.rotation.value, tile_cm=cm)
        t2 = time.perf_counter()
        self.result_image.value = page_jpeg(Image.fromarray(self.result.rgb, "RGB"), self.display_px)
        t3 = time.perf_counter()
        self.timings.update(composite=t2 - t1, encode=t3 - t2)
        self.dl_result.clear()
        h, w = self.result.rgb.shape[:2]
        period = self.tile.size[0] * self.session.magnification(g, self.tile, self.scale.value, cm)
        what = f"{self.category.value} seed {self.seed.value}" if cm is None else f"fabric {self.fabric_name}"
        full = g.full_size or (w, h)
        self.status.value = (
            f"<span class='aif-muted'>{html.escape(g.label)} · {html.escape(what)} · {w}×{h} px shown, "
            f"{full[0]}×{full[1]} px download · pattern repeats every {period:.0f} px · "
            f"composite {1000 * (t2 - t1):.0f} ms</span>"
        )

    # ------------------------------------------------------------------ callbacks
    @_guard
    def _on_pattern_change(self, change=None) -> None:
        self.mix.disabled = self.fabric_tile is not None or self.mix_with.value == NO_MIX
        self.refresh_pattern()
        self.refresh_result()

    @_guard
    def _on_new_pattern(self, _button=None) -> None:
        """Draw a fresh seed (from this session's generator); the seed observer re-renders."""
        t0 = time.perf_counter()
        self.seed.value = int(self._rng.integers(0, 2**31 - 1))
        self.timings["click_to_result"] = time.perf_counter() - t0

    @_guard
    def _on_garment_change(self, change=None) -> None:
        self.message.value = ""
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
        if self.show_mask.value:
            self._show_original()
        self.refresh_result()

    @_guard
    def _on_placement_change(self, change=None) -> None:
        self.refresh_result()

    @_guard
    def _on_upload(self, change) -> None:
        if not change["new"]:
            return
        name, content = uploaded_file(change["new"])
        self.message.value = ""
        try:
            label, key = self.session.add_upload(bytes(content), name=name)
        except ImageError as exc:
            self._show_error(f"{name}: {exc}")
            return
        finally:
            # Forget the raw bytes (they can be 20 MB) and let the same file be chosen again.
            self.upload.value = ()
        self.garment_panel.choose(label, key, replace=True)

    @_guard
    def _on_fabric_upload(self, change) -> None:
        """A fabric photo -> its seamless tile, worn from now on; a bad file -> one line, no change."""
        if not change["new"]:
            return
        name, content = uploaded_file(change["new"])
        self.fabric_panel.show(f"{name}: making a seamless tile…")
        try:
            tile = self.session.fabric_tile(content, name)
        except (ImageError, ValueError) as exc:
            self.fabric_panel.show(f"{name}: {exc}", error=True)
            return
        finally:
            self.fabric_upload.value = ()  # forget the raw bytes; the same file may be chosen again
        self.fabric_panel.show(f"{name}: a seamless {tile.width}×{tile.height} px tile.")
        self._use_fabric(tile, name)

    @_guard
    def _on_fabric_back(self, _button=None) -> None:
        self.fabric_panel.message.value = ""
        self._use_fabric(None)

    @_guard
    def _on_download_pattern(self, _button=None) -> None:
        t0 = time.perf_counter()
        fmt, size = self.dl_format.value, int(self.dl_size.value)
        self.dl_pattern.busy(
            f"Rendering {size}×{size} {fmt}" + (" (large sizes take a while on a CPU)" if size > 1024 else "")
        )
        self.dl_pattern_btn.disabled = True
        try:
            if self.fabric_tile is not None:  # the fabric's tile at its own size (nothing to render)
                stem = file_stem(self.fabric_name, "")
                data, name = encode_image(self.tile, fmt), f"fabric-{stem}-tile.{DOWNLOAD_FORMATS[fmt][2]}"
            else:
                data, name = self.session.render_download(
                    self.category.value, self.seed.value, size, self.mix_value, fmt, self.pattern_panel.palette_value
                )
        except Exception:
            self.dl_pattern.clear()
            raise
        finally:
            self.dl_pattern_btn.disabled = False
        self.dl_pattern.set(data, name, DOWNLOAD_FORMATS[fmt][1], note=f", made in {time.perf_counter() - t0:.1f} s")

    @_guard
    def _on_download_result(self, _button=None) -> None:
        """The try-on at the photo's own size (composited now, up to 40 MP), encoded for the link."""
        if self.result is None or self.garment_view is None:
            raise ValueError("there is no try-on result yet")
        t0 = time.perf_counter()
        fmt, g = self.dl_result_format.value, self.garment_view
        stem = file_stem(g.label.split(": ", 1)[-1], "garment")
        what = f"{self.category.value}-seed{self.seed.value}" if self.fabric_tile is None else "fabric"
        name = f"tryon-{stem}-{what}.{DOWNLOAD_FORMATS[fmt][2]}"
        w, h = g.full_size or g.image.size
        self.dl_result.busy(f"Compositing at {w}×{h} px")
        self.dl_result_btn.disabled = True
        try:
            rgb = self.session.full_try_on(g, self.tile, self.scale.value, self.rotation.value, self.tile_cm_value)
            data = encode_image(self.result.rgb if rgb is None else rgb, fmt)
            del rgb  # only the encoded file stays
        except Exception:
            self.dl_result.clear()
            raise
        finally:
            self.dl_result_btn.disabled = False
        self.dl_result.set(data, name, DOWNLOAD_FORMATS[fmt][1], note=f", made in {time.perf_counter() - t0:.1f} s")

    # ------------------------------------------------------------------ convenience
    def select_garment(self, key: Hashable) -> None:
        """Pick a garment by key (e.g. ``("drawn", "t-shirt")``, ``("photo", path)``); a photo not
        among the samples is added to the picker."""
        if key[0] == "photo":
            self.garment_panel.choose(*self.session.photo_choice(key[1]))
        else:
            self.picker.value = key

    def save_result(self, out_dir: str | os.PathLike) -> Path:
        """Write the current try-on and swatch to ``out_dir`` (for notebooks run by papermill;
        the dashboard itself never writes files). Returns the try-on path."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        from aifashion.atomic import atomic_write_bytes

        if self.result is None:
            raise ValueError("there is no try-on result yet")
        atomic_write_bytes(out / "swatch.jpg", bytes(self.swatch.value))
        return atomic_write_bytes(out / "tryon.png", encode_image(self.result.rgb, "PNG"))

    def _repr_mimebundle_(self, **kwargs):
        return self.widget._repr_mimebundle_(**kwargs)
