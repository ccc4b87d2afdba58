"""aifashion.metrics.views: random and fixed views of real photos."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from aifashion import metrics as M


# ------------------------------------------------------------------------------ views
def test_random_views_whole_image_matches_a_plain_resize(periodic_image):
    img = torch.from_numpy(periodic_image(96)).permute(2, 0, 1)[None].contiguous()
    g = torch.Generator().manual_seed(0)
    views, idx = M.random_views(img, 3, 48, g, scale=(1.0, 1.0), augment=False)
    ref = F.interpolate(img.float(), size=(48, 48), mode="bilinear", align_corners=False) / 127.5 - 1
    assert views.shape == (3, 3, 48, 48) and idx.tolist() == [0, 0, 0]
    assert torch.allclose(views, ref.expand(3, -1, -1, -1), atol=1e-4)
    aug, _ = M.random_views(img, 16, 32, torch.Generator().manual_seed(1))
    assert aug.min() >= -1 and aug.max() <= 1
    again, _ = M.random_views(img, 16, 32, torch.Generator().manual_seed(1))
    assert torch.equal(aug, again)
