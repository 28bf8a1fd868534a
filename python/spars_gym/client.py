"""A connection to an env server, and the local server the client starts when no URL is given.

The local server is ``deno run ... serve/main.ts --port 0`` in the SPARS Gym repository: found from
``SPARS_GYM_ROOT``, else the current directory or one of its parents holding ``serve/main.ts``.
``deno`` is taken from ``SPARS_GYM_DENO``, else ``PATH``, else the repository's
``node_modules/.bin/deno``, else ``npx deno``.
"""
from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Any, Dict, List, Mapping, Optional, Tuple

import numpy as np

from ._ws import WebSocket
from .errors import ServerStartError, from_reply
from .protocol import decode_frame, encode_frame


def find_repo() -> Path:
    """The SPARS Gym repository holding ``serve/main.ts``."""
    env = os.environ.get("SPARS_GYM_ROOT")
    candidates = [Path(env)] if env else []
    here = Path.cwd().resolve()
    candidates += [here, *here.parents, Path(__file__).resolve().parents[2]]
    for c in candidates:
        if (c / "serve" / "main.ts").is_file() and (c / "deno.json").is_file():
            return c
    raise ServerStartError(
        "no SPARS Gym repository found (serve/main.ts): set SPARS_GYM_ROOT, run from the repository, "
        "or pass url='ws://host:port' of a running server"
    )


def deno_command(repo: Path) -> List[str]:
    """The command that runs deno."""
    given = os.environ.get("SPARS_GYM_DENO")
    if given:
        return [given]
    on_path = shutil.which("deno")
    if on_path:
        return [on_path]
    local = repo / "node_modules" / ".bin" / "deno"
    if local.exists():
        return [str(local)]
    npx = shutil.which("npx")
    if npx:
        return [npx, "deno"]
    raise ServerStartError("deno not found: install it, run `npm ci` in the repository, or set SPARS_GYM_DENO")


class LocalServer:
    """An env server process on 127.0.0.1 with a free port; stopped by ``stop()`` or at exit."""

    def __init__(self, extra_args: Optional[List[str]] = None, timeout: float = 120.0) -> None:
        repo = find_repo()
        cmd = deno_command(repo) + [
            "run", "--allow-net=127.0.0.1", "--allow-read", "--allow-env", "--allow-ffi",
            "serve/main.ts", "--port", "0", *(extra_args or []),
        ]
        # Its own process group: deno may run under a wrapper (npx, node_modules/.bin/deno is a node
        # script) that does not pass signals on, so stop() signals the whole group.
        self.process = subprocess.Popen(
            cmd, cwd=repo, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            start_new_session=os.name == "posix",
        )
        first: List[str] = []
        reader = threading.Thread(target=lambda: first.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        line = first[0].strip() if first else ""
        if not line.startswith("listening on "):
            self.stop()
            err = self.process.stderr.read() if self.process.stderr else ""
            raise ServerStartError(f"env server did not start ({' '.join(cmd)}): {line!r} {err[-2000:]}")
        self.url = line[len("listening on "):]
        # Keep draining the pipes so the server never blocks on a full pipe.
        threading.Thread(target=self.process.stdout.read, daemon=True).start()
        threading.Thread(target=self.process.stderr.read, daemon=True).start()
        atexit.register(self.stop)

    def stop(self) -> None:
        """Terminates the server (idempotent)."""
        p = self.process
        if os.name == "posix":
            for sig in (signal.SIGTERM, signal.SIGKILL):
                try:
                    os.killpg(p.pid, sig)
                except (ProcessLookupError, PermissionError):
                    break
                try:
                    p.wait(5)
                    time.sleep(0.05)  # then SIGKILL whatever of the group is left (usually nothing)
                except subprocess.TimeoutExpired:
                    continue
        elif p.poll() is None:
            p.terminate()
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


class Connection:
    """One session on an env server: ``request(op, ...)`` sends a frame and returns the reply.

    With ``url=None`` it starts a :class:`LocalServer` and stops it on ``close()``.
    """

    def __init__(self, url: Optional[str] = None, server_args: Optional[List[str]] = None) -> None:
        self.server = LocalServer(server_args) if url is None else None
        self.url = self.server.url if self.server else url
        try:
            self.ws = WebSocket(self.url)
        except Exception:
            if self.server:
                self.server.stop()
            raise
        self._next = 0

    def request(
        self, op: str, arrays: Optional[Mapping[str, np.ndarray]] = None, **fields: Any
    ) -> Tuple[Dict[str, Any], Dict[str, np.ndarray]]:
        """Sends ``op`` with JSON ``fields`` and payload ``arrays``; raises the typed error of an error reply."""
        self._next += 1
        self.ws.send(encode_frame({"op": op, "id": self._next, **fields}, arrays))
        header, out = decode_frame(self.ws.recv())
        if not header.get("ok"):
            raise from_reply(header.get("error") or {})
        return header, out

    def close(self) -> None:
        """Closes the session, and the local server when this connection started it."""
        try:
            self.ws.close()
        finally:
            if self.server:
                self.server.stop()
