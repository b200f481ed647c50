"""An AMI peer that replays a recorded byte stream, for ``bench.ami_events`` (not a benchmark).

``python -m bench._ami_replay BLOB`` listens on 127.0.0.1 and prints ``{"port": N}``.
For each connection it sends the AMI banner, waits for the client's first action (the
Login), answers it ``Success`` with that ActionID and then writes ``BLOB`` (recorded
event frames) as fast as the client reads, then waits for the client to hang up. It runs
in its own process so the sending costs nothing on the measured process's core.
"""

from __future__ import annotations

import json
import socket
import sys
from pathlib import Path

BANNER = b"Asterisk Call Manager/11.0.0\r\n"


def _first_action(conn: socket.socket) -> bytes:
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            break
        buffer += chunk
    for line in buffer.split(b"\r\n"):
        if line.lower().startswith(b"actionid:"):
            return line.split(b":", 1)[1].strip()
    return b""


def main() -> None:
    blob = Path(sys.argv[1]).read_bytes()
    server = socket.create_server(("127.0.0.1", 0))
    print(json.dumps({"port": server.getsockname()[1]}), flush=True)
    while True:
        conn, _ = server.accept()
        with conn:
            conn.sendall(BANNER)
            action_id = _first_action(conn)
            conn.sendall(
                b"Response: Success\r\nActionID: " + action_id
                + b"\r\nMessage: Authentication accepted\r\n\r\n" + blob
            )  # fmt: skip
            while conn.recv(65536):  # until the client closes
                pass


if __name__ == "__main__":
    main()
