"""Serves the JupyterLab 4 frontend built in static/ with Debian's jupyterlab-server (jupyter_server 1.x).

    python3 server.py --state DIR --labextensions DIR [jupyter_server options: --port, --ServerApp.token, ...]

--state holds this server's settings and workspaces (so runs do not share them); --labextensions is the
folder that holds the federated extensions (`transferlab install --prefix P` writes P/share/jupyter/
labextensions). Kernelspecs come from JUPYTER_PATH, as for any Jupyter server.
"""
import json
import os
import sys

from jupyterlab_server import LabServerApp

HERE = os.path.abspath(os.path.dirname(__file__))
STATIC = os.path.join(HERE, "static")

# Configuration files on this machine must not change what the test sees.
os.environ["JUPYTER_NO_CONFIG"] = "1"


def take(flag):
    """Remove `flag VALUE` from argv and return VALUE (jupyter_server parses the rest)."""
    if flag not in sys.argv:
        sys.exit(f"server.py: {flag} DIR is required")
    i = sys.argv.index(flag)
    value = sys.argv[i + 1]
    del sys.argv[i : i + 2]
    return os.path.abspath(value)


STATE = take("--state")
LABEXTENSIONS = take("--labextensions")
with open(os.path.join(HERE, "package.json")) as f:
    VERSION = json.load(f)["version"]


class TransferLabTestLab(LabServerApp):
    name = "lab"
    app_name = "JupyterLab"
    app_version = VERSION
    load_other_extensions = False
    static_dir = STATIC
    schemas_dir = os.path.join(STATIC, "schemas")
    themes_dir = os.path.join(STATIC, "themes")
    templates_dir = os.path.join(HERE, "templates")
    app_settings_dir = os.path.join(STATE, "app-settings")
    user_settings_dir = os.path.join(STATE, "user-settings")
    workspaces_dir = os.path.join(STATE, "workspaces")
    labextensions_path = [LABEXTENSIONS]


def _jupyter_server_extension_points():
    # jupyter_server finds the app through this hook of the module that runs it.
    return [{"module": __name__, "app": TransferLabTestLab}]


if __name__ == "__main__":
    for d in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(STATE, d), exist_ok=True)
    # JupyterLab's default notebook windowing attaches only the cells in view; the end-to-end test asks
    # whether every saved chart is restored, so every cell is attached ("none"), as a user scrolling sees.
    with open(os.path.join(STATE, "app-settings", "overrides.json"), "w") as f:
        json.dump({"@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"}}, f)
    TransferLabTestLab.launch_instance()
