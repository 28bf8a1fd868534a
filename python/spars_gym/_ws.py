"""A minimal RFC 6455 WebSocket client over a plain socket (no third-party dependency).

Supports what the env server needs: the opening handshake, masked client frames (binary and
text), unmasked server frames of any length, fragmented messages, ping/pong and close.
"""
from __future__ import annotations

import base64
import hashlib
import os
import socket
import struct
from typing import Optional, Tuple, Union
from urllib.parse import urlparse

import numpy as np

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


class WebSocketError(ConnectionError):
    """The handshake failed, the peer closed, or a frame broke the protocol."""


def _mask(payload: bytes, key: bytes) -> bytes:
    """XORs payload with the 4-byte key repeated (vectorised with numpy)."""
    n = len(payload)
    if n == 0:
        return b""
    reps = np.frombuffer((key * ((n + 3) // 4))[:n], dtype=np.uint8)
    return (np.frombuffer(payload, dtype=np.uint8) ^ reps).tobytes()


class WebSocket:
    """A blocking WebSocket connection to ``ws://host:port/path``."""

    def __init__(self, url: str, timeout: Optional[float] = 60.0) -> None:
        u = urlparse(url)
        if u.scheme != "ws" or not u.hostname:
            raise WebSocketError(f"url: is {url!r} (expected ws://host:port[/path])")
        self._sock = socket.create_connection((u.hostname, u.port or 80), timeout=timeout)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._buf = bytearray()
        self.closed = False
        key = base64.b64encode(os.urandom(16))
        host = f"{u.hostname}:{u.port or 80}"
        request = (
            f"GET {u.path or '/'} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
            f"Connection: Upgrade\r\nSec-WebSocket-Key: {key.decode()}\r\n"
            "Sec-WebSocket-Version: 13\r\n\r\n"
        )
        self._sock.sendall(request.encode())
        head = self._read_until(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        if not lines[0].startswith("HTTP/1.1 101"):
            raise WebSocketError(f"handshake: server answered {lines[0]!r} (expected 101)")
        accept = base64.b64encode(hashlib.sha1(key + _GUID).digest()).decode()
        headers = {k.strip().lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}
        if headers.get("sec-websocket-accept") != accept:
            raise WebSocketError("handshake: bad Sec-WebSocket-Accept")

    def _read_until(self, marker: bytes) -> bytes:
        while marker not in self._buf:
            self._fill()
        i = self._buf.index(marker) + len(marker)
        out = bytes(self._buf[:i])
        del self._buf[:i]
        return out

    def _fill(self) -> None:
        chunk = self._sock.recv(1 << 16)
        if not chunk:
            self.closed = True
            raise WebSocketError("connection closed by the server")
        self._buf += chunk

    def _read(self, n: int) -> bytearray:
        if len(self._buf) >= n:
            out = self._buf[:n]
            del self._buf[:n]
            return out
        # Large reads go straight into one buffer (no repeated growth and shifting).
        out = bytearray(n)
        view = memoryview(out)
        have = len(self._buf)
        view[:have] = self._buf
        self._buf.clear()
        while have < n:
            got = self._sock.recv_into(view[have:], n - have)
            if not got:
                self.closed = True
                raise WebSocketError("connection closed by the server")
            have += got
        return out

    def send_frame(self, opcode: int, payload: bytes, fin: bool = True) -> None:
        """Sends one masked frame (opcode 1 text, 2 binary, 8 close, 9 ping, 10 pong)."""
        n = len(payload)
        head = bytearray([(0x80 if fin else 0) | opcode])
        if n < 126:
            head.append(0x80 | n)
        elif n < 1 << 16:
            head.append(0x80 | 126)
            head += struct.pack(">H", n)
        else:
            head.append(0x80 | 127)
            head += struct.pack(">Q", n)
        key = os.urandom(4)
        self._sock.sendall(bytes(head) + key + _mask(payload, key))

    def send(self, data: Union[bytes, str]) -> None:
        """Sends one message: bytes as binary, str as text."""
        if isinstance(data, str):
            self.send_frame(1, data.encode())
        else:
            self.send_frame(2, bytes(data))

    def _frame(self) -> Tuple[bool, int, bytearray]:
        b0, b1 = self._read(2)
        n = b1 & 0x7F
        if n == 126:
            (n,) = struct.unpack(">H", self._read(2))
        elif n == 127:
            (n,) = struct.unpack(">Q", self._read(8))
        key = self._read(4) if b1 & 0x80 else None
        payload = self._read(n)
        if key is not None:
            payload = bytearray(_mask(bytes(payload), key))
        return bool(b0 & 0x80), b0 & 0x0F, payload

    def recv(self) -> Union[bytearray, str]:
        """Receives one whole message (answers pings; raises WebSocketError on close)."""
        parts = []
        kind = None
        while True:
            fin, opcode, payload = self._frame()
            if opcode == 9:
                self.send_frame(10, bytes(payload))
                continue
            if opcode == 10:
                continue
            if opcode == 8:
                self.closed = True
                raise WebSocketError("connection closed by the server")
            if opcode in (1, 2):
                kind = opcode
            elif opcode != 0 or kind is None:
                raise WebSocketError(f"frame: unexpected opcode {opcode}")
            parts.append(payload)
            if fin:
                data = parts[0] if len(parts) == 1 else bytearray(b"".join(parts))
                return data.decode() if kind == 1 else data

    def close(self) -> None:
        """Sends a close frame and closes the socket."""
        if not self.closed:
            try:
                self.send_frame(8, struct.pack(">H", 1000))
            except OSError:
                pass
        self.closed = True
        self._sock.close()
