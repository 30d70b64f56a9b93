#!/usr/bin/env node
// Entry point of the `transferlab` command; the code lives in dist/ (build with `npm run build`).
const path = require("node:path");
const fs = require("node:fs");
const cli = path.join(__dirname, "..", "dist", "src", "cli.js");
if (!fs.existsSync(cli)) {
  console.error("transferlab: not built yet; run `npm run build` in " + path.join(__dirname, ".."));
  process.exit(1);
}
require(cli)
  .main(process.argv.slice(2))
  .then((code) => process.exit(code));
