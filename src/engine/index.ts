// src/engine: TypeScript defines a model once; onnxruntime-node runs its forward, backward and export.
export * from "./shape";
export * from "./graph";
export * as F from "./ops";
export { backward } from "./autodiff";
export { emitModel, OPSET, IR_VERSION, ModelProto } from "./onnx";
export * from "./runtime";
export * from "./params";
export * from "./rng";
export * from "./optim";
export * from "./safetensors";
export { TrainStep, StepResult } from "./train-step";
export { exportOnnx } from "./export";
