// A compiled training step: forward, backward and the gradients of the chosen parameters in one
// onnxruntime session. The optimizer update then runs on the returned gradients (src/engine/optim).

import type * as ort from "onnxruntime-node";
import { backward } from "./autodiff";
import { Graph, Value } from "./graph";
import { ParamStore, feedsFrom } from "./params";
import { Compiled, RuntimeOptions, compile } from "./runtime";

export interface StepResult {
  loss: number;
  grads: Map<string, Float32Array>;
  /** Any other requested outputs, by name. */
  extra: Record<string, ort.Tensor>;
}

export class TrainStep {
  private constructor(
    readonly graph: Graph,
    readonly compiled: Compiled,
    readonly trainable: readonly string[],
    readonly extraOutputs: readonly string[],
  ) {}

  /**
   * Appends the backward pass for `trainable` (default: every parameter) to the graph and compiles
   * loss + gradients. Parameters not listed are frozen: no gradient work is emitted for them.
   */
  static async create(
    graph: Graph,
    loss: Value,
    opts: RuntimeOptions & { trainable?: readonly string[] | ((name: string) => boolean); extraOutputs?: readonly string[] } = {},
  ): Promise<TrainStep> {
    const pick = opts.trainable;
    const wrt = graph.params.filter((p) => (pick === undefined ? true : typeof pick === "function" ? pick(p.name) : pick.includes(p.name)));
    if (Array.isArray(pick)) {
      const unknown = pick.filter((n) => !graph.paramByName(n));
      if (unknown.length) throw new Error(`TrainStep: trainable names ${unknown.join(", ")} are not parameters of graph "${graph.name}"`);
    }
    if (wrt.length === 0) throw new Error(`TrainStep: no trainable parameters selected in graph "${graph.name}"`);
    const grads = backward(loss, wrt);
    if (!graph.outputs.has("loss")) graph.output("loss", loss);
    for (const [p, gv] of grads) graph.output(`grad.${p.name}`, gv);
    const outputs = ["loss", ...(opts.extraOutputs ?? []), ...wrt.map((p) => `grad.${p.name}`)];
    const compiled = await compile(graph, { outputs }, opts);
    return new TrainStep(
      graph,
      compiled,
      wrt.map((p) => p.name),
      opts.extraOutputs ?? [],
    );
  }

  /** Runs one forward + backward on the batch, with parameters read from the store(s). */
  async run(params: ParamStore | readonly ParamStore[], batch: Record<string, ort.Tensor>): Promise<StepResult> {
    const stores = params instanceof ParamStore ? [params] : params;
    const out = await this.compiled.run({ ...feedsFrom(this.graph, stores), ...batch });
    const grads = new Map<string, Float32Array>();
    for (const name of this.trainable) grads.set(name, out[`grad.${name}`]!.data as Float32Array);
    const extra: Record<string, ort.Tensor> = {};
    for (const name of this.extraOutputs) extra[name] = out[name]!;
    return { loss: Number((out["loss"]!.data as Float32Array)[0]), grads, extra };
  }
}
