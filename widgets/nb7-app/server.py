"""Serves Notebook 7's notebook page built in static/ with Debian's jupyterlab-server (jupyter_server 1.x).

    python3 server.py --state DIR --labextensions DIR [jupyter_server options: --port, --ServerApp.token, ...]

(the flags: ../frontend_server.py). A notebook opens at /notebooks/<path>, as in Notebook 7, whose own
server (the `notebook` Python package) cannot be installed here: this is the part of it the notebook page
needs — the page with its config — beside the settings, themes and federated extensions that
jupyterlab-server serves.
"""
import os
import sys

from jupyter_server.utils import url_path_join as ujoin
from jupyterlab_server.handlers import LabHandler
from tornado import web

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from frontend_server import frontend_app  # noqa: E402

App, STATE = frontend_app(os.path.dirname(os.path.abspath(__file__)), "notebook", "Jupyter Notebook")


class NotebookPage(LabHandler):
    """The notebook page: Notebook 7's frontend opens the notebook named by the URL's path."""

    @web.authenticated
    def get(self, path=""):
        page_config = dict(self.get_page_config())
        page_config.update(notebookPage="notebooks", frontendUrl=ujoin(self.base_url, "/"), appVersion=App.app_version)
        self.write(self.render_template("notebooks.html", page_config=page_config))


class TransferLabTestNotebook(App):
    """Defined here: jupyter_server finds an extension through the module that defines its app."""

    def initialize_handlers(self):
        super().initialize_handlers()
        self.handlers.insert(0, (r"/notebooks/(.*)", NotebookPage))


def _jupyter_server_extension_points():
    # jupyter_server finds the app through this hook of the module that runs it.
    return [{"module": __name__, "app": TransferLabTestNotebook}]


if __name__ == "__main__":
    TransferLabTestNotebook.launch_instance()
