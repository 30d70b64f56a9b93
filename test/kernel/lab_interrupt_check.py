"""Interrupts a %train in the TransferLab kernel (jupyter_client) and reports how fast it stopped, the
reply, the run's status file, and whether the kernel kept its state.

Usage: lab_interrupt_check.py JUPYTER_DATA_DIR WORKDIR — prints one JSON object.
"""
import json
import os
import sys
import time

from jupyter_client.manager import KernelManager

data_dir, workdir = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir
km = KernelManager(kernel_name="transferlab")
km.start_kernel(cwd=workdir)
kc = km.client()
kc.start_channels()
kc.wait_for_ready(timeout=60)
results = {}


def reply_of(msg_id, timeout=60):
    r = kc.get_shell_msg(timeout=timeout)
    while r["parent_header"].get("msg_id") != msg_id:
        r = kc.get_shell_msg(timeout=timeout)
    return r["content"]


mid = kc.execute("const keep = 41;")
reply_of(mid)
mid = kc.execute("%train --steps 2000 --batch 8 --rank 2 --eval-every 0 --checkpoint-every 5 --name intr")
# Wait until training is under way: the progress bar has been updated at least once.
deadline = time.time() + 120
updates = 0
while time.time() < deadline and updates < 3:
    m = kc.get_iopub_msg(timeout=120)
    if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "update_display_data":
        updates += 1
t0 = time.time()
km.interrupt_kernel()
reply = reply_of(mid)
results["stop_s"] = round(time.time() - t0, 3)
results["traceback"] = reply.get("traceback")
results["reply"] = [reply["status"], reply.get("ename"), "keeps its checkpoint" in reply.get("evalue", "")]
with open(os.path.join(workdir, "runs", "intr", "status.json")) as f:
    st = json.load(f)
results["status"] = [st["state"], st.get("reason"), st["step"] > 0]
results["checkpoint"] = os.path.exists(os.path.join(workdir, "runs", "intr", "checkpoint.safetensors"))
mid = kc.execute("keep + 1", store_history=True)
out = None
while True:
    m = kc.get_iopub_msg(timeout=60)
    if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "execute_result":
        out = m["content"]["data"]["text/plain"]
    if m["parent_header"].get("msg_id") == mid and m["msg_type"] == "status" and m["content"]["execution_state"] == "idle":
        break
results["alive"] = out
mid = kc.execute("%train --steps 2000 --batch 8 --rank 2 --eval-every 0 --checkpoint-every 5 --name intr")
r = reply_of(mid)
results["rerun_without_resume"] = [r["status"], "pass resume" in r.get("evalue", "")]
kc.stop_channels()
km.shutdown_kernel(now=True)
print(json.dumps(results))
