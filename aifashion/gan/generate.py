"""Render patterns from an exported generator (ours or the DCGAN baseline).

    from aifashion.gan.generate import load_generator
    gen = load_generator()                       # the shipped weights (aifashion/weights/)
    gen.classes                                  # ['checkered', 'dotted', ...]
    img = gen.render("striped", seed=3, size=512, mix={"floral": 0.3})   # PIL RGB, seamless
    gen.render("dotted", seed=1, palette="#1b2a49,#f4e9d8")          # recoloured (gan.palette)

An export is ``generator.safetensors`` + ``generator.json`` (written by
:func:`aifashion.gan.export.export_generator`); the JSON names the model and its config, so the
file pair alone rebuilds the net. The tileable generator renders any size (internally the next
multiple of its 16-pixel latent cell, resampled with wrap-around when the size is not such a
multiple, so the result still tiles); the baseline renders only its native size.

**Colour.** An export may carry ``colour_gains`` (one gain per RGB channel, the set-wide grey
world of its training photos: :mod:`aifashion.data.colour`): every render is multiplied by
them, which takes the camera's colour cast out of what the generator learned -- exactly what
training on the balanced photos would aim at, as the same gains apply to every photo.
:meth:`PatternGenerator.render_tensor` stays the raw output.

**Candidates.** An export may carry the discriminator it was trained against (the *critic*,
keys ``critic.*``). ``render(..., candidates=N)`` then draws N latents for the seed (the first
is the seed's own), scores each at the training canvas (64 px) by the critic's logit for the
category, and renders the best one: a best-of-N discriminator selection, at the cost of N small
renders. ``candidates=None`` takes the export's measured default (``meta["candidates"]``, else 1).

CLI: ``aifashion generate --category NAME --seed N --size PX --out FILE.png [--mix NAME:W]
[--palette "#RRGGBB,#RRGGBB"] [--candidates N]``.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image

from aifashion.paths import WEIGHTS_DIR
from aifashion.registry import UnknownNameError

DEFAULT_WEIGHTS = WEIGHTS_DIR / "generator.safetensors"
MAX_SIZE = 4096

Mix = Mapping[str, float] | tuple[str, float] | Sequence[tuple[str, float]] | None
Palette = str | Sequence[str | Sequence[int]] | None


def _slerp(a: torch.Tensor, b: torch.Tensor, t: float) -> torch.Tensor:
    """Spherical interpolation along the last dims (per sample), for Gaussian latents."""
    af, bf = a.flatten(1), b.flatten(1)
    cos = (F.normalize(af, dim=1) * F.normalize(bf, dim=1)).sum(1).clamp(-1, 1)
    omega = torch.acos(cos)[:, None]
    so = torch.sin(omega)
    small = so.abs() < 1e-6
    w_a = torch.where(small, torch.full_like(so, 1 - t), torch.sin((1 - t) * omega) / so.clamp_min(1e-12))
    w_b = torch.where(small, torch.full_like(so, t), torch.sin(t * omega) / so.clamp_min(1e-12))
    return (w_a * af + w_b * bf).view_as(a)


def periodic_resize(x: torch.Tensor, size: int) -> torch.Tensor:
    """Resample a periodic canvas ``(B, C, H, W)`` to ``(B, C, size, size)``, wrapping at the
    edges (bilinear), so the result is periodic too. Meant for small changes of size."""
    B, C, H, W = x.shape
    if (H, W) == (size, size):
        return x
    xp = F.pad(x, (1, 1, 1, 1), mode="circular")  # (B, C, H + 2, W + 2)
    j = torch.arange(size, dtype=x.dtype, device=x.device) + 0.5
    u = j * W / size - 0.5 + 1  # source pixel-centre coordinate in the padded canvas
    v = j * H / size - 0.5 + 1
    gx = u / (W + 1) * 2 - 1  # align_corners=True normalisation over W + 2 pixels
    gy = v / (H + 1) * 2 - 1
    grid = torch.stack(torch.meshgrid(gy, gx, indexing="ij")[::-1], -1)[None].expand(B, size, size, 2)
    return F.grid_sample(xp, grid, mode="bilinear", padding_mode="border", align_corners=True)


def _to_pil(x: torch.Tensor) -> list[Image.Image]:
    arr = ((x.float().clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()
    return [Image.fromarray(a, "RGB") for a in arr]


class PatternGenerator:
    """A loaded generator. Build with :func:`load_generator`.

    Attributes:
        classes: category names, in the model's label order.
        model_name: ``"tileable"`` or ``"dcgan"``.
        config: the model config dataclass.
        meta: the export's JSON (training info etc.).
        native_size: the baseline's only size; ``None`` for the tileable model (any size).
        critic: the discriminator that scores candidates, or ``None`` (then only 1 candidate).
        colour_gains: float ``(1, 3, 1, 1)`` gains applied to every render, or ``None``.
        candidates: the export's default number of candidates (1 without a critic).
    """

    def __init__(
        self,
        model: torch.nn.Module,
        model_name: str,
        classes: Sequence[str],
        meta: dict,
        device: torch.device,
        bf16: bool = False,
        critic: torch.nn.Module | None = None,
    ) -> None:
        self.model = model.eval().requires_grad_(False)
        self.critic = critic.eval().requires_grad_(False) if critic is not None else None
        self.model_name = model_name
        self.config = model.cfg
        self.classes = list(classes)
        self.meta = meta
        self.device = device
        self.bf16 = bf16
        self.native_size = self.config.image_size if model_name == "dcgan" else None
        self.cell = getattr(self.config, "cell", None)
        self.candidates = int(meta.get("candidates", 1)) if critic is not None else 1
        gains = meta.get("colour_gains")
        self.colour_gains = torch.tensor(gains, dtype=torch.float32).view(1, 3, 1, 1) if gains else None

    # ------------------------------------------------------------------ inputs
    def class_weights(self, category: str, mix: Mix = None) -> torch.Tensor:
        """Class-weights vector ``(n_classes,)`` float: ``category`` gets ``1 - sum(mix)``.

        ``mix`` names other classes and their shares: ``{"floral": 0.3}``, ``("floral", 0.3)``
        or ``[("floral", 0.3), ("dotted", 0.1)]``. Unknown names raise ``UnknownNameError``
        listing the valid ones; shares must be in [0, 1] and sum to at most 1.
        """
        w = torch.zeros(len(self.classes))
        w[self._index(category)] = 1.0
        if mix:
            if isinstance(mix, tuple) and len(mix) == 2 and isinstance(mix[0], str):
                items = [mix]
            elif isinstance(mix, Mapping):
                items = list(mix.items())
            else:
                items = list(mix)
            total = 0.0
            for name, share in items:
                share = float(share)
                if not 0 <= share <= 1:
                    raise ValueError(f"mix weight for {name!r} must be in [0, 1], not {share}")
                w[self._index(name)] += share
                total += share
            if total > 1 + 1e-6:
                raise ValueError(f"mix weights sum to {total:.3g}; they must sum to at most 1")
            w[self._index(category)] -= total
        return w

    def _index(self, name: str) -> int:
        try:
            return self.classes.index(name)
        except ValueError:
            raise UnknownNameError(f"unknown category {name!r}; valid names: {', '.join(self.classes)}") from None

    def _canvas(self, size: int) -> int:
        if not isinstance(size, (int, np.integer)) or size < 1 or size > MAX_SIZE:
            raise ValueError(f"size must be an integer in 1..{MAX_SIZE}, not {size!r}")
        if self.native_size is not None:
            if size != self.native_size:
                raise ValueError(
                    f"the {self.model_name} baseline renders only {self.native_size}x{self.native_size}, not {size}"
                )
            return size
        return int(math.ceil(size / self.cell) * self.cell)

    def latent(self, seed: int, size: int) -> dict[str, torch.Tensor]:
        """The model's inputs for one canvas of ``size`` pixels from ``seed`` (batch of 1, on device)."""
        g = torch.Generator(device="cpu").manual_seed(int(seed))
        noise = self.model.make_noise(1, self._canvas(size), g, device="cpu")
        return {k: v.to(self.device) for k, v in noise.items()}

    # ------------------------------------------------------------------ candidates
    def candidate_seeds(self, seed: int, n: int) -> list[int]:
        """The ``n`` latent seeds drawn for ``seed``: ``seed`` itself, then ``n - 1`` derived ones."""
        ss = np.random.SeedSequence([abs(int(seed)), int(seed < 0)])
        return [int(seed)] + [int(v) for v in ss.generate_state(max(n - 1, 0), np.uint64) % (2**63)]

    @torch.no_grad()
    def pick_seeds(
        self, categories: Sequence[str], seeds: Sequence[int], candidates: int | None = None, mix: Mix = None
    ) -> list[int]:
        """For each (category, seed), the latent seed rendered: of ``candidates`` (None: the
        export's default) latents, the one the critic scores highest at the training canvas."""
        n = self.candidates if candidates is None else candidates
        if not isinstance(n, (int, np.integer)) or not 1 <= n <= 64:
            raise ValueError(f"candidates must be an integer in 1..64, not {n!r}")
        if n == 1:
            return [int(s) for s in seeds]
        if self.critic is None:
            raise ValueError("this generator has no critic to choose among candidates: use candidates=1")
        size = self.config.image_size  # the canvas the critic was trained on
        out = []
        for category, seed in zip(categories, seeds):
            cands = self.candidate_seeds(seed, n)
            x = self._render([category] * n, cands, size, mix, raw=True)  # what the critic was trained on
            y = torch.full((n,), self._index(category), dtype=torch.long, device=self.device)
            out.append(cands[int(self.critic.logits(x, y).argmax())])
        return out

    # ------------------------------------------------------------------ rendering
    @torch.no_grad()
    def render_tensor(
        self, noise: dict[str, torch.Tensor], weights: torch.Tensor, size: int | None = None
    ) -> torch.Tensor:
        """Low-level: ``noise`` (from :meth:`latent`, batched by concatenation) + class weights
        ``(B, n_classes)`` -> float ``(B, 3, size, size)`` in [-1, 1] on the device."""
        weights = weights.to(self.device, torch.float32)
        use_bf16 = self.bf16 and self.device.type in ("cpu", "cuda")
        with torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=use_bf16):
            x = self.model(**noise, y=weights) if self.model_name == "tileable" else self.model(**noise)
        x = x.float()
        if size is not None and self.native_size is None:
            x = periodic_resize(x, size)
        return x

    def render(
        self,
        category: str,
        seed: int = 0,
        size: int = 256,
        mix: Mix = None,
        palette: Palette = None,
        candidates: int | None = None,
    ) -> Image.Image:
        """One pattern as a PIL RGB image of ``size x size``; seamless for the tileable model.

        Args:
            category: one of :attr:`classes` (else ``UnknownNameError`` listing them).
            seed: any integer; the same seed, category, mix and size give the same image.
            size: side in pixels (1..4096; the baseline: only its native size).
            mix: shares of other classes mixed in, e.g. ``{"floral": 0.3}`` (tileable only).
            palette: recolour to 2-4 colours, keeping structure and shading
                (:func:`aifashion.gan.palette.recolor`): ``"#RRGGBB,#RRGGBB"``, a named palette
                such as ``"terracotta"``, or a list of ``"#RRGGBB"`` / ``(r, g, b)``.
            candidates: best of this many latents by the critic (:meth:`pick_seeds`); None: the
                export's default.
        """
        return self.render_batch([category], [seed], size, mix, palette, candidates)[0]

    def render_batch(
        self,
        categories: Sequence[str],
        seeds: Sequence[int],
        size: int = 256,
        mix: Mix = None,
        palette: Palette = None,
        candidates: int | None = None,
    ) -> list[Image.Image]:
        """Several patterns at once (one forward pass); ``mix``, ``palette`` and ``candidates``
        apply to each."""
        colors = None
        if palette is not None:
            from aifashion.gan.palette import resolve_palette

            colors = resolve_palette(palette)  # a bad palette fails before rendering
        images = _to_pil(self._render(categories, seeds, size, mix, candidates))
        if colors is None:
            return images
        from aifashion.gan.palette import recolor

        return [recolor(im, colors) for im in images]

    def render_array(
        self,
        categories: Sequence[str] | str,
        seeds: Sequence[int],
        size: int = 256,
        mix: Mix = None,
        batch: int = 32,
        candidates: int | None = None,
    ) -> np.ndarray:
        """uint8 ``(N, size, size, 3)``; a single category name applies to every seed;
        ``candidates`` as in :meth:`render`."""
        if isinstance(categories, str):
            categories = [categories] * len(seeds)
        out = []
        for i in range(0, len(seeds), batch):
            x = self._render(categories[i : i + batch], seeds[i : i + batch], size, mix, candidates)
            out.append(((x.clamp(-1, 1) + 1) * 127.5 + 0.5).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, size, size, 3), np.uint8)

    def balance(self, x: torch.Tensor) -> torch.Tensor:
        """Raw output ``(B, 3, H, W)`` in [-1, 1] -> with the export's colour gains (clipped)."""
        if self.colour_gains is None:
            return x
        return ((x + 1) * self.colour_gains.to(x.device) - 1).clamp(-1, 1)

    def _render(self, categories, seeds, size, mix, candidates: int | None = None, raw: bool = False) -> torch.Tensor:
        """What users see: the chosen latents (:meth:`pick_seeds`), colour-balanced; ``raw``: the
        seeds' own latents, unbalanced (what the critic scores)."""
        if len(categories) != len(seeds):
            raise ValueError("categories and seeds must have the same length")
        if mix and self.model_name != "tileable":
            raise ValueError("the DCGAN baseline is unconditional: it cannot mix classes")
        weights = torch.stack([self.class_weights(c, mix) for c in categories])
        if not raw:
            seeds = self.pick_seeds(categories, seeds, candidates, mix)
        noises = [self.latent(s, size) for s in seeds]
        noise = {k: torch.cat([n[k] for n in noises]) for k in noises[0]}
        x = self.render_tensor(noise, weights, size)
        return x if raw else self.balance(x)

    def interpolate(
        self, category: str, seed_a: int, seed_b: int, steps: int = 8, size: int = 256, category_b: str | None = None
    ) -> list[Image.Image]:
        """``steps`` images from ``(category, seed_a)`` to ``(category_b or category, seed_b)``:
        the noise is slerped, the phases follow the shortest arc, the class weights are mixed
        linearly (so the midpoint of two classes is a 50/50 mix)."""
        if steps < 2:
            raise ValueError("steps must be >= 2")
        za, zb = self.latent(seed_a, size), self.latent(seed_b, size)
        wa = self.class_weights(category)
        wb = self.class_weights(category_b or category)
        if self.model_name != "tileable" and category_b not in (None, category):
            raise ValueError("the DCGAN baseline is unconditional: it cannot interpolate classes")
        imgs = []
        for i in range(steps):
            t = i / (steps - 1)
            z = {}
            for k in za:
                if k == "phase":
                    d = torch.remainder(zb[k] - za[k] + math.pi, 2 * math.pi) - math.pi
                    z[k] = za[k] + t * d
                else:
                    z[k] = _slerp(za[k], zb[k], t)
            imgs += _to_pil(self.balance(self.render_tensor(z, ((1 - t) * wa + t * wb)[None], size)))
        return imgs


def load_generator(
    path: str | os.PathLike | None = None, device: str = "cpu", bf16: bool | str = "auto"
) -> PatternGenerator:
    """Load an exported generator.

    Args:
        path: a ``.safetensors`` file with its ``.json`` beside it; ``None`` = the shipped
            ``aifashion/weights/generator.safetensors``.
        device: ``"cpu"``, ``"cuda"``, ``"auto"``.
        bf16: render under bf16 autocast (about 2x faster on CPUs with AVX512-BF16); ``"auto"``
            = where supported.

    Raises:
        FileNotFoundError: the weights or their JSON are missing (for the shipped weights, with
            a hint on how to make them). ValueError: not an aifashion generator export.
    """
    from safetensors.torch import load_file

    from aifashion.device import bf16_supported, resolve_device
    from aifashion.gan.export import EXPORT_FORMAT
    from aifashion.gan.models import build_critic, build_generator

    p = Path(path) if path is not None else DEFAULT_WEIGHTS
    if not p.is_file():
        hint = (
            (
                "; the shipped generator is missing: train one with `aifashion train-gan --out-dir DIR "
                "--export aifashion/weights/generator.safetensors` or pass a path"
            )
            if path is None
            else ""
        )
        raise FileNotFoundError(f"generator weights {p} do not exist{hint}")
    jp = p.with_suffix(".json")
    if not jp.is_file():
        raise FileNotFoundError(f"generator config {jp} does not exist (it must lie beside {p.name})")
    meta = json.loads(jp.read_text())
    if meta.get("format") != EXPORT_FORMAT:
        raise ValueError(f"{jp} is not an aifashion generator export (format {meta.get('format')!r})")
    dev = resolve_device(device)
    model = build_generator(meta["model"], meta["config"])
    state = {k: (v.float() if v.is_floating_point() else v) for k, v in load_file(str(p)).items()}
    critic_state = {k[len("critic.") :]: state.pop(k) for k in [k for k in state if k.startswith("critic.")]}
    model.load_state_dict(state, strict=True)
    model.to(dev)
    critic = None
    if critic_state:
        critic = build_critic(meta["model"], meta["config"])
        critic.load_state_dict(critic_state, strict=True)
        critic.to(dev)
    use_bf16 = bf16_supported(dev) if bf16 == "auto" else bool(bf16)
    return PatternGenerator(model, meta["model"], meta["classes"], meta, dev, bf16=use_bf16, critic=critic)
