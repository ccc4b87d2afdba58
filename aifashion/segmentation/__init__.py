"""Implementation of :mod:`aifashion.segment` (import from there): data, training, prediction."""
