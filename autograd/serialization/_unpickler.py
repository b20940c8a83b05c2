"""A pickle reader that runs no code: a small subset of the pickle machine in which a global resolves only to a
function of an explicit allow-list (given by the caller, e.g. PyTorch's tensor rebuild functions, implemented
here without PyTorch), and calls, object construction and attribute setting go only through those.

Built on the pure-Python ``pickle._Unpickler``, which is iterative (deep nesting cannot exhaust the stack) and
whose opcode table is overridden here for every opcode that would call, import or set attributes.
"""

from __future__ import annotations

import pickle
import reprlib
from collections import Counter, OrderedDict

from ._zipsafe import BadFile


class Admitted:
    """A global that the allow-list admits: calling it through the pickle calls ``fn``."""

    __slots__ = ("name", "fn")

    def __init__(self, name: str, fn) -> None:
        self.name, self.fn = name, fn

    def __repr__(self) -> str:
        return f"<admitted {self.name}>"


class Constant:
    """An admitted global that is a value, not a function (a dtype, a storage type)."""

    __slots__ = ("value",)

    def __init__(self, value) -> None:
        self.value = value


_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother = 3, 60, 60


def short(x) -> str:
    """A bounded repr: a pickle can share one object many times, so a full repr may expand exponentially."""
    return _REPR.repr(x)


_ATOMS = (str, int, float, bool, type(None), bytes, complex)


def check_key(k):
    """Admit as a dict key or set element only atoms and flat tuples of atoms: hashing or comparing a pickled
    structure of shared tuples costs time exponential in its size."""
    if type(k) in _ATOMS or (type(k) is tuple and len(k) <= 64 and all(type(x) in _ATOMS for x in k)):
        return k
    raise ValueError(f"a dict key or set element {short(k)} is not a str, number, bytes, None or flat tuple of those")


def _pairs(args):
    if not args:
        return []
    if len(args) > 1:
        raise ValueError("OrderedDict/Counter take one argument")
    items = args[0].items() if isinstance(args[0], dict) else args[0]
    if type(items) not in (list, tuple) and not isinstance(items, type({}.items())):
        raise ValueError("OrderedDict/Counter take a dict or a list of pairs")
    out = []
    for pair in items:
        if type(pair) is not tuple or len(pair) != 2:
            raise ValueError("OrderedDict/Counter take (key, value) pairs")
        out.append((check_key(pair[0]), pair[1]))
    return out


def _ordered_dict(*args):
    return OrderedDict(_pairs(args))


def _counter(*args):
    return Counter(dict(_pairs(args)))


def _set(items=()):
    return {check_key(k) for k in _iterable(items)}


def _frozenset(items=()):
    return frozenset(_set(items))


def _iterable(items):
    if type(items) not in (list, tuple, set, frozenset):
        raise ValueError(f"set/frozenset take a list or tuple, not {type(items).__name__}")
    return items


def _encode(text, encoding="latin1"):
    if type(text) is not str or encoding not in ("latin1", "latin-1"):
        raise ValueError("_codecs.encode is admitted only as protocol 2 writes bytes (a str in latin1)")
    return text.encode("latin1")


# the plain-data globals every allow-list takes (protocol 2 spells builtins as __builtin__)
BASE = {
    "collections.OrderedDict": _ordered_dict,
    "collections.Counter": _counter,
    "_codecs.encode": _encode,
}
for _mod in ("builtins", "__builtin__"):
    BASE.update({f"{_mod}.set": _set, f"{_mod}.frozenset": _frozenset, f"{_mod}.complex": complex})

_DICTS = (dict, OrderedDict, Counter)


class RestrictedUnpickler(pickle._Unpickler):
    """``RestrictedUnpickler(fh, admitted, persistent_load, name, hint).load()``: ``admitted`` maps
    ``"module.name"`` to a function (called by REDUCE/NEWOBJ) or to a ``Constant`` (its value); anything
    else raises ``BadFile`` naming the global."""

    dispatch = dict(pickle._Unpickler.dispatch)

    def __init__(self, fh, admitted: dict, persistent_load, name: str, hint: str = "") -> None:
        super().__init__(fh)
        self.admitted = admitted
        self._persistent = persistent_load
        self.name, self.hint = name, hint

    def refuse(self, what: str) -> BadFile:
        return BadFile(f"cannot load {self.name}: {what}; loading never runs code from a file{self.hint}")

    def find_class(self, module, name):
        key = f"{module}.{name}"
        if key not in self.admitted:
            raise self.refuse(f"its pickle names the global {key}, which is not a tensor, storage or plain "
                              "container")
        value = self.admitted[key]
        return value.value if isinstance(value, Constant) else Admitted(key, value)

    def persistent_load(self, pid):
        return self._persistent(pid)

    def _call(self, func, args, kwargs=None):
        if not isinstance(func, Admitted):
            raise self.refuse(f"its pickle calls {type(func).__name__} {short(func)}, which is not an admitted "
                              "function")
        if type(args) is not tuple or (kwargs is not None and type(kwargs) is not dict):
            raise self.refuse(f"its pickle calls {func.name} with malformed arguments")
        return func.fn(*args, **(kwargs or {}))

    def load_reduce(self):
        args = self.stack.pop()
        self.stack[-1] = self._call(self.stack[-1], args)

    def load_newobj(self):
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._call(cls, args))

    def load_newobj_ex(self):
        kwargs = self.stack.pop()
        args = self.stack.pop()
        cls = self.stack.pop()
        self.append(self._call(cls, args, kwargs))

    def load_build(self):
        state = self.stack.pop()
        inst = self.stack[-1]
        # torch's state_dict() is an OrderedDict carrying a `_metadata` attribute: admit plain attributes on
        # plain dicts only
        if type(inst) in (OrderedDict, Counter) and type(state) in _DICTS and all(type(k) is str for k in state):
            inst.__dict__.update(state)
            return
        raise self.refuse(f"its pickle sets the state of a {type(inst).__name__}, which is not admitted")

    def _refused_opcode(self):
        raise self.refuse("its pickle uses an opcode that creates objects by class (INST/OBJ/EXT), which is not "
                          "admitted")

    def load_append(self):
        value = self.stack.pop()
        self._container(list).append(value)

    def load_appends(self):
        items = self.pop_mark()
        self._container(list).extend(items)

    def load_setitem(self):
        value = self.stack.pop()
        key = self.stack.pop()
        self._container(*_DICTS)[check_key(key)] = value

    def load_setitems(self):
        items = self.pop_mark()
        d = self._container(*_DICTS)
        for i in range(0, len(items) - 1, 2):
            d[check_key(items[i])] = items[i + 1]

    def load_additems(self):
        items = self.pop_mark()
        self._container(set).update(check_key(k) for k in items)

    def _container(self, *types):
        target = self.stack[-1]
        if type(target) not in types:
            raise self.refuse(f"its pickle adds items to a {type(target).__name__}")
        return target

    for _op, _fn in ((pickle.REDUCE, load_reduce), (pickle.NEWOBJ, load_newobj), (pickle.NEWOBJ_EX, load_newobj_ex),
                     (pickle.BUILD, load_build), (pickle.INST, _refused_opcode), (pickle.OBJ, _refused_opcode),
                     (pickle.EXT1, _refused_opcode), (pickle.EXT2, _refused_opcode), (pickle.EXT4, _refused_opcode),
                     (pickle.APPEND, load_append), (pickle.APPENDS, load_appends), (pickle.SETITEM, load_setitem),
                     (pickle.SETITEMS, load_setitems), (pickle.ADDITEMS, load_additems)):
        dispatch[_op[0]] = _fn
    del _op, _fn


def restricted_load(fh, admitted: dict, persistent_load, name: str, hint: str = ""):
    """Unpickle ``fh`` under the allow-list; every failure is a ``BadFile`` (a ValueError) naming the file."""
    try:
        return RestrictedUnpickler(fh, admitted, persistent_load, name, hint).load()
    except BadFile:
        raise
    except RecursionError:
        raise BadFile(f"cannot load {name}: its pickle nests too deeply to rebuild") from None
    except Exception as e:  # a malformed pickle: truncated, a bad opcode, a wrong stack, bad arguments
        raise BadFile(f"cannot load {name}: its pickle is malformed ({type(e).__name__}: {short(e.args)})") from None
