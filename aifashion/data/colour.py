"""Colour standardisation of a photo set: one white balance for the whole set.

The FingerCamera photos were taken with one camera whose colour cast is blue: the set's mean
colour is (0.29, 0.37, 0.42) in RGB and 94% of the photos are bluer than they are red (measured
2026-12-06 at 256 px). A generator trained on them draws blue-grey fabrics. Balancing each photo
on its own (grey world per image) would also take the real colour out of a red floral; the cast,
though, is the camera's, common to every photo. So the set is balanced as a whole: one gain per
channel makes the mean colour over *all* photos grey (the grey-world assumption holds far better
for 400 different fabrics than for one), and every photo gets the same gains -- a red fabric
stays redder than a blue one.
"""

from __future__ import annotations

import numpy as np

__all__ = ["grey_world_gains", "apply_gains", "folder_gains"]


def grey_world_gains(images: np.ndarray, max_gain: float = 2.0) -> np.ndarray:
    """Per-channel gains that make the mean colour of a whole set grey.

    Args:
        images: uint8 (N, H, W, 3) RGB, the set (or a float array in any range).
        max_gain: gains are clipped to [1 / max_gain, max_gain] (a set that is nearly one colour
            is not pushed to grey).

    Returns:
        float32 (3,): ``gains[c] = mean over all pixels of the grey level / mean of channel c``,
        so ``images * gains`` has equal channel means (before clipping to 0..255).
    """
    a = np.asarray(images)
    if a.ndim != 4 or a.shape[-1] != 3 or a.size == 0:
        raise ValueError(f"images must be (N, H, W, 3), not {a.shape}")
    means = a.reshape(-1, 3).mean(0, dtype=np.float64)
    grey = means.mean()
    gains = np.where(means > 0, grey / np.maximum(means, 1e-12), 1.0)
    return np.clip(gains, 1 / max_gain, max_gain).astype(np.float32)


def apply_gains(images: np.ndarray, gains: np.ndarray) -> np.ndarray:
    """uint8 ``images`` (..., 3) times per-channel ``gains``, rounded and clipped to 0..255 (uint8)."""
    g = np.asarray(gains, np.float32).reshape(3)
    return np.rint(np.asarray(images, np.float32) * g).clip(0, 255).astype(np.uint8)


def folder_gains(folder, size: int = 256) -> np.ndarray:
    """:func:`grey_world_gains` of a whole pattern folder (``folder/<class>/<image>``), decoded as
    the trainer holds it (``size`` x ``size``): float32 (3,)."""
    from aifashion.data.folders import load_pattern_images, scan_pattern_folder

    images, _ = load_pattern_images(scan_pattern_folder(folder), size)
    if len(images) == 0:
        raise ValueError(f"no readable images in {folder}")
    return grey_world_gains(images)
