#!/usr/bin/env node
// Entry point of the `transferlab` command; the code lives in dist/ (build with `npm run build`).
const path = require("node:path");
const fs = require("node:fs");
const cli = path.join(__dirname, "..", "dist", "src", "cli", "index.js");
if (!fs.existsSync(cli)) {
  console.error("transferlab: not built yet; run `npm run build` in " + path.join(__dirname, ".."));
  process.exit(1);
}
// Exit once stdout has drained: process.exit() right after a large --json line cuts it off at the pipe's
// buffer (64 KiB) when the output goes to a pipe, not a terminal.
require(cli)
  .main(process.argv.slice(2))
  .then((code) => {
    process.exitCode = code;
    process.stdout.write("", () => process.exit(code));
  });
