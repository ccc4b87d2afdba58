"""Pattern data: folders of class sub-folders, the FingerCamera and Google CSV sources, a safe
concurrent downloader, the upstream crop list (crop, scale, rotate), and standardised prepared sets.

The device-resident training data lives in :mod:`aifashion.data.resident` (imports torch; not
re-exported here so that ``aifashion data`` stays light).
"""

from aifashion.data.folders import (
    PatternFolder,
    load_pattern_images,
    resize_center_crop,
    scan_pattern_folder,
)

__all__ = ["PatternFolder", "load_pattern_images", "resize_center_crop", "scan_pattern_folder"]
