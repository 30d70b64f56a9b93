"""Serves the JupyterLab 4 frontend built in static/ with Debian's jupyterlab-server (jupyter_server 1.x).

    python3 server.py --state DIR --labextensions DIR [jupyter_server options: --port, --ServerApp.token, ...]

(the flags: ../frontend_server.py).
"""
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from frontend_server import frontend_app  # noqa: E402

App, STATE = frontend_app(os.path.dirname(os.path.abspath(__file__)), "lab", "JupyterLab")


class TransferLabTestLab(App):
    """Defined here: jupyter_server finds an extension through the module that defines its app."""


def _jupyter_server_extension_points():
    # jupyter_server finds the app through this hook of the module that runs it.
    return [{"module": __name__, "app": TransferLabTestLab}]


if __name__ == "__main__":
    # JupyterLab's default notebook windowing attaches only the cells in view; the end-to-end test asks
    # whether every saved chart is restored, so every cell is attached ("none"), as a user scrolling sees.
    with open(os.path.join(STATE, "app-settings", "overrides.json"), "w") as f:
        json.dump({"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}, f)
    TransferLabTestLab.launch_instance()
