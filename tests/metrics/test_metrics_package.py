"""aifashion.metrics as a package: one module per concern, one explicit public API, no training in inference."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

from aifashion import metrics as M

PKG = Path(M.__file__).parent
MODULES = sorted(m.name for m in pkgutil.iter_modules([str(PKG)]))


def test_the_package_api_is_the_union_of_its_modules_apis():
    assert len(set(M.__all__)) == len(M.__all__)
    union = set()
    for name in MODULES:
        mod = importlib.import_module(f"aifashion.metrics.{name}")
        for attr in mod.__all__:
            assert getattr(M, attr) is getattr(mod, attr), f"{name}.{attr}"
        union |= set(mod.__all__)
    assert set(M.__all__) == union


def test_inference_modules_do_not_import_the_training_module():
    for name in MODULES:
        if name == "classifier_train":
            continue
        tree = ast.parse((PKG / f"{name}.py").read_text())
        imported = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)}
        imported |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        assert "aifashion.metrics.classifier_train" not in imported, name
        assert not any(m and m.startswith("aifashion.gan") for m in imported), name  # metrics never need a GAN


def test_every_module_stays_small():
    sizes = {p.name: len(p.read_text().splitlines()) for p in PKG.glob("*.py")}
    assert max(sizes.values()) <= 400, sizes
