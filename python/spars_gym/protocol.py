"""Frames of the env server protocol (serve/PROTOCOL.md): a 4-byte little-endian JSON header
length, the JSON header, zero padding to 4 bytes, then raw little-endian arrays described by the
header's ``arrays`` list (name, dtype, shape, offset)."""
from __future__ import annotations

import json
import struct
from typing import Any, Dict, Mapping, Optional, Tuple

import numpy as np

DTYPES = {"float32": np.dtype("<f4"), "int32": np.dtype("<i4"), "uint8": np.dtype("u1")}
_NAMES = {np.dtype("<f4"): "float32", np.dtype("<i4"): "int32", np.dtype("u1"): "uint8"}


def _align4(n: int) -> int:
    return (n + 3) & ~3


def encode_frame(header: Mapping[str, Any], arrays: Optional[Mapping[str, np.ndarray]] = None) -> bytes:
    """One frame: the header (plus an ``arrays`` list) and the arrays' raw bytes."""
    specs, blobs, offset = [], [], 0
    for name, a in (arrays or {}).items():
        a = np.ascontiguousarray(a)
        if a.dtype not in _NAMES:
            raise TypeError(f"array {name!r}: dtype {a.dtype} (expected float32, int32 or uint8)")
        specs.append({"name": name, "dtype": _NAMES[a.dtype], "shape": list(a.shape), "offset": offset})
        raw = a.tobytes()
        blobs.append(raw + b"\0" * (_align4(len(raw)) - len(raw)))
        offset += len(blobs[-1])
    h = dict(header)
    if specs:
        h["arrays"] = specs
    text = json.dumps(h, separators=(",", ":")).encode()
    pad = _align4(4 + len(text)) - 4 - len(text)
    return struct.pack("<I", len(text)) + text + b"\0" * pad + b"".join(blobs)


def decode_frame(data: bytes) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
    """The header and the arrays (read-only views into ``data``) of a frame."""
    (n,) = struct.unpack_from("<I", data, 0)
    header = json.loads(data[4 : 4 + n])
    start = _align4(4 + n)
    arrays = {}
    for s in header.pop("arrays", []):
        dt = DTYPES[s["dtype"]]
        count = int(np.prod(s["shape"], dtype=np.int64))
        arrays[s["name"]] = np.frombuffer(data, dtype=dt, count=count, offset=start + s["offset"]).reshape(
            s["shape"]
        )
    return header, arrays
