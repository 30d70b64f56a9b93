// src/umm: tokenizers, the unified architectures, LoRA, objectives, samplers and checkpoints.
export * from "./text-tokenizer";
export * from "./image-tokenizer";
export * from "./layout";
export * from "./arch";
export * from "./lora";
export * from "./objectives";
export * from "./shape";
export * from "./model";
export * from "./sampler";
export * from "./checkpoint";
export * from "./world-tokenizers";
export * from "./tally";
