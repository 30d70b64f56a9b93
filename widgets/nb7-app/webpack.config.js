// The Notebook 7 frontend (its notebook page) of the end-to-end test (see ../frontend-webpack.js).
module.exports = require("../frontend-webpack.js")(__dirname);
