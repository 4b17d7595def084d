"""Run the app's entry script once right after the server starts.

Streamlit registers the pages of `st.navigation` only when app.py first runs. Until then a deep
link (/theo-thon) shows an English "Page not found" dialog (streamlit issue #8860). One headless
session that runs the script fixes that for every later visitor.

Usage: python scripts/warm_up.py PORT [TIMEOUT_SECONDS]
"""

from __future__ import annotations

import sys
import time
import urllib.request

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import connect


def wait_healthy(port: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as reply:
                if reply.read().strip() == b"ok":
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"server on port {port} did not answer within {timeout:.0f} s")
        time.sleep(0.3)


def warm_up(port: int, timeout: float = 60) -> None:
    wait_healthy(port, timeout)
    message = BackMsg()
    message.rerun_script.query_string = ""
    message.rerun_script.page_script_hash = ""
    deadline = time.monotonic() + timeout
    with connect(f"ws://127.0.0.1:{port}/_stcore/stream", open_timeout=timeout) as socket:
        socket.send(message.SerializeToString())
        while time.monotonic() < deadline:
            reply = ForwardMsg()
            reply.ParseFromString(socket.recv(timeout=timeout))
            if reply.WhichOneof("type") == "script_finished":
                return


if __name__ == "__main__":
    warm_up(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 60)
