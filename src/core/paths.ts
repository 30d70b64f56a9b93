// Where the package's shipped files (word lists, models, fixtures) live, from source or from dist/.

import * as fs from "node:fs";
import * as path from "node:path";

let root: string | undefined;

export function packageRoot(): string {
  if (root) return root;
  let dir = __dirname;
  for (;;) {
    const pkg = path.join(dir, "package.json");
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "transferlab") return (root = dir);
    const up = path.dirname(dir);
    if (up === dir) throw new Error(`cannot find the transferlab package root above ${__dirname}`);
    dir = up;
  }
}

export function dataPath(...parts: string[]): string {
  return path.join(packageRoot(), "data", ...parts);
}
