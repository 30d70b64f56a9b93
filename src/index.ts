// The public API of the `transferlab` package. Later layers (tasks, umm, eval, lab) add their exports here.
export * from "./engine";
