// Gradient rules, keyed by ONNX op type. Each op family registers the rules for the nodes it emits,
// next to the code that emits them; autodiff only looks rules up here.

import { Node, Value } from "../graph";

/**
 * Given a node, the gradients flowing into its outputs (null where an output gets none) and which inputs
 * need a gradient, returns one gradient per input (null where not needed or not defined). A rule must not
 * build work for inputs whose `needs` flag is false: that is how frozen weights stay free.
 */
export type GradRule = (node: Node, gy: (Value | null)[], needs: boolean[]) => (Value | null)[];

const rules = new Map<string, GradRule>();

export function registerGrad(op: string, rule: GradRule): void {
  rules.set(op, rule);
}

export function gradRule(op: string): GradRule | undefined {
  return rules.get(op);
}

/** Ops whose outputs carry no gradient (comparisons, shapes, integer results). */
export const NON_DIFFERENTIABLE = new Set(["Equal", "Less", "Greater", "Not", "And", "Or", "Shape", "ConstantOfShape", "Range", "ArgMax"]);
