// A model's shape: the one list of fields (family, width, depth, heads, MLP ratio, tied head, cell
// positions, fresh-weight initialisation) that `UnifiedModel.create`, pretraining's flags and chain
// files read, with each field's default and range stated once.

import { ArgsOf, validateFields } from "../core/fields";

export const MODEL_SHAPE_FIELDS = [
  { name: "arch", type: "string", help: "the architecture family", default: "shared-unified" },
  { name: "d", type: "integer", help: "model width", default: 128, min: 1, max: 4096 },
  { name: "layers", type: "integer", help: "transformer layers", default: 4, min: 1, max: 64 },
  { name: "heads", type: "integer", help: "attention heads", default: 4, min: 1, max: 64 },
  { name: "mlpRatio", type: "integer", help: "MLP hidden size as a multiple of the width", default: 4, min: 1, max: 16 },
  { name: "tied", type: "boolean", help: "the output head shares the input embedding matrix", default: true },
  { name: "cellPositions", type: "boolean", help: "one shared learned embedding per image cell for both image slots", default: false },
  // "torch": linear layers U(±1/√fan_in), as torch.nn.Linear. "gpt2": N(0, 0.02) and the residual
  // projections (attn.o, mlp.down) N(0, 0.02/√(2·layers)), as GPT-2, so the 0.02-scale token and position
  // embeddings are not drowned by the residual branches; with "torch" a 4-layer model did not learn
  // word-to-position placement in 1,000 steps (models/README.md). Loading a model ignores it.
  { name: "weightInit", type: "string", help: "fresh linear weights: torch U(±1/√fan_in) or gpt2 N(0, 0.02)", default: "torch", choices: ["torch", "gpt2"] },
  // A 4-layer width-128 model trained on placement captions had not learned to put the object at the named
  // corner after 1,100 steps with 0.02 and had by step 300 with 0.1 (one seed each; `transferlab bench
  // placement` measures it over seeds): larger token vectors keep a word's identity from being drowned in
  // its position and in the residual branches. Loading a model ignores it.
  { name: "embStd", type: "number", help: "standard deviation of fresh token embeddings", default: 0.02, min: 1e-6, max: 1 },
  // "tally": before each drawing step the generator states, in the understanding answer's words, how many
  // objects of the asked class its canvas already holds ("There are **2** of circles in the image."), in
  // a slot after the image, and draws conditioned on that statement — plan-then-draw in its reflective
  // form: counting an image is the understanding computation, so an adapter that improves it can reach
  // the drawing through the statement (docs/lab.md, "Plan, then draw").
  {
    name: "plan",
    type: "string",
    help: "what the generator states before each drawing step: none, or a tally of its canvas",
    default: "none",
    choices: ["none", "tally"],
  },
] as const;

export type ModelShape = ArgsOf<typeof MODEL_SHAPE_FIELDS>;

/** The shipped miniature's shape: every field's default. */
export const DEFAULT_MODEL: Readonly<ModelShape> = Object.freeze(validateFields("model", MODEL_SHAPE_FIELDS, {}));

type ShapeField = (typeof MODEL_SHAPE_FIELDS)[number];

/** A shape field as the model declares it, for a flag list that takes it (one range and default everywhere). */
export function shapeField<N extends ShapeField["name"]>(name: N): Extract<ShapeField, { name: N }> {
  return MODEL_SHAPE_FIELDS.find((f) => f.name === name) as Extract<ShapeField, { name: N }>;
}
