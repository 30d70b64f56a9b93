"""Output bursts and async errors through real clients: a cell printing 20,000 lines and one printing
2,000 lines of 1 KB, executed with jupyter_client (every line, the result and `idle` must arrive; the
message count shows the coalescing) and with nbclient (the saved notebook must hold every line and the
result); async errors (an unhandled rejection, a throw in a timer) must appear in their cell.

Usage: burst_check.py JUPYTER_DATA_DIR WORKDIR — prints one JSON object of results.
"""
import json
import os
import sys

data_dir, workdir = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir

import nbformat
from jupyter_client.manager import KernelManager
from kernel_io import run_cell
from nbclient import NotebookClient

LINES = "for (let i = 0; i < 20000; i++) console.log(i);\n'done'"
WIDE = "const row = 'x'.repeat(1000);\nfor (let i = 0; i < 2000; i++) console.log(i + row);\n'wide done'"
results = {}

km = KernelManager(kernel_name="transferlab")
km.start_kernel(cwd=workdir)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)


def run(code, timeout=120, **kw):
    """Executes code; returns (reply content, list of iopub messages for this request)."""
    return run_cell(kc, code, timeout, **kw)


def stream_text(msgs):
    return "".join(m["content"]["text"] for m in msgs if m["msg_type"] == "stream")


def results_of(msgs):
    return [m["content"]["data"]["text/plain"] for m in msgs if m["msg_type"] == "execute_result"]


reply, msgs = run(LINES)
text = stream_text(msgs)
results["lines"] = {
    "status": reply["status"],
    "complete": text == "".join(f"{i}\n" for i in range(20000)),
    "result": results_of(msgs),
    "stream_messages": sum(1 for m in msgs if m["msg_type"] == "stream"),
}
reply, msgs = run(WIDE)
row = "x" * 1000
results["wide"] = {
    "status": reply["status"],
    "complete": stream_text(msgs) == "".join(f"{i}{row}\n" for i in range(2000)),
    "result": results_of(msgs),
    "stream_messages": sum(1 for m in msgs if m["msg_type"] == "stream"),
}
# Output and displays keep their order: a display between two prints stays between them.
reply, msgs = run("console.log('before');\ndisplay.text('middle');\nconsole.log('after');")
results["order"] = [
    m["content"]["text"] if m["msg_type"] == "stream" else m["content"]["data"]["text/plain"]
    for m in msgs
    if m["msg_type"] in ("stream", "display_data")
]
# A rejection nobody handles, raised while its cell runs: an error output in that cell, and the cell fails.
reply, msgs = run("Promise.reject(new RangeError('lost rejection'));\nawait new Promise((r) => setTimeout(r, 200));\n1")
results["rejection"] = [reply["status"], [(m["content"]["ename"], m["content"]["evalue"]) for m in msgs if m["msg_type"] == "error"]]
# A timer that throws after its cell has finished: the error output goes to the cell that set the timer.
timer_id = kc.execute("setTimeout(() => { throw new TypeError('late throw'); }, 300);\n'scheduled'")
late = []
while True:
    m = kc.get_iopub_msg(timeout=30)
    if m["parent_header"].get("msg_id") == timer_id and m["msg_type"] == "error":
        late.append([m["content"]["ename"], m["content"]["evalue"]])
        break
results["timer"] = late
reply, msgs = run("40 + 2")
results["alive"] = results_of(msgs)
kc.stop_channels()
km.shutdown_kernel(now=True)

nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "transferlab", "display_name": "TransferLab (TypeScript)", "language": "typescript"}
nb.cells = [nbformat.v4.new_code_cell(LINES), nbformat.v4.new_code_cell(WIDE)]
NotebookClient(nb, timeout=180, kernel_name="transferlab", resources={"metadata": {"path": workdir}}).execute()
path = os.path.join(workdir, "burst.ipynb")
nbformat.write(nb, path)
saved = nbformat.read(path, as_version=4)


def saved_text(cell):
    return "".join(o["text"] for o in cell.outputs if o["output_type"] == "stream")


def saved_results(cell):
    return [o["data"]["text/plain"] for o in cell.outputs if o["output_type"] == "execute_result"]


results["nbclient"] = {
    "lines": saved_text(saved.cells[0]) == "".join(f"{i}\n" for i in range(20000)),
    "lines_result": saved_results(saved.cells[0]),
    "wide": saved_text(saved.cells[1]) == "".join(f"{i}{row}\n" for i in range(2000)),
    "wide_result": saved_results(saved.cells[1]),
    "path": path,
}
print(json.dumps(results))
