"""Executes one notebook with the project's tslab kernel and exports it to HTML.

Used by scripts/run-notebooks.ts (npm run notebooks). nbconvert's own --execute reports a failing
tslab cell as an empty "<Error>:" because tslab writes the error text to the cell's stderr
stream; here the failing cell, its source and that text are reported. The notebook is written
(executed as far as it got) and exported even when a cell fails, so the HTML shows where.

Prints one JSON line on stdout: {"ok": bool, "seconds": s}, and on failure also "cell" (1-based
code-cell number), "source" and "error".
"""
import argparse
import json
import sys
import time

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError, DeadKernelError
from nbconvert import HTMLExporter


def error_text(cell, exc):
    parts = []
    for out in cell.get("outputs", []):
        if out.get("output_type") == "stream" and out.get("name") == "stderr":
            parts.append(out.get("text", ""))
        elif out.get("output_type") == "error":
            parts.append(f"{out.get('ename', '')}: {out.get('evalue', '')}\n" + "\n".join(out.get("traceback", [])))
    text = "".join(parts).strip()
    if not text:
        text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    if isinstance(exc, CellTimeoutError):
        text = f"timed out ({exc})\n{text}"
    if isinstance(exc, DeadKernelError):
        text = f"the kernel died ({exc})\n{text}"
    return text


def main():
    p = argparse.ArgumentParser()
    p.add_argument("notebook")
    p.add_argument("--executed", required=True, help="where to write the executed .ipynb")
    p.add_argument("--html", required=True, help="where to write the HTML export")
    p.add_argument("--cwd", required=True, help="working folder of the kernel")
    p.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    p.add_argument("--kernel", default="tslab")
    a = p.parse_args()

    nb = nbformat.read(a.notebook, as_version=4)
    code = [i for i, c in enumerate(nb.cells) if c.cell_type == "code"]
    state = {"index": None}

    def on_start(cell, cell_index):
        state["index"] = cell_index

    client = NotebookClient(nb, kernel_name=a.kernel, timeout=a.timeout, resources={"metadata": {"path": a.cwd}})
    client.on_cell_start = on_start
    t0 = time.monotonic()
    result = {"ok": True}
    try:
        client.execute()
    except (CellExecutionError, CellTimeoutError, DeadKernelError) as exc:
        i = state["index"]
        cell = nb.cells[i] if i is not None else {}
        result = {
            "ok": False,
            "cell": code.index(i) + 1 if i in code else None,
            "source": cell.get("source", ""),
            "error": error_text(cell, exc),
        }
    result["seconds"] = round(time.monotonic() - t0, 2)

    nbformat.write(nb, a.executed)
    body, _ = HTMLExporter(template_name="lab").from_notebook_node(nb)
    with open(a.html, "w", encoding="utf-8") as f:
        f.write(body)
    print(json.dumps(result))
    return 0 if result["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
