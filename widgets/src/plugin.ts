// The JupyterLab 4 plugin: registers FigureModel/FigureView with the widget registry under the module
// name and version the kernel's models carry.

import type { JupyterFrontEnd, JupyterFrontEndPlugin } from "@jupyterlab/application";
import { IJupyterWidgetRegistry } from "@jupyter-widgets/base";
import * as figure from "./figure";
import { MODULE_NAME, MODULE_VERSION } from "./version";

const plugin: JupyterFrontEndPlugin<void> = {
  id: "@transferlab/widgets:plugin",
  description: "TransferLab figures (plotly.js) as Jupyter widgets",
  requires: [IJupyterWidgetRegistry],
  autoStart: true,
  activate: (_app: JupyterFrontEnd, registry: IJupyterWidgetRegistry) => {
    registry.registerWidget({ name: MODULE_NAME, version: MODULE_VERSION, exports: figure as never });
  },
};

export default plugin;
