"""Records what the project's tslab kernel publishes while cells are queued (Run All).

Starts the kernel with jupyter_client (Debian's), sends every cell given as an argument at once,
as a notebook's Run All does, and prints one JSON list of the iopub and shell messages in the order
they arrived: {"channel", "type", "parent" (index of the cell it answers), "state" or "text"}.
The test (tests/jupyter-kernel.test.ts) asserts the order; this script only observes.
"""
import json
import queue
import sys
import time

from jupyter_client.manager import start_new_kernel


def main():
    cells = sys.argv[1:]
    km, kc = start_new_kernel(kernel_name="tslab", startup_timeout=120)
    try:
        ids = [kc.execute(code) for code in cells]
        index = {msg_id: i for i, msg_id in enumerate(ids)}
        events, replies, deadline = [], 0, time.monotonic() + 120
        last_idle = False
        while time.monotonic() < deadline and not (replies == len(ids) and last_idle):
            for channel, get in (("iopub", kc.get_iopub_msg), ("shell", kc.get_shell_msg)):
                try:
                    msg = get(timeout=0.05)
                except queue.Empty:
                    continue
                parent = index.get(msg["parent_header"].get("msg_id"))
                if parent is None:
                    continue  # the kernel_info exchange of the start
                kind = msg["msg_type"]
                event = {"channel": channel, "type": kind, "parent": parent}
                if kind == "status":
                    event["state"] = msg["content"]["execution_state"]
                    last_idle = parent == len(ids) - 1 and event["state"] == "idle"
                elif kind == "stream":
                    event["text"] = msg["content"]["text"]
                elif kind == "execute_reply":
                    replies += 1
                    event["status"] = msg["content"]["status"]
                events.append(event)
        print(json.dumps(events))
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


if __name__ == "__main__":
    main()
