// The JupyterLab 4 frontend of the end-to-end test (see ../frontend-webpack.js).
module.exports = require("../frontend-webpack.js")(__dirname);
