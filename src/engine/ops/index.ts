// The DSL's ops, one namespace: `import * as F from "./ops"` and write F.linear(F.layerNorm(x, w, b), W).
export * from "./elementwise";
export * from "./reduce";
export * from "./shape-ops";
export * from "./linalg";
export * from "./nn";
