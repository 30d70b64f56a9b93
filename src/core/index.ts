// src/core: small helpers shared by every layer, with no heavy imports (no onnxruntime, sharp or
// tesseract), so figures, tables and the run store load fast on their own.
export { writeFileAtomic } from "./atomic";
export { byKey } from "./group";
export { freePort } from "./net";
