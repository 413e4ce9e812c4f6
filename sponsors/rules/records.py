"""``fast_init``: a quicker ``__init__`` for the frozen, slotted dataclasses the rules build by the ten thousand.

A frozen dataclass sets each field in ``__init__`` through ``object.__setattr__`` (its own ``__setattr__``
refuses), about 0.2 µs a field.  The nightly recompute builds some 170,000 of these records at 5,000 accounts
(a contact, its activity, its factors and its breakdown, the account's facts…): about 0.1 s of its Python.
``fast_init`` replaces the generated ``__init__`` with one that sets each slot through the slot's own
descriptor, held in the function's namespace: the same fields, order, defaults and default factories, and the
class is still frozen (assigning a field afterwards raises ``FrozenInstanceError``) and compares, hashes and
prints as before.  About 2.5 times quicker to build.

Only for what it can do exactly: a frozen dataclass with ``slots=True`` whose fields are all ``init`` fields,
without ``kw_only``, ``InitVar`` or ``__post_init__``; anything else is refused when the class is defined.
"""

from __future__ import annotations

import dataclasses
import inspect
from dataclasses import MISSING


def fast_init(cls):
    """Give the frozen, slotted dataclass ``cls`` a quicker ``__init__`` (see the module)."""
    params = getattr(cls, "__dataclass_params__", None)
    if params is None or not params.frozen or "__slots__" not in cls.__dict__:
        raise TypeError(f"fast_init needs a dataclass with frozen=True and slots=True, not {cls.__name__}")
    generated = list(inspect.signature(cls.__init__).parameters.values())[1:]
    plain = [p.name for p in generated if p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD]
    if hasattr(cls, "__post_init__") or plain != [f.name for f in dataclasses.fields(cls)]:
        raise TypeError(f"fast_init does not handle __post_init__, InitVar, init=False or kw_only fields "
                        f"({cls.__name__})")
    # The names the function reads are prefixed so that no field's name (a parameter) can shadow them.
    namespace, parameters, lines = {"__fi_MISSING": MISSING}, [], []
    for f in dataclasses.fields(cls):
        namespace[f"__fi_set_{f.name}"] = cls.__dict__[f.name].__set__       # the slot's descriptor
        value = f.name
        if f.default is not MISSING:
            namespace[f"__fi_default_{f.name}"] = f.default
            parameters.append(f"{f.name}=__fi_default_{f.name}")
        elif f.default_factory is not MISSING:
            namespace[f"__fi_factory_{f.name}"] = f.default_factory
            parameters.append(f"{f.name}=__fi_MISSING")
            value = f"__fi_factory_{f.name}() if {f.name} is __fi_MISSING else {f.name}"
        else:
            parameters.append(f.name)
        lines.append(f"    __fi_set_{f.name}(self, {value})\n")
    source = f"def __init__(self, {', '.join(parameters)}):\n{''.join(lines) or '    pass\n'}"
    exec(source, namespace)     # as dataclasses itself writes __init__
    init = namespace["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    init.__module__ = cls.__module__
    cls.__init__ = init
    return cls
