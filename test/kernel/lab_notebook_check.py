"""Runs a notebook that calls every lab magic in quick mode (tiny step counts) through the installed
TransferLab kernelspec with nbclient, and prints one JSON object describing each cell's outputs.

Usage: lab_notebook_check.py JUPYTER_DATA_DIR WORKDIR
"""
import json
import os
import sys

data_dir, workdir = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir

import nbformat
from nbclient import NotebookClient

CELLS = [
    "%train --task counting --objective und --rank 4 --steps 6 --eval-every 3 --eval-prompts 6 --eval-questions 12 --name nb-und",
    "%train --task counting --objective gen --rank 4 --steps 4 --eval-every 0 --name nb-gen",
    '%generate "a photo of five circles" --adapter nb-und --seeds 2 --steps 6',
    "%eval --adapter nb-und --task counting --side both --limit 8",
    "%transfer --task counting --rank 4 --steps 4 --seeds 1 --limit 6 --eval-prompts 6 --eval-seeds 1 --eval-questions 12",
    "%joint --task counting --seeds 1 --epochs 2 --steps-per-epoch 3 --rank 4 --eval-prompts 6 --eval-questions 12",
    "%ablate --task counting --ranks 2,4 --steps 3 --limit 6 --eval-prompts 6 --eval-seeds 1 --eval-questions 12",
    "%compose --seeds 1 --steps 3 --rank 4 --limit 8 --eval-prompts 6 --eval-seeds 1 --eval-questions 12",
    '%attention "a photo of five circles" --token circles --adapter nb-und',
    "%runs",
    "%metrics --run nb-und",
    "%paper --table 6",
    "const t = lab.runs(); t.numRows()",
    "%train --task countin",
]

nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "transferlab", "display_name": "TransferLab (TypeScript)", "language": "typescript"}
nb.cells = [nbformat.v4.new_code_cell(c) for c in CELLS]
client = NotebookClient(nb, timeout=600, kernel_name="transferlab", resources={"metadata": {"path": workdir}}, store_widget_state=True, allow_errors=True)
client.execute()
nbformat.write(nb, os.path.join(workdir, "lab.ipynb"))

cells = []
for c in nb.cells:
    outs = []
    for o in c.outputs:
        if o["output_type"] == "error":
            outs.append({"type": "error", "ename": o["ename"], "evalue": o["evalue"][:300]})
        elif o["output_type"] in ("display_data", "execute_result"):
            outs.append({"type": o["output_type"], "mimes": sorted(o["data"].keys()), "text": str(o["data"].get("text/plain", ""))[:3000]})
        elif o["output_type"] == "stream":
            outs.append({"type": "stream", "text": o["text"][:200]})
    cells.append({"source": c.source, "outputs": outs})
ws = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {}).get("state", {})
figures = [{"model": v["model_name"], "title": v["state"].get("title", ""), "traces": len(v["state"].get("figure", {}).get("data", [])), "types": sorted({t.get("type", "") for t in v["state"].get("figure", {}).get("data", [])}), "rows": len(v["state"].get("rows", []))} for v in ws.values() if v["model_name"] == "FigureModel"]
print(json.dumps({"cells": cells, "figures": figures}))
