"""What the test frontends' servers share (lab-app/server.py: JupyterLab 4; nb7-app/server.py: Notebook 7's
notebook page): the flags they take, and a jupyterlab-server app for a frontend built in <app>/static.

    python3 <app>/server.py --state DIR --labextensions DIR [jupyter_server options: --port, --ServerApp.token, ...]

--state holds the server's settings and workspaces (so runs do not share them); --labextensions is the
folder that holds the federated extensions (`transferlab install --prefix P` writes P/share/jupyter/
labextensions). Kernelspecs come from JUPYTER_PATH, as for any Jupyter server.
"""
import json
import os
import sys

from jupyterlab_server import LabServerApp

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


def frontend_app(here, name, app_name):
    """A LabServerApp serving the frontend built in `here`/static, with the state and extensions the flags name."""
    state = take("--state")
    labextensions = take("--labextensions")
    static = os.path.join(here, "static")
    with open(os.path.join(here, "package.json")) as f:
        version = json.load(f)["version"]
    for d in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(state, d), exist_ok=True)

    class FrontendApp(LabServerApp):
        load_other_extensions = False
        app_version = version
        static_dir = static
        schemas_dir = os.path.join(static, "schemas")
        themes_dir = os.path.join(static, "themes")
        templates_dir = os.path.join(here, "templates")
        app_settings_dir = os.path.join(state, "app-settings")
        user_settings_dir = os.path.join(state, "user-settings")
        workspaces_dir = os.path.join(state, "workspaces")
        labextensions_path = [labextensions]

    FrontendApp.name = name
    FrontendApp.app_name = app_name
    return FrontendApp, state
