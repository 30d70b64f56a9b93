// src/tasks: the synthetic worlds, their datasets and templates, answer parsers and real-data loaders.
export * from "./vocab";
export * from "./image";
export * from "./shapes";
export * from "./font";
export * from "./worlds";
export * from "./words";
export * from "./templates";
export * from "./parsers";
export * from "./datasets";
export * from "./loaders";
export * from "./captions";
