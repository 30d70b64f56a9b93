// Runtime errors are reported at the cell's lines: compiled JavaScript lines are aligned to the cell's
// TypeScript lines by content (tslab gives no source map).

import { test } from "node:test";
import assert from "node:assert/strict";
import { alignLines, cellTraceback, statementOf } from "../kernel/traceback";

test("alignLines maps compiled lines to the cell lines they came from, in order, past removed types and added scaffolding", () => {
  const cell = ["const a: number = 1;", "", "function f(x: number): number {", "  if (x > 0) throw new RangeError('big');", "  return x;", "}", "f(a);"];
  const compiled = [
    'Object.defineProperty(exports, "__esModule", { value: true });',
    "exports.a = exports.f = exports.tsLastExpr = void 0;",
    "const a = 1;",
    "exports.a = a;",
    "function f(x) {",
    "    if (x > 0)",
    "        throw new RangeError('big');",
    "    return x;",
    "}",
    "exports.f = f;",
    "exports.tsLastExpr = f(exports.a);",
  ].map(statementOf);
  const map = alignLines(compiled, cell);
  assert.deepEqual(map, [null, null, 0, 0, 2, 3, 3, 4, 5, 5, 6]);
});

test("a blank line never matches, and two equal statements map in order", () => {
  assert.deepEqual(alignLines(["x();", "", "x();"], ["x();", "", "", "x();"]), [0, 0, 3]);
});

test("cellTraceback names the cell, the line and the function, shows the line, and drops the kernel's frames", () => {
  const scripts = new Map([
    [
      "tl-cell-4-0.js",
      {
        cell: "function f(): never {\n  throw new Error('x');\n}\nf();",
        compiled: "function f() {\n    throw new Error('x');\n}\nexports.tsLastExpr = f();",
        count: 4,
      },
    ],
  ]);
  const stack = [
    "Error: x",
    "    at Proxy.f (tl-cell-4-0.js:2:11)",
    "    at tl-cell-4-0.js:4:22",
    "    at tl-cell-4-0.js:6:3",
    "    at Script.runInThisContext (node:vm:135:14)",
    "    at Object.execute (/x/node_modules/tslab/dist/executor.js:160:38)",
    "    at Kernel.runCell (/x/dist/kernel/kernel.js:388:48)",
    "    at helper (/x/lib/util.js:3:1)",
  ].join("\n");
  assert.deepEqual(cellTraceback("Error", "x", stack, scripts), [
    "Error: x",
    "  Cell In[4], line 2, in f",
    "      throw new Error('x');",
    "  Cell In[4], line 4",
    "      f();",
    "  at helper (/x/lib/util.js:3:1)",
  ]);
});
