// src/eval: the detector, OCR, GenEval-style verdicts, metrics and calibration.
export * from "./detector";
export * from "./geneval";
export * from "./ocr";
export * from "./metrics";
export * from "./calibrate";
export * from "./feature-net";
export * from "./paired";
export * from "./cka";
export * from "./probe";
