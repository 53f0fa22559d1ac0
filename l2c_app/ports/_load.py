"""Implementations named by dotted path ("package.module:NAME"), imported on first use: a port
selects its adapter without importing `integrations` (as the outbox names its handler modules)."""

from __future__ import annotations

import functools
import importlib


@functools.cache
def implementation(dotted: str) -> object:
    module, _, name = dotted.partition(":")
    found: object = getattr(importlib.import_module(module), name)
    return found
