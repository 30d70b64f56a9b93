// Reverse-mode autodiff: appends gradient nodes to the same graph.
//
// One walk over the nodes in reverse creation order (creation order is topological). Only nodes that lie
// on a path from a chosen parameter to the loss get gradient work, and each rule is told which inputs need
// a gradient, so frozen weights (the base model under LoRA) cost nothing but the activations' backward.

import { FLOAT_TYPES, Value } from "./graph";
import { add } from "./ops/elementwise";
import { expand, zeros } from "./ops/shape-ops";
import { NON_DIFFERENTIABLE, gradRule } from "./ops/registry";

export function backward(loss: Value, wrt: readonly Value[]): Map<Value, Value> {
  const g = loss.graph;
  if (!FLOAT_TYPES.includes(loss.dtype)) throw new Error(`backward: loss must be a float tensor, got ${loss}`);
  const nodes = g.nodes.slice(); // gradient nodes appended below are not walked

  // Values that depend on some chosen parameter.
  const depends = new Set<Value>(wrt);
  for (const n of nodes) {
    if (NON_DIFFERENTIABLE.has(n.op)) continue;
    if (n.inputs.some((i) => i && depends.has(i))) for (const o of n.outputs) if (FLOAT_TYPES.includes(o.dtype)) depends.add(o);
  }

  const grads = new Map<Value, Value>();
  const accumulate = (v: Value, gv: Value) => {
    const prev = grads.get(v);
    grads.set(v, prev ? add(prev, gv) : gv);
  };
  if (depends.has(loss)) accumulate(loss, expand(g.scalar(1, loss.dtype), loss.shape));

  for (let i = nodes.length - 1; i >= 0; i--) {
    const n = nodes[i]!;
    const gys = n.outputs.map((o) => grads.get(o) ?? null);
    if (gys.every((x) => x === null)) continue;
    // Auxiliary outputs (LayerNorm's mean, the loss op's log-probabilities) carry no gradient of their own.
    if (gys[0] === null && n.op !== "Split") continue;
    const needs = n.inputs.map((x) => x !== null && depends.has(x));
    if (!needs.some(Boolean)) continue;
    const rule = gradRule(n.op);
    if (!rule) throw new Error(`backward: no gradient rule for op ${n.op} (node output ${n.outputs[0]})`);
    const gxs = rule(n, gys, needs);
    n.inputs.forEach((x, k) => {
      const gx = gxs[k];
      if (x && needs[k] && gx) accumulate(x, gx);
    });
  }

  const out = new Map<Value, Value>();
  for (const p of wrt) out.set(p, grads.get(p) ?? zeros(p.graph.scalar(0, p.dtype), p.shape));
  return out;
}
