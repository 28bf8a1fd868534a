"""Garbage never crashes the server: each bad message gets a typed error reply, then valid sessions work."""
import os
import socket
import struct
from urllib.parse import urlparse

import numpy as np

from conftest import SMALL
from spars_gym import SparsGymEnv
from spars_gym._ws import WebSocket, WebSocketError
from spars_gym.protocol import decode_frame, encode_frame


def _reply(ws, data):
    ws.send(data)
    header, _ = decode_frame(ws.recv())
    return header


def test_garbage_frames_get_error_replies(url):
    ws = WebSocket(url)
    try:
        bad = [
            b"",
            b"\x01",
            os.urandom(64),
            struct.pack("<I", 2**31) + b"{}",
            struct.pack("<I", 5) + b"nope!",
            struct.pack("<I", 2) + b"[]",
            encode_frame({"op": "dance"}),
            encode_frame({"op": "step", "action": 0}),  # before make
            encode_frame({"op": "make", "env": "SparsGym/Spars-Oracle-v0", "options": {"window": "big"}}),
            encode_frame({"op": "reset", "seed": -1}),
            encode_frame({"op": "make", "env": "SparsGym/Spars-Oracle-v0", "options": {"tau": 7}}),
            encode_frame({"op": "make", "arrays": [{"name": "x", "dtype": "float32", "shape": [10**6], "offset": 0}]}),
            "not json",
            '{"op": "make", "env": 42}',
        ]
        types = []
        for data in bad:
            h = _reply(ws, data)
            assert h["ok"] is False, data
            assert h["error"]["message"]
            types.append(h["error"]["type"])
        assert "ProtocolError" in types and "EnvStateError" in types
        assert "UnknownEnvError" in types and "InvalidArgumentError" in types
        # the same connection still serves a valid session
        h = _reply(ws, encode_frame({"op": "make", "env": "SparsGym/Spars-Oracle-v0", "options": SMALL}))
        assert h["ok"] is True
        assert _reply(ws, encode_frame({"op": "reset", "seed": -1}))["error"]["type"] == "InvalidArgumentError"
        assert _reply(ws, encode_frame({"op": "reset", "seed": 0}))["ok"] is True
        h = _reply(ws, encode_frame({"op": "step", "action": [1]}))
        assert h["error"]["type"] == "InvalidArgumentError"
        assert _reply(ws, encode_frame({"op": "step", "action": 1}))["ok"] is True
    finally:
        ws.close()


def test_disconnects_and_raw_tcp_garbage_do_not_hurt(url):
    u = urlparse(url)
    raw = socket.create_connection((u.hostname, u.port))
    raw.sendall(os.urandom(300) + b"\r\n\r\n")
    raw.close()
    ws = WebSocket(url)
    ws.send(encode_frame({"op": "make", "env": "SparsGym/Spars-Oracle-v0", "kind": "vector",
                          "options": {"numEnvs": 8, **SMALL}}))
    ws.close()  # without waiting for the reply
    ws = WebSocket(url)
    ws.send_frame(2, b"\x00\x00", fin=False)  # unfinished fragmented message, then gone
    ws._sock.close()
    env = SparsGymEnv(url=url, **SMALL)
    try:
        obs, _ = env.reset(seed=2)
        assert np.isfinite(obs).all()
        assert env._conn.request("ping")[0]["ok"]
    finally:
        env.close()
