"""Round-trip time of executing `1 + 1` through jupyter_client, for each kernelspec named.

Usage: kernel_roundtrip.py JUPYTER_DATA_DIR N KERNEL [KERNEL...] — prints one JSON object:
{kernel: {"median_ms": …, "p90_ms": …, "n": N, "ready_ms": …, "first_ms": …}}: the warm round trip, and
what a user waits for on a fresh kernel — start to ready, and the first cell's round trip.
"""
import json
import os
import statistics
import sys
import time

os.environ["JUPYTER_PATH"] = sys.argv[1]
from jupyter_client.manager import KernelManager

n = int(sys.argv[2])
out = {}
for name in sys.argv[3:]:
    km = KernelManager(kernel_name=name)
    t_start = time.perf_counter()
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    kc.wait_for_ready(timeout=60)
    ready_ms = (time.perf_counter() - t_start) * 1000
    first_ms = None
    times = []
    for i in range(n + 5):
        t0 = time.perf_counter()
        reply = kc.execute_interactive("1 + 1", timeout=30, output_hook=lambda m: None)
        dt = time.perf_counter() - t0
        assert reply["content"]["status"] == "ok", reply
        if i == 0:
            first_ms = dt * 1000
        if i >= 5:
            times.append(dt * 1000)
    times.sort()
    out[name] = {"median_ms": statistics.median(times), "p90_ms": times[int(0.9 * len(times))], "n": n, "ready_ms": ready_ms, "first_ms": first_ms}
    kc.stop_channels()
    km.shutdown_kernel(now=True)
print(json.dumps(out))
