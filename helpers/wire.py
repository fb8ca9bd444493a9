"""The kernel <-> grader channel: JSON lines that carry numpy arrays as data, never as pickles.

The class grader runs helpers.grader.runner in a sandbox and talks to it over two pipes:
- grader -> kernel (the runner's stdin): cells to execute, and replies to stand-in calls;
- kernel -> grader (a control fd): cell begin/end, the values hidden checks hand over
  (``record``) and calls of reference stand-ins (``call``, see helpers.isolate).

A message is one JSON line; the bytes of its arrays follow the line raw, their sizes listed in the
line's ``__blobs__`` (:func:`pack`), so that large arrays cost a copy, not a text encoding.

Everything here is plain data: numbers, strings, lists, dicts with string keys, and arrays as
``{"__nd__": dtype, "shape": [...], "b64": ...}`` of numeric dtypes only. :func:`decode` checks
every array's declared size against its bytes before building it, so a forged message can cost
the grader at most its own length in memory. The grader caps the length of a line
(helpers.grader.sandbox) before it decodes anything.
"""
from __future__ import annotations

import base64
import json

import numpy as np

ALLOWED_DTYPES = ("bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                  "float16", "float32", "float64")
MAX_DEPTH = 20

# Set by helpers.grader.runner inside the sandbox: the open channel to the grader (None elsewhere).
channel = None


class WireError(ValueError):
    """A message that is not well-formed data (the grader treats the notebook's results as invalid)."""


class Callback:
    """A callable argument of a stand-in call, kept in the kernel; the grader calls it back by number."""

    def __init__(self, number: int):
        self.number = number


def encode(value, callbacks: list | None = None, depth: int = 0, blobs: list | None = None):
    """A JSON-able form of `value`. Callables become callback numbers when `callbacks` is given;
    array bytes go to `blobs` (sent raw after the JSON line, see :func:`pack`) when it is given."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if value is None or type(value) in (bool, str):
        return value
    if type(value) is int:
        return value
    if type(value) is float:
        return {"__float__": repr(value)}        # keeps inf and nan, which JSON does not
    if isinstance(value, np.generic) and value.dtype.name in ALLOWED_DTYPES:
        return encode(np.asarray(value), callbacks, depth, blobs)
    if type(value) is np.ndarray and value.dtype.name in ALLOWED_DTYPES:
        data = value if value.flags.c_contiguous else value.copy(order="C")
        if blobs is not None:
            blobs.append(data.tobytes())
            return {"__nd__": data.dtype.name, "shape": list(data.shape), "blob": len(blobs) - 1}
        return {"__nd__": data.dtype.name, "shape": list(data.shape),
                "b64": base64.b64encode(data.tobytes()).decode("ascii")}
    if type(value) in (list, tuple):
        items = [encode(v, callbacks, depth + 1, blobs) for v in value]
        return {"__tuple__": items} if type(value) is tuple else items
    if type(value) is dict and all(type(k) is str for k in value):
        return {"__dict__": {k: encode(v, callbacks, depth + 1, blobs) for k, v in value.items()}}
    if callbacks is not None and callable(value):
        callbacks.append(value)
        return {"__callback__": len(callbacks) - 1}
    return {"__type__": type(value).__name__[:80]}


def decode(obj, depth: int = 0, make_callback=None, blobs: list | None = None):
    """The value that :func:`encode` made; raises :class:`WireError` for anything malformed."""
    if depth > MAX_DEPTH:
        raise WireError("value nested too deeply")
    if obj is None or type(obj) in (bool, int, str):
        return obj
    if type(obj) is list:
        return [decode(v, depth + 1, make_callback, blobs) for v in obj]
    if type(obj) is not dict:
        raise WireError(f"unexpected {type(obj).__name__} in a message")
    if "__float__" in obj:
        try:
            return float(obj["__float__"])
        except (TypeError, ValueError) as exc:
            raise WireError("bad float") from exc
    if "__nd__" in obj:
        return _array(obj, blobs)
    if "__tuple__" in obj:
        return tuple(decode(v, depth + 1, make_callback, blobs) for v in _list(obj["__tuple__"]))
    if "__dict__" in obj:
        items = obj["__dict__"]
        if type(items) is not dict:
            raise WireError("bad dict")
        return {str(k): decode(v, depth + 1, make_callback, blobs) for k, v in items.items()}
    if "__callback__" in obj:
        if make_callback is None or type(obj["__callback__"]) is not int:
            raise WireError("unexpected callback")
        return make_callback(obj["__callback__"])
    if "__type__" in obj:
        return TypeName(str(obj["__type__"])[:80])
    raise WireError("unknown value")


class TypeName(str):
    """Stands for a value that was not data (an object of this type name), e.g. a list of lists."""


def _list(v):
    if type(v) is not list:
        raise WireError("bad list")
    return v


def _array(obj, blobs=None) -> np.ndarray:
    dtype, shape = obj.get("__nd__"), obj.get("shape")
    if dtype not in ALLOWED_DTYPES or type(shape) is not list:
        raise WireError("bad array header")
    if len(shape) > 32 or not all(type(d) is int and d >= 0 for d in shape):
        raise WireError("bad array shape")
    size = 1
    for d in shape:
        size *= d
    nbytes = size * np.dtype(dtype).itemsize
    if "blob" in obj:
        index = obj["blob"]
        if type(index) is not int or blobs is None or not 0 <= index < len(blobs):
            raise WireError("bad array data")
        raw = blobs[index]
    else:
        b64 = obj.get("b64")
        if type(b64) is not str or nbytes != len(b64) * 3 // 4 - b64.endswith("=") - b64.endswith("=="):
            raise WireError("array size does not match its data")
        try:
            raw = base64.b64decode(b64, validate=True)
        except ValueError as exc:
            raise WireError("bad array data") from exc
    if len(raw) != nbytes:
        raise WireError("array size does not match its data")
    return np.frombuffer(raw, dtype=dtype).reshape(tuple(shape)).copy()


def dumps(message: dict) -> bytes:
    return (json.dumps(message, separators=(",", ":")) + "\n").encode()


def pack(header: dict, callbacks: list | None = None, **values) -> bytes:
    """One message: `header` plus encoded `values` as a JSON line, then the arrays' raw bytes."""
    blobs: list[bytes] = []
    message = dict(header)
    for key, value in values.items():
        message[key] = encode(value, callbacks, blobs=blobs)
    if blobs:
        message["__blobs__"] = [len(b) for b in blobs]
    return dumps(message) + b"".join(blobs)


def blob_sizes(message: dict) -> list[int]:
    """The sizes of the raw blobs that follow a message's JSON line ([] for none)."""
    sizes = message.get("__blobs__", [])
    if type(sizes) is not list or not all(type(n) is int and n >= 0 for n in sizes) or len(sizes) > 100_000:
        raise WireError("bad blob list")
    return sizes


def value(message: dict, key: str, make_callback=None):
    """Decode message[key] with the message's blobs."""
    return decode(message.get(key), make_callback=make_callback, blobs=message.get("__blob_data__") or [])


def loads(line: bytes) -> dict:
    try:
        msg = json.loads(line)
    except (ValueError, RecursionError) as exc:
        raise WireError("not JSON") from exc
    if type(msg) is not dict:
        raise WireError("not a message")
    return msg
