"""The recurrence datapaths: one Amaranth component per file, each registered for its architecture.

Every module of this package is a datapath. Its component class is decorated with
:func:`register` for one :class:`~hadam_hw.archs.Arch` of the kernel's registry and carries,
on the same object, everything the rest of the flow needs of it:

- ``for_cell(model, hw, *, registered)`` — the instance the cell builds;
- ``latency`` — cycles from input to output, equal to the registry entry's formula;
- ``model(...)`` — the bit-exact numpy reference;
- ``resources(counter, part, *, registered)`` — its resource formula, which the analytic
  model (:mod:`estimate.resources`) calls with its counting primitives.

The ports follow the architecture's state kind (:attr:`hadam_hw.archs.ArchSpec.state`):
``registers`` — ``h`` (the whole state vector), ``row`` (the row group) in, ``r`` (``lanes``
rows) out; ``memory`` — ``x`` (``lanes`` state elements streaming in), ``start`` in, ``y``
out; the vector family — ``x`` in, ``y`` out, the whole state.

Adding an architecture is its :class:`~hadam_hw.archs.ArchSpec` entry and one file here:
the package is searched for its modules, nothing else names them.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache

from hadam_hw.archs import ARCH_SPECS, Arch, arch_spec
from hadam_hw.errors import ConfigError

__all__ = ["register", "datapath_class", "datapath_classes"]

_REGISTRY: dict[Arch, type] = {}
_REQUIRED = ("for_cell", "latency", "model", "resources")


def register(arch: Arch | str):
    """Class decorator: ``cls`` is the datapath of ``arch`` (one per architecture)."""
    a = arch_spec(arch).arch

    def deco(cls: type) -> type:
        missing = [name for name in _REQUIRED if not hasattr(cls, name)]
        if missing:
            raise TypeError(f"datapath {cls.__name__} for {a.value} lacks {', '.join(missing)}")
        other = _REGISTRY.get(a)
        if other is not None and other.__qualname__ != cls.__qualname__:
            raise TypeError(f"architecture {a.value} already has the datapath {other.__name__}, not also {cls.__name__}")
        cls.arch = a
        _REGISTRY[a] = cls
        return cls

    return deco


@cache
def _discover() -> None:
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")


def datapath_classes() -> dict[Arch, type]:
    """Every registered datapath, by architecture, in the registry's order."""
    _discover()
    return {a: _REGISTRY[a] for a in ARCH_SPECS if a in _REGISTRY}


def datapath_class(arch: Arch | str) -> type:
    """The component class of ``arch``."""
    a = arch_spec(arch).arch
    _discover()
    try:
        return _REGISTRY[a]
    except KeyError:
        raise ConfigError(f"no datapath component in rtl_gen/datapaths/ is registered for the architecture "
                          f"{a.value!r}", field="arch") from None
