// The public API of the `transferlab` package.
export * from "./engine";
export * as tasks from "./tasks";
export * as evaluate from "./eval";
export * as umm from "./umm";
