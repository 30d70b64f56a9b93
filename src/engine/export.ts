// Export of a forward graph with its weights as a standalone .onnx file.

import { ConstData, Graph } from "./graph";
import { emitModel } from "./onnx";
import { ParamStore } from "./params";
import { writeFileAtomic } from "./safetensors";

/**
 * Writes the nodes needed for `outputs` with every parameter baked in as an initializer, so any
 * onnxruntime (or other ONNX runtime) runs the file with the graph's data inputs alone.
 */
export function exportOnnx(graph: Graph, params: ParamStore, file: string, outputs: readonly string[], metadata: Record<string, string> = {}): Uint8Array {
  const bytes = emitModel(graph, {
    outputs,
    paramData: (p): ConstData => {
      const t = params.get(p.name);
      return { dtype: "float32", shape: t.shape, data: t.data };
    },
    metadata,
  });
  writeFileAtomic(file, bytes);
  return bytes;
}
