"""Drives the TransferLab kernel with Debian's jupyter_client, as a frontend would.

Usage: client_checks.py JUPYTER_DATA_DIR WORKDIR — prints one JSON object of results (check -> value).
"""
import json
import os
import sys
import time
import uuid

from jupyter_client.manager import KernelManager
from kernel_io import run_cell

data_dir, workdir = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir
class Results(dict):
    def __setitem__(self, k, v):
        print(f"check {k}: {json.dumps(v)[:200]}", file=sys.stderr, flush=True)
        super().__setitem__(k, v)


results = Results()

km = KernelManager(kernel_name="transferlab")
km.start_kernel(cwd=workdir)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)


def run(code, timeout=60, **kw):
    """Executes code; returns (reply content, list of iopub messages for this request)."""
    return run_cell(kc, code, timeout, **kw)


def interrupt_after(code, wait=1.5):
    """Starts a cell, interrupts the kernel after `wait` seconds, returns the cell's execute_reply."""
    msg_id = kc.execute(code)
    time.sleep(wait)
    km.interrupt_kernel()
    reply = kc.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = kc.get_shell_msg(timeout=30)
    return reply


def of(msgs, t):
    return [m["content"] for m in msgs if m["msg_type"] == t]


info = kc.kernel_info(reply=True)["content"]
results["kernel_info"] = [info["language_info"]["name"], info["protocol_version"]]

reply, msgs = run("1 + 1")
results["one_plus_one"] = [reply["status"], of(msgs, "execute_result")[0]["data"]["text/plain"], len(of(msgs, "execute_input"))]

reply, msgs = run("const who: string = 'world';\nconsole.log(`hello ${who}`);\nwho.length")
results["stream_and_result"] = ["".join(c["text"] for c in of(msgs, "stream")), of(msgs, "execute_result")[0]["data"]["text/plain"]]

reply, msgs = run("\n\nconst n: number = 'three';")
err = of(msgs, "error")
results["type_error"] = [reply["status"], err[0]["ename"] if err else None, err[0]["traceback"][0] if err else None]

reply, msgs = run("throw new RangeError('out of range');")
err = of(msgs, "error")
results["runtime_error"] = [reply["status"], err[0]["ename"], err[0]["evalue"]]

# A runtime error's traceback is in the cells' terms: their lines, their code, no kernel frames.
run("function boom(n: number): number {\n  if (n > 2) throw new RangeError(`n = ${n}`);\n  return n;\n}")
reply, msgs = run("const ok: number = 1;\n\nboom(5);")
results["traceback"] = of(msgs, "error")[0]["traceback"]

reply, msgs = run("%nosuchmagic --x 1")
results["unknown_magic"] = [reply["status"], of(msgs, "error")[0]["evalue"]]

reply, msgs = run("%lsmagic")
results["lsmagic"] = of(msgs, "execute_result")[0]["data"]["text/plain"]

reply, msgs = run("%sh echo from-shell")
results["sh"] = "".join(c["text"] for c in of(msgs, "stream"))

reply, msgs = run("const h = await display.bundle({'text/html': '<b>x</b>', 'text/plain': 'x'}, {id: 'bar'});\nawait h.update({'text/plain': 'y'});")
results["display"] = [[m["msg_type"], m["content"].get("transient", {}).get("display_id")] for m in msgs if m["msg_type"] in ("display_data", "update_display_data")]

msg_id = kc.complete("const longVariableName = 1;\nlongVar", 35)
rep = kc.get_shell_msg(timeout=30)
results["complete"] = "longVariableName" in rep["content"]["matches"]
kc.inspect("Math.max", 6)
rep = kc.get_shell_msg(timeout=30)
results["inspect"] = [rep["content"]["found"], "max" in rep["content"]["data"].get("text/plain", "")]
# Shift-Tab inside a call's parentheses (where users press it): the callee's signature.
in_call = []
for code in ["Math.max(", "Math.max(1, ", "console.log(Math.abs(2), "]:
    kc.inspect(code, len(code))
    r = kc.get_shell_msg(timeout=30)
    in_call.append([r["content"]["found"], r["content"]["data"].get("text/plain", "")[:80]])
results["inspect_in_call"] = in_call
kc.is_complete("function f() {")
results["is_complete"] = kc.get_shell_msg(timeout=30)["content"]["status"]


def states(msg_id, timeout=10):
    """The status messages iopub carries for one request (JupyterLab waits for its idle)."""
    out = []
    end = time.time() + timeout
    while time.time() < end:
        try:
            m = kc.get_iopub_msg(timeout=max(0.1, end - time.time()))
        except Exception:
            break
        if m["parent_header"].get("msg_id") == msg_id and m["msg_type"] == "status":
            out.append(m["content"]["execution_state"])
            if out[-1] == "idle":
                break
    return out


# Every request gets busy → reply → idle on iopub with its parent header.
status = {}
for name, send in [
    ("kernel_info", lambda: kc.kernel_info()),
    ("complete", lambda: kc.complete("Math.ma", 7)),
    ("inspect", lambda: kc.inspect("Math.max", 6)),
    ("is_complete", lambda: kc.is_complete("1 +")),
    ("comm_info", lambda: kc.comm_info()),
    ("history", lambda: kc.history(hist_access_type="tail", n=2)),
]:
    mid = send()
    status[name] = states(mid)
    kc.get_shell_msg(timeout=30)
results["request_status"] = status

# A live figure: ten updates travel as comm state only; finishing sends one display update.
reply, msgs = run(
    "const fw = new FigureWidget((t: any) => viz.trainingCurves(t), aq.from([{ run: 'r', step: 0, side: 'gen', metric: 'accuracy', value: 0.1 }]));\n"
    "await fw.show();\n"
    "for (let i = 1; i <= 10; i++) { fw.update(aq.from(Array.from({ length: i + 1 }, (_, s) => ({ run: 'r', step: s, side: 'gen', metric: 'accuracy', value: s / 20 })))); fw.flush(); }\n"
    "fw.finish();"
)
results["figure_updates"] = [reply["status"], len([m for m in msgs if m["msg_type"] == "display_data"]), len([m for m in msgs if m["msg_type"] == "update_display_data"]), len([m for m in msgs if m["msg_type"] == "comm_msg"])]

# `await w.show()` as a cell's last line: one display, no second copy as the cell's result.
reply, msgs = run("const w2 = new FigureWidget((t: any) => ({ data: [], layout: {} }), aq.from([{ a: 1 }]), { title: 'titled' });\nawait w2.show();")
results["show_last_line"] = [len([m for m in msgs if m["msg_type"] == "display_data"]), len([m for m in msgs if m["msg_type"] == "execute_result"])]
opens = [m for m in msgs if m["msg_type"] == "comm_open"]
results["title_in_figure"] = opens[0]["content"]["data"]["state"]["figure"]["layout"].get("title") if opens else None

# history: the session's real inputs, by tail, range and search.
kc.history(hist_access_type="tail", n=2)
results["history_tail"] = [h[2] for h in kc.get_shell_msg(timeout=30)["content"]["history"]]
kc.history(hist_access_type="range", session=0, start=1, stop=3)
results["history_range"] = [h[1] for h in kc.get_shell_msg(timeout=30)["content"]["history"]]
kc.history(hist_access_type="search", pattern="%sh*", n=5)
results["history_search"] = [h[2] for h in kc.get_shell_msg(timeout=30)["content"]["history"]]

# interrupt a long-running async cell; the kernel keeps its state
run("let keep = 41;")
t0 = time.time()
reply = interrupt_after("await new Promise((r) => setTimeout(r, 60000));")
results["interrupt"] = [reply["content"]["status"], reply["content"].get("ename"), round(time.time() - t0) < 10]
reply, msgs = run("keep + 1")
results["after_interrupt"] = of(msgs, "execute_result")[0]["data"]["text/plain"]

# a synchronous busy loop is stopped too
reply = interrupt_after("const t0 = Date.now(); while (Date.now() - t0 < 60000) {}")
results["interrupt_sync"] = reply["content"]["status"]

# comms: a widget model opened by the kernel, updated from the frontend, echoed back
reply, msgs = run(
    "const w = new widgets.WidgetModel({modelName: 'IntSliderModel', modelModule: '@jupyter-widgets/controls', modelModuleVersion: '2.0.0', viewName: 'IntSliderView', viewModule: '@jupyter-widgets/controls', viewModuleVersion: '2.0.0'}, {value: 3, max: 10, data: new Uint8Array([1,2,3])});\n"
    "let seen = -1; w.onChange((c) => { seen = c.value as number; });\nw.id"
)
opens = of(msgs, "comm_open")
comm_id = opens[0]["comm_id"]
buffers = [m for m in msgs if m["msg_type"] == "comm_open"][0]["buffers"]
results["comm_open"] = [opens[0]["target_name"], opens[0]["data"]["state"]["_model_name"], opens[0]["data"]["buffer_paths"], len(buffers), bytes(buffers[0]) == b"\x01\x02\x03"]
kc.session.send(kc.shell_channel.socket, "comm_msg", {"comm_id": comm_id, "data": {"method": "update", "state": {"value": 7}, "buffer_paths": []}})
echo = None
deadline = time.time() + 10
while time.time() < deadline and echo is None:
    m = kc.get_iopub_msg(timeout=10)
    if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "echo_update":
        echo = m["content"]["data"]["state"]
results["echo_update"] = echo
reply, msgs = run("[seen, w.get('value')]")
results["update_reached_kernel"] = of(msgs, "execute_result")[0]["data"]["text/plain"]

# the control comm answers request_states with every model's state
ctrl = str(uuid.uuid4())
kc.session.send(kc.shell_channel.socket, "comm_open", {"comm_id": ctrl, "target_name": "jupyter.widget.control", "data": {}})
kc.session.send(kc.shell_channel.socket, "comm_msg", {"comm_id": ctrl, "data": {"method": "request_states"}})
states = None
deadline = time.time() + 10
while time.time() < deadline and states is None:
    m = kc.get_iopub_msg(timeout=10)
    if m["msg_type"] == "comm_msg" and m["content"]["data"].get("method") == "update_states":
        states = m["content"]["data"]
results["update_states"] = [comm_id in states["states"], states["states"][comm_id]["state"]["value"], states["buffer_paths"]]

# a comm to an unknown target is closed at once
bogus = str(uuid.uuid4())
kc.session.send(kc.shell_channel.socket, "comm_open", {"comm_id": bogus, "target_name": "no.such.target", "data": {}})
closed = False
deadline = time.time() + 10
while time.time() < deadline and not closed:
    m = kc.get_iopub_msg(timeout=10)
    closed = m["msg_type"] == "comm_close" and m["content"]["comm_id"] == bogus
results["unknown_target_closed"] = closed
kc.comm_info()
results["comm_info"] = comm_id in kc.get_shell_msg(timeout=10)["content"]["comms"]

# a message with a forged signature is dropped and never executed
marker = os.path.join(workdir, "forged.txt")
real_key = kc.session.key
kc.session.key = b"not-the-key"
kc.execute(f"require('fs').writeFileSync({json.dumps(marker)}, 'pwned')")
kc.session.key = real_key
time.sleep(2)
reply, msgs = run("'still alive'")
results["forged"] = [os.path.exists(marker), of(msgs, "execute_result")[0]["data"]["text/plain"]]

# restart: a fresh kernel, state gone
km.restart_kernel(now=False)
kc.wait_for_ready(timeout=60)
reply, msgs = run("keep")
results["restart"] = [reply["status"], of(msgs, "error")[0]["evalue"]]

kc.stop_channels()
km.shutdown_kernel(now=False)
print(json.dumps(results))
