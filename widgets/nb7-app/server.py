"""Serves Notebook 7's notebook page built in static/ with Debian's jupyterlab-server (jupyter_server 1.x).

    python3 server.py --state DIR --labextensions DIR [jupyter_server options: --port, --ServerApp.token, ...]

A notebook opens at /notebooks/<path>, as in Notebook 7 (whose own server, the `notebook` Python package,
cannot be installed here: this is the part of it the notebook page needs — the page with its config, and
the settings, themes and federated extensions that jupyterlab-server serves). --state holds this server's
settings and workspaces; --labextensions is the folder that holds the federated extensions
(`transferlab install --prefix P` writes P/share/jupyter/labextensions). Kernelspecs come from
JUPYTER_PATH, as for any Jupyter server.
"""
import json
import os
import sys

from jupyter_server.utils import url_path_join as ujoin
from jupyterlab_server import LabServerApp
from jupyterlab_server.handlers import LabHandler
from tornado import web

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


class NotebookPage(LabHandler):
    """The notebook page: Notebook 7's frontend opens the notebook named by the URL's path."""

    @web.authenticated
    def get(self, path=""):
        page_config = dict(self.get_page_config())
        page_config.update(notebookPage="notebooks", frontendUrl=ujoin(self.base_url, "/"), appVersion=VERSION)
        self.write(self.render_template("notebooks.html", page_config=page_config))


class TransferLabTestNotebook(LabServerApp):
    name = "notebook"
    app_name = "Jupyter Notebook"
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

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.insert(0, (r"/notebooks/(.*)", NotebookPage))


def _jupyter_server_extension_points():
    # jupyter_server finds the app through this hook of the module that runs it.
    return [{"module": __name__, "app": TransferLabTestNotebook}]


if __name__ == "__main__":
    for d in ("app-settings", "user-settings", "workspaces"):
        os.makedirs(os.path.join(STATE, d), exist_ok=True)
    TransferLabTestNotebook.launch_instance()
