"""``TryOnApp``: the ipywidgets try-on dashboard (layout + callbacks, no algorithms).

Three columns -- pattern, garment, result. Every callback reads the controls and calls
:class:`~aifashion.dashboard.session.TryOnSession`, which calls the package
(``generate``, ``segment``, ``compose``, ``garments``, ``imageio``).
"""
from __future__ import annotations

import functools
import html
import os
import time
from pathlib import Path
from typing import Hashable

import ipywidgets as W
import numpy as np
from PIL import Image

from aifashion.dashboard.downloads import DownloadLink
from aifashion.dashboard.session import (
    DOWNLOAD_FORMATS,
    MAX_DOWNLOAD_SIZE,
    TryOnSession,
    default_sample_folder,
    encode_image,
    fit_within,
    mask_overlay,
    tiled_swatch,
)
from aifashion.imageio import ImageError

NO_MIX = "(none)"
#: sample-photo classes that are no place for a textile pattern
NOT_GARMENTS = frozenset({"shoes", "hat"})
SWATCH_PX = 576  # the 3 x 3 swatch's side on the page
DOWNLOAD_SIZES = (256, 512, 1024, 2048, MAX_DOWNLOAD_SIZE)

_CSS = """
<style>
.aif-app { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; }
.aif-app h1 { font-size: 1.5em; margin: 0.2em 0 0.1em 0; }
.aif-app h3 { font-size: 1.1em; margin: 0.3em 0 0.4em 0; border-bottom: 2px solid #c8306a; padding-bottom: 2px; }
.aif-intro { color: #555; margin-bottom: 0.6em; }
.aif-col { border: 1px solid #e3e3e3; border-radius: 8px; padding: 8px 10px; background: #fcfcfc; }
.aif-muted { color: #777; font-size: 0.9em; }
.aif-error { color: #b00020; font-weight: 600; }
.aif-download-link { font-weight: 600; color: #1a5fb4; }
.aif-app .aif-status .widget-html-content, .aif-app .aif-message .widget-html-content,
.aif-app .aif-download-pattern .widget-html-content, .aif-app .aif-download-result .widget-html-content { line-height: 1.45; }
.aif-app img.aif-picture { border-radius: 4px; border: 1px solid #ddd; background: #fff; object-fit: contain; }
</style>
"""


def _round_robin(photos: list[Path], limit: int) -> list[Path]:
    """Up to ``limit`` photos, taking one per class folder in turn (sorted, deterministic)."""
    by_class: dict[str, list[Path]] = {}
    for p in sorted(photos):
        by_class.setdefault(p.parent.name, []).append(p)
    out: list[Path] = []
    i = 0
    while len(out) < limit and any(i < len(v) for v in by_class.values()):
        out += [v[i] for v in by_class.values() if i < len(v)][: limit - len(out)]
        i += 1
    return out


def _jpeg(img: Image.Image, longest: int) -> bytes:
    return encode_image(fit_within(img, longest), "JPEG", quality=88)


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
        segmenter="aifashion-ccp",
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
        generator = self._load_generator(generator, device)
        segmenter = self._segmenter_factory(segmenter, segmenter_weights, device)
        photos: list[Path] = []
        if samples is not False:
            folder = default_sample_folder(samples if samples not in (None, True) else None)
            if folder is not None:
                from aifashion.garments import sample_photos

                photos = [p for p in sample_photos(folder) if p.parent.name not in NOT_GARMENTS]
                photos = _round_robin(photos, max_samples)
        self.session = TryOnSession(generator, segmenter, sample_photos=photos, work_size=work_size, tile_px=tile_px)
        self.display_px = int(display_px)
        self._rng = np.random.default_rng(seed)
        self.timings: dict[str, float] = {}
        self.tile: Image.Image | None = None
        self.result = None  # compose.TryOn of the current garment + pattern
        self.garment_view = None
        self._build()
        self._wire()
        self.refresh_pattern()
        self.refresh_garment()

    # ------------------------------------------------------------------ loading
    @staticmethod
    def _load_generator(generator, device):
        if generator is not None and hasattr(generator, "render"):
            return generator
        from aifashion.gan.generate import load_generator

        path = generator if generator is not None else (os.environ.get("AIFASHION_GENERATOR") or None)
        return load_generator(path, device=device)

    @staticmethod
    def _segmenter_factory(segmenter, weights, device):
        if segmenter is None or hasattr(segmenter, "predict"):
            return segmenter
        name = str(segmenter)
        weights = weights if weights is not None else (os.environ.get("AIFASHION_SEGMENTER_WEIGHTS") or None)

        def load():
            from aifashion.segment import load_segmenter

            return load_segmenter(name, weights=weights, device=device)

        return load

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        classes = self.session.classes
        lay = W.Layout
        full = lay(width="96%")
        style = {"description_width": "72px"}
        self.category = W.Dropdown(options=classes, value=classes[0], description="Category", style=style, layout=full)
        self.mix_with = W.Dropdown(options=[NO_MIX] + classes, value=NO_MIX, description="Mix with", style=style, layout=full)
        self.mix = W.FloatSlider(value=0.0, min=0.0, max=1.0, step=0.05, description="Mix", style=style,
                                 continuous_update=True, readout_format=".2f", layout=full, disabled=True)
        self.seed = W.BoundedIntText(value=0, min=0, max=2**31 - 1, description="Seed", style=style, layout=lay(width="190px"))
        self.new_pattern = W.Button(description="New pattern", icon="random", button_style="primary", layout=lay(width="130px"))
        self.swatch = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.swatch.add_class("aif-picture")
        self.swatch.add_class("aif-swatch")
        self.dl_size = W.Dropdown(options=list(DOWNLOAD_SIZES), value=1024, description="Size", style=style, layout=lay(width="170px"))
        self.dl_format = W.ToggleButtons(options=list(DOWNLOAD_FORMATS), value="PNG", style={"button_width": "64px"})
        self.dl_pattern_btn = W.Button(description="Render pattern file", icon="download", layout=lay(width="180px"))
        self.dl_pattern = DownloadLink("pattern")

        self.picker = W.Dropdown(options=self.session.garment_choices(), description="Garment", style=style, layout=full)
        self.upload = W.FileUpload(accept=".jpg,.jpeg,.png,.webp,image/jpeg,image/png,image/webp", multiple=False,
                                   description="Upload photo", layout=lay(width="180px"))
        self.message = W.HTML(value="")
        self.message.add_class("aif-message")
        self.original = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.original.add_class("aif-picture")
        self.original.add_class("aif-original")
        self.show_mask = W.Checkbox(value=False, description="Show garment mask", indent=False)

        self.scale = W.FloatSlider(value=1.0, min=0.25, max=4.0, step=0.05, description="Scale", style=style,
                                   continuous_update=True, layout=full)
        self.rotation = W.FloatSlider(value=0.0, min=-180.0, max=180.0, step=5.0, description="Rotation", style=style,
                                      continuous_update=True, readout_format=".0f", layout=full)
        self.result_image = W.Image(format="jpeg", layout=lay(width="100%", max_width="400px"))
        self.result_image.add_class("aif-picture")
        self.result_image.add_class("aif-result")
        self.dl_result_format = W.ToggleButtons(options=list(DOWNLOAD_FORMATS), value="PNG", style={"button_width": "64px"})
        self.dl_result_btn = W.Button(description="Render result file", icon="download", layout=lay(width="180px"))
        self.dl_result = DownloadLink("result")
        self.status = W.HTML(value="")
        self.status.add_class("aif-status")

        def col(title, *children):
            box = W.VBox([W.HTML(f"<h3>{html.escape(title)}</h3>"), *children], layout=lay(flex="1 1 0", min_width="320px", max_width="460px", margin="0 6px 8px 0"))
            box.add_class("aif-col")
            return box

        pattern_col = col(
            "1 · Pattern",
            self.category, self.mix_with, self.mix,
            W.HBox([self.seed, self.new_pattern]),
            self.swatch,
            W.HTML('<span class="aif-muted">3 × 3 tiles of the pattern: a seamless pattern shows no seam.</span>'),
            W.HTML("<b>Download the pattern</b> (rendered at full size, up to 4096 px)"),
            W.HBox([self.dl_size, self.dl_format]),
            self.dl_pattern_btn, self.dl_pattern.widget,
        )
        garment_col = col(
            "2 · Garment",
            self.picker,
            W.HBox([self.upload, W.HTML('<span class="aif-muted">JPEG, PNG or WebP, up to 20 MB / 40 MP</span>')]),
            self.message, self.original, self.show_mask,
        )
        result_col = col(
            "3 · Try-on",
            self.result_image, self.scale, self.rotation, self.status,
            W.HTML("<b>Download the result</b>"),
            W.HBox([self.dl_result_format]), self.dl_result_btn, self.dl_result.widget,
        )
        header = W.HTML(
            _CSS + "<h1>aifashion · try-on</h1><div class='aif-intro'>Generate a seamless textile "
            "pattern, pick or upload a garment, and see the pattern on it. Everything runs on this "
            "computer.</div>"
        )
        self.widget = W.VBox([header, W.HBox([pattern_col, garment_col, result_col], layout=lay(flex_flow="row wrap"))])
        self.widget.add_class("aif-app")

    def _wire(self) -> None:
        # Sliders update live: ipywidgets keeps at most one change in flight and merges the
        # rest, so dragging never queues more work than the kernel can do.
        for w in (self.category, self.mix_with, self.mix, self.seed):
            w.observe(self._on_pattern_change, names="value")
        self.new_pattern.on_click(self._on_new_pattern)
        self.picker.observe(self._on_garment_change, names="value")
        self.upload.observe(self._on_upload, names="value")
        self.show_mask.observe(self._on_mask_toggle, names="value")
        for w in (self.scale, self.rotation):
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
    def mix_value(self) -> tuple[str, float] | None:
        if self.mix_with.value == NO_MIX or self.mix.value <= 0.0:
            return None
        return (self.mix_with.value, float(self.mix.value))

    # ------------------------------------------------------------------ pipeline steps
    def refresh_pattern(self) -> None:
        """Render the pattern tile (one generator call) and show it 3 x 3 as the swatch."""
        t0 = time.perf_counter()
        self.tile = self.session.pattern(self.category.value, self.seed.value, self.session.tile_px, self.mix_value)
        t1 = time.perf_counter()
        self.swatch.value = encode_image(tiled_swatch(self.tile, 3, size=SWATCH_PX), "JPEG", quality=88)
        self.timings.update(tile=t1 - t0, swatch=time.perf_counter() - t1)
        self.dl_pattern.clear()

    def refresh_garment(self) -> None:
        """Load (segment once, cached) the picked garment and show it."""
        t0 = time.perf_counter()
        key = self.picker.value
        if key is None:
            return
        cached = key in self.session._garments
        try:
            self.garment_view = self.session.garment(key)
        except ImageError:
            self.garment_view = None
            raise
        self.timings["segment"] = 0.0 if cached else time.perf_counter() - t0
        if float((self.garment_view.mask > 0.5).mean()) < 0.005:
            self.message.value = ("<span class='aif-muted'>No garment was found in this photo, so the pattern "
                                  "has nowhere to go; try another photo or a drawn garment.</span>")
        self._show_original()
        self.refresh_result()

    def _show_original(self) -> None:
        g = self.garment_view
        if g is None:
            return
        img = mask_overlay(g.image, g.mask) if self.show_mask.value else g.image
        self.original.value = _jpeg(img, self.display_px)

    def refresh_result(self) -> None:
        """Composite the current tile onto the current garment and show it."""
        g = self.garment_view
        if g is None or self.tile is None:
            return
        t1 = time.perf_counter()
        self.result = self.session.try_on(g, self.tile, self.scale.value, self.rotation.value)
        t2 = time.perf_counter()
        self.result_image.value = _jpeg(Image.fromarray(self.result.rgb, "RGB"), self.display_px)
        t3 = time.perf_counter()
        self.timings.update(composite=t2 - t1, encode=t3 - t2)
        self.dl_result.clear()
        h, w = self.result.rgb.shape[:2]
        period = self.tile.size[0] * self.session.compose_scale(g, self.scale.value)
        self.status.value = (
            f"<span class='aif-muted'>{html.escape(g.label)} · {html.escape(self.category.value)} seed "
            f"{self.seed.value} · {w}×{h} px · pattern repeats every {period:.0f} px · "
            f"composite {1000 * (t2 - t1):.0f} ms</span>"
        )

    # ------------------------------------------------------------------ callbacks
    @_guard
    def _on_pattern_change(self, change=None) -> None:
        self.mix.disabled = self.mix_with.value == NO_MIX
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
    def _on_placement_change(self, change=None) -> None:
        self.refresh_result()

    @_guard
    def _on_upload(self, change) -> None:
        files = change["new"]
        if not files:
            return
        f = files[0] if isinstance(files, (list, tuple)) else next(iter(files.values()))
        name, content = f["name"], f["content"]
        self.message.value = ""
        try:
            label, key = self.session.add_upload(bytes(content), name=name)
        except ImageError as exc:
            self._show_error(f"{name}: {exc}")
            return
        finally:
            # Forget the raw bytes (they can be 20 MB) and let the same file be chosen again.
            self.upload.value = ()
        options = [o for o in self.picker.options if o[1] != key] + [(label, key)]
        self.picker.options = options
        self.picker.value = key

    @_guard
    def _on_download_pattern(self, _button=None) -> None:
        t0 = time.perf_counter()
        fmt, size = self.dl_format.value, int(self.dl_size.value)
        self.dl_pattern.busy(f"Rendering {size}×{size} {fmt}" + (" (large sizes take a while on a CPU)" if size > 1024 else ""))
        self.dl_pattern_btn.disabled = True
        try:
            data, name = self.session.render_download(self.category.value, self.seed.value, size, self.mix_value, fmt)
        except Exception:
            self.dl_pattern.clear()
            raise
        finally:
            self.dl_pattern_btn.disabled = False
        self.dl_pattern.set(data, name, DOWNLOAD_FORMATS[fmt][1], note=f", made in {time.perf_counter() - t0:.1f} s")

    @_guard
    def _on_download_result(self, _button=None) -> None:
        if self.result is None:
            raise ValueError("there is no try-on result yet")
        fmt = self.dl_result_format.value
        g = self.garment_view
        stem = Path(g.label.split(": ", 1)[-1]).stem if g is not None else "garment"
        stem = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in stem)[:40] or "garment"
        name = f"tryon-{stem}-{self.category.value}-seed{self.seed.value}.{DOWNLOAD_FORMATS[fmt][2]}"
        self.dl_result.set(encode_image(self.result.rgb, fmt), name, DOWNLOAD_FORMATS[fmt][1])

    # ------------------------------------------------------------------ convenience
    def select_garment(self, key: Hashable) -> None:
        """Pick a garment by key (e.g. ``("drawn", "t-shirt")``)."""
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
