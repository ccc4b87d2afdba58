"""Default garments: drawn fashion flats (:mod:`.drawn`) and sample garment photos (:mod:`.photos`)."""

from aifashion.garments.drawn import GARMENTS, Fold, Garment, GarmentSpec, draw_garment
from aifashion.garments.photos import (
    MAX_PHOTO_BYTES,
    PHOTO_SUFFIXES,
    SAMPLE_PHOTOS,
    PhotoSpec,
    download_sample_photos,
    sample_photos,
)

__all__ = [
    "GARMENTS",
    "Fold",
    "Garment",
    "GarmentSpec",
    "draw_garment",
    "MAX_PHOTO_BYTES",
    "PHOTO_SUFFIXES",
    "SAMPLE_PHOTOS",
    "PhotoSpec",
    "download_sample_photos",
    "sample_photos",
]
