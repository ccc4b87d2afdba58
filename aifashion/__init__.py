"""aifashion: train a GAN on real fabric photos, generate seamless textile patterns by
category, and try them on garments in a browser dashboard.

Public entry points live in the submodules (``aifashion.data``, ``aifashion.gan.models``,
``aifashion.gan.train``, ``aifashion.gan.generate``, ``aifashion.metrics``, ``aifashion.segment``,
``aifashion.compose``, ``aifashion.garments``, ``aifashion.dashboard``); importing the
package itself stays cheap (no torch).
"""

__version__ = "0.1.0"
