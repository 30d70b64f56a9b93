"""Executes notebooks through the installed TransferLab kernelspec with Debian's nbclient.

Usage: nbclient_check.py JUPYTER_DATA_DIR WORKDIR — prints one JSON object of results.
"""
import json
import os
import sys

data_dir, workdir = sys.argv[1], sys.argv[2]
os.environ["JUPYTER_PATH"] = data_dir

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

results = {}

nb = nbformat.v4.new_notebook()
nb.metadata["kernelspec"] = {"name": "transferlab", "display_name": "TransferLab (TypeScript)", "language": "typescript"}
nb.cells = [
    nbformat.v4.new_markdown_cell("# widget state survives headless execution"),
    nbformat.v4.new_code_cell("const x: number = 20;\nx + 22"),
    nbformat.v4.new_code_cell(
        "const s = new widgets.WidgetModel({modelName: 'IntSliderModel', modelModule: '@jupyter-widgets/controls', modelModuleVersion: '2.0.0', viewName: 'IntSliderView', viewModule: '@jupyter-widgets/controls', viewModuleVersion: '2.0.0'}, {value: 5, min: 0, max: 10, description: 'k'});\n"
        "display.bundle(s.viewBundle());\ns.set({value: 8});"
    ),
    nbformat.v4.new_code_cell("%lsmagic"),
]
client = NotebookClient(nb, timeout=120, kernel_name="transferlab", resources={"metadata": {"path": workdir}}, store_widget_state=True)
client.execute()
out_path = os.path.join(workdir, "executed.ipynb")
nbformat.write(nb, out_path)
reread = nbformat.read(out_path, as_version=4)
try:
    nbformat.validate(reread)
    results["valid"] = True
except nbformat.ValidationError as e:
    results["valid"] = str(e)
results["nbformat"] = [reread.nbformat, reread.nbformat_minor]
results["result"] = reread.cells[1].outputs[0]["data"]["text/plain"]
ws = reread.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
states = ws.get("state", {})
results["widget_models"] = [v["model_name"] for v in states.values()]
results["widget_value"] = [v["state"].get("value") for v in states.values()]
results["view_output"] = [o["data"].get("application/vnd.jupyter.widget-view+json", {}).get("version_major") for o in reread.cells[2].outputs if o.get("output_type") == "display_data"]

bad = nbformat.v4.new_notebook()
bad.metadata["kernelspec"] = nb.metadata["kernelspec"]
bad.cells = [nbformat.v4.new_code_cell("throw new Error('cell failed');"), nbformat.v4.new_code_cell("'never runs'")]
try:
    NotebookClient(bad, timeout=60, kernel_name="transferlab", resources={"metadata": {"path": workdir}}).execute()
    results["failing_notebook"] = "no exception"
except CellExecutionError as e:
    results["failing_notebook"] = ["CellExecutionError", "cell failed" in str(e), bad.cells[1].get("execution_count")]
# Charts become durable when their cell ends: the saved output carries the figure itself (no widget
# state saved here, as JupyterLab by default), so a reopened or untrusted notebook can still draw it.
FIG = "application/vnd.transferlab.figure+json"
durable = nbformat.v4.new_notebook()
durable.metadata["kernelspec"] = nb.metadata["kernelspec"]
durable.cells = [
    nbformat.v4.new_code_cell("const t = aq.from([{ run: 'r', step: 0, side: 'und', metric: 'accuracy', value: 0.1 }, { run: 'r', step: 5, side: 'und', metric: 'accuracy', value: 0.2 }]);\n"
                              "await new FigureWidget((x: any) => viz.trainingCurves(x), t, { title: 'curve' }).show();"),
    nbformat.v4.new_code_cell("%train --steps 4 --batch 8 --rank 2 --eval-every 2 --eval-prompts 2 --eval-seeds 1 --eval-questions 4 --name durable-run"),
]
NotebookClient(durable, timeout=180, kernel_name="transferlab", resources={"metadata": {"path": workdir}}, store_widget_state=False).execute()


def figures(cell):
    out = []
    for o in cell.outputs:
        d = o.get("data", {})
        if FIG in d:
            out.append([o["output_type"], isinstance(d[FIG].get("figure", {}).get("data"), list), "text/plain" in d])
    return out


results["durable"] = [figures(c) for c in durable.cells]
results["durable_widget_state"] = "widgets" in durable.metadata
path = os.path.join(workdir, "durable.ipynb")
nbformat.write(durable, path)
results["durable_path"] = path
print(json.dumps(results))
