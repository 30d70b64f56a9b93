// src/tasks: the synthetic worlds' substrate (vocabulary, images, shapes, glyphs, the grid, sample
// types), each world's data (worlds/), the pretraining captions and the real-data loaders.
export * from "./vocab";
export * from "./image";
export * from "./shapes";
export * from "./font";
export * from "./grid";
export * from "./samples";
export * from "./words";
export * from "./worlds";
export * from "./loaders";
export * from "./captions";
