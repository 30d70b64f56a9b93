// src/core: small helpers shared by every layer (seeded rng, package paths, atomic writes, grouping,
// edit distance, field schemas, the input-error class, cross-process locks, YAML/JSON data files), with
// no heavy imports (no onnxruntime, sharp or tesseract), so figures, tables and the run store load fast
// on their own.
export { writeFileAtomic } from "./atomic";
export { byKey } from "./group";
export { freePort } from "./net";
export { Rng, hashString } from "./rng";
export { packageRoot, dataPath } from "./paths";
export { editDistance, didYouMean } from "./text";
export { TaskError } from "./errors";
export { SpecError, checkField, validateFields, kebab, omit } from "./fields";
export type { Field, FieldType, ArgsOf, InputOf } from "./fields";
export { acquireLock, alive } from "./lock";
export { readDataFile } from "./data-file";
