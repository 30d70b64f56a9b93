// Building the map of where transfer appears from one spec file: `transferlab map SPEC --root
// runs/map --out models/transfer-map.json`. The spec names each condition (a `transfer` call with its
// hypothesis and verdict), each study beside them (C.5's `compose`, Fig. 8's `joint`), the condition whose
// runs the representation-sharing diagnostic reads and the condition whose validation curves are kept.
// Runs are the run store's (finished ones reused); each entry's output is cached under <root>/map-cache
// by its arguments and base, so adding a condition costs that condition only.

import * as fs from "node:fs";
import * as path from "node:path";
import { writeFileAtomic } from "../../core/atomic";
import { isObject, readDataFile } from "../../core/data-file";
import { SpecError, kebab } from "../../core/fields";
import { didYouMean } from "../../core/text";
import { firstDifference } from "../../core/json-difference";
import * as E from "../../eval";
import type { Hooks } from "../hooks";
import type { Lab } from "../lab";
import { specKey } from "../store/run-store";
import { validateSpec } from "../specs";
import { LOWER_IS_BETTER, Table, paperResults } from "./tables";
import { table1Rows } from "./table1";
import type { MapCondition, MapStudy, TransferMap } from "./transfer-map";
import { TRAINING_FIELDS } from "../verbs/fields";
import { DEFAULT_PROTOCOL, keyedProtocol } from "../training/spec";
import type { Protocol } from "../worlds";

type Row = Record<string, unknown>;

const DIRECTIONS = ["und→gen", "gen→gen", "gen→und", "und→und"];
const EXPECTS = ["gain", "loss", "none"] as const;
/**
 * What a confirmatory condition declares before its test sets are read: the direction and metric of an
 * effect and whether it is expected to be a gain (interval wholly on the better side), a loss, or none
 * (interval across 0). The map then says mechanically whether each held; a condition without predictions
 * is exploratory.
 */
export interface Prediction {
  direction: string;
  metric: string;
  expect: (typeof EXPECTS)[number];
}
type StudyVerb = "compose" | "joint";

export interface MapSpec {
  file: string;
  base: string;
  protocol: string;
  conditions: { id: string; hypothesis: string; verdict: string; transfer: Row; directions?: string[]; predictions?: Prediction[] }[];
  /** Each call's validated arguments and the fields the spec wrote (its command line shows those). */
  studies: { id: string; question: string; verdict: string; verb: StudyVerb; runs: { label?: string; args: Row; written: string[] }[] }[];
  sharing?: { of: string; args: Row };
  curves?: { of: string };
  /** Table 1 in miniature: the conditions (one per architecture family) whose transfer both ways is set beside the paper's. */
  table1?: string[];
  /** How one effect changes with the base's size, over conditions that differ in their base only. */
  trends?: TrendSpec[];
  /** One effect on two conditions set against each other (e.g. two families' bases): Δ(second) − Δ(first). */
  contrasts?: ContrastSpec[];
}

export interface ContrastSpec {
  id: string;
  question: string;
  /** Two condition ids: the difference is the second's Δ minus the first's. */
  between: [string, string];
  direction: string;
  metric: string;
}

export interface TrendSpec {
  id: string;
  question: string;
  /** The conditions, one per base; x is log2 of each base's parameters. */
  over: string[];
  direction: string;
  metric: string;
}

function fieldsOf(at: string, o: unknown, allowed: string[], required: string[]): Row {
  if (!isObject(o)) throw new SpecError(`${at}: expected an object with ${required.join(", ")}`);
  for (const k of Object.keys(o))
    if (!allowed.includes(k)) throw new SpecError(`${at}.${k}: unknown field (allowed: ${allowed.join(", ")})${didYouMean(k, allowed)}`);
  for (const k of required) if (o[k] === undefined) throw new SpecError(`${at}.${k}: required`);
  for (const k of ["id", "hypothesis", "question", "verdict", "base", "protocol", "of", "label"])
    if (o[k] !== undefined && typeof o[k] !== "string") throw new SpecError(`${at}.${k}: expected a string`);
  return o;
}

function predictionsOf(at: string, raw: unknown): Prediction[] {
  if (!Array.isArray(raw) || raw.length === 0) throw new SpecError(`${at}: expected a non-empty list of {direction, metric, expect}`);
  return raw.map((p, i) => {
    const o = fieldsOf(`${at}[${i}]`, p, ["direction", "metric", "expect"], ["direction", "metric", "expect"]);
    if (!DIRECTIONS.includes(o["direction"] as string))
      throw new SpecError(`${at}[${i}].direction: ${JSON.stringify(o["direction"])} is not allowed (allowed: ${DIRECTIONS.join(", ")})`);
    if (typeof o["metric"] !== "string") throw new SpecError(`${at}[${i}].metric: expected a metric name (accuracy, mad, class_share, …)`);
    if (!(EXPECTS as readonly string[]).includes(o["expect"] as string))
      throw new SpecError(`${at}[${i}].expect: ${JSON.stringify(o["expect"])} is not allowed (allowed: ${EXPECTS.join(", ")})`);
    return { direction: o["direction"] as string, metric: o["metric"] as string, expect: o["expect"] as Prediction["expect"] };
  });
}

/** Whether a declared prediction held on the measured effect (a gain is an interval wholly on the better side). */
export function predictionHeld(p: Prediction, effects: readonly Row[]): { held: boolean; statement: string } {
  const e = effects.find((x) => x["direction"] === p.direction && x["metric"] === p.metric);
  if (!e) throw new SpecError(`prediction ${p.direction} ${p.metric}: the condition measured no such effect`);
  const better = (e["better"] as string) ?? "higher";
  const verdict = e["verdict"] as string;
  // No pair differs (every image scores the same before and after): the data cannot tell, so no
  // prediction about this effect can hold — "none" included.
  if (verdict === "null" && Number(e["lo"]) === Number(e["hi"]))
    return { held: false, statement: `${p.direction} ${p.metric}: ${p.expect} predicted; ${e["statement"] as string} — cannot be judged` };
  const gain = verdict !== "null" && (verdict === "positive") === (better === "higher");
  const loss = verdict !== "null" && !gain;
  const held = p.expect === "gain" ? gain : p.expect === "loss" ? loss : verdict === "null";
  return { held, statement: `${p.direction} ${p.metric}: ${p.expect} predicted; ${e["statement"] as string} — ${held ? "held" : "did not hold"}` };
}

/** A verb's arguments inside the map spec, validated with the verb's own schema; errors name the entry. */
function verbArgs(at: string, verb: "transfer" | StudyVerb | "sharing", raw: unknown): Row {
  if (!isObject(raw)) throw new SpecError(`${at}: expected the ${verb} call's fields as an object`);
  try {
    return validateSpec(verb, raw) as Row;
  } catch (e) {
    throw new SpecError(`${at}: ${(e as Error).message}`);
  }
}

/** Reads and validates a map spec (YAML or JSON). */
export function readMapSpec(file: string): MapSpec {
  const v = readDataFile(file);
  const top = fieldsOf(
    file,
    v,
    ["base", "protocol", "conditions", "studies", "sharing", "curves", "table1", "trends", "contrasts"],
    ["base", "protocol", "conditions"],
  );
  if (!Array.isArray(top["conditions"]) || top["conditions"].length === 0) throw new SpecError(`${file}.conditions: expected a non-empty list`);
  const ids = new Set<string>();
  const unique = (at: string, id: string) => {
    if (ids.has(id)) throw new SpecError(`${at}.id: "${id}" is used twice (allowed: an id of its own)`);
    ids.add(id);
  };
  const conditions = (top["conditions"] as unknown[]).map((raw, i) => {
    const at = `${file}.conditions[${i}]`;
    const c = fieldsOf(at, raw, ["id", "hypothesis", "verdict", "transfer", "directions", "predictions"], ["id", "hypothesis", "transfer"]);
    unique(at, c["id"] as string);
    const directions = c["directions"];
    if (directions !== undefined && (!Array.isArray(directions) || directions.some((d) => !["und→gen", "gen→gen", "gen→und", "und→und"].includes(d))))
      throw new SpecError(`${at}.directions: expected a list of und→gen, gen→gen, gen→und, und→und`);
    const predictions = c["predictions"] === undefined ? undefined : predictionsOf(`${at}.predictions`, c["predictions"]);
    return {
      id: c["id"] as string,
      hypothesis: c["hypothesis"] as string,
      verdict: (c["verdict"] as string | undefined) ?? "",
      transfer: verbArgs(`${at} ("${c["id"]}").transfer`, "transfer", c["transfer"]),
      ...(directions ? { directions: directions as string[] } : {}),
      ...(predictions ? { predictions } : {}),
    };
  });
  const studies = ((top["studies"] ?? []) as unknown[]).map((raw, i) => {
    const at = `${file}.studies[${i}]`;
    const s = fieldsOf(at, raw, ["id", "question", "verdict", "compose", "joint"], ["id", "question"]);
    unique(at, s["id"] as string);
    const verbs = (["compose", "joint"] as const).filter((k) => s[k] !== undefined);
    if (verbs.length !== 1) throw new SpecError(`${at}: expected exactly one of compose, joint (the calls the study makes)`);
    const verb = verbs[0]!;
    const calls = Array.isArray(s[verb]) ? (s[verb] as unknown[]) : [s[verb]];
    const runs = calls.map((call, j) => {
      const where = `${at} ("${s["id"]}").${verb}[${j}]`;
      const { label, ...args } = isObject(call) ? call : {};
      if (label !== undefined && typeof label !== "string") throw new SpecError(`${where}.label: expected a string`);
      if (calls.length > 1 && label === undefined) throw new SpecError(`${where}.label: required when a study makes several calls`);
      return {
        ...(label !== undefined ? { label: label as string } : {}),
        args: verbArgs(where, verb, isObject(call) ? args : call),
        written: Object.keys(args),
      };
    });
    return { id: s["id"] as string, question: s["question"] as string, verdict: (s["verdict"] as string | undefined) ?? "", verb, runs };
  });
  const conditionIds = conditions.map((c) => c.id);
  const refer = (at: string, of: unknown) => {
    if (typeof of !== "string" || !conditionIds.includes(of))
      throw new SpecError(`${at}.of: ${JSON.stringify(of)} is not a condition (allowed: ${conditionIds.join(", ")})`);
    return of;
  };
  let sharing: MapSpec["sharing"];
  if (top["sharing"] !== undefined) {
    const s = fieldsOf(`${file}.sharing`, top["sharing"], ["of", "scenes", "seed"], ["of"]);
    const { of, ...args } = s;
    sharing = { of: refer(`${file}.sharing`, of), args: verbArgs(`${file}.sharing`, "sharing", args) };
  }
  let curves: MapSpec["curves"];
  if (top["curves"] !== undefined) curves = { of: refer(`${file}.curves`, fieldsOf(`${file}.curves`, top["curves"], ["of"], ["of"])["of"]) };
  let table1: string[] | undefined;
  if (top["table1"] !== undefined) {
    if (!Array.isArray(top["table1"]) || top["table1"].length === 0) throw new SpecError(`${file}.table1: expected a non-empty list of condition ids`);
    table1 = (top["table1"] as unknown[]).map((of, i) => refer(`${file}.table1[${i}]`, of));
  }
  // A trend (`over`: two or more conditions) or a contrast (`between`: exactly two): conditions, one effect.
  const across = (key: "trends" | "contrasts", list: "over" | "between") => {
    if (top[key] === undefined) return undefined;
    if (!Array.isArray(top[key])) throw new SpecError(`${file}.${key}: expected a list of {id, question, ${list}, direction, metric}`);
    return (top[key] as unknown[]).map((raw, i) => {
      const at = `${file}.${key}[${i}]`;
      const t = fieldsOf(at, raw, ["id", "question", list, "direction", "metric"], ["id", "question", list, "direction", "metric"]);
      unique(at, t["id"] as string);
      const ids = t[list];
      if (list === "over" ? !Array.isArray(ids) || ids.length < 2 : !Array.isArray(ids) || ids.length !== 2)
        throw new SpecError(`${at}.${list}: expected a list of ${list === "over" ? "at least 2" : "exactly 2"} condition ids`);
      const conds = (ids as unknown[]).map((of, j) => {
        if (typeof of !== "string" || !conditionIds.includes(of))
          throw new SpecError(`${at}.${list}[${j}]: ${JSON.stringify(of)} is not a condition (allowed: ${conditionIds.join(", ")})`);
        return of;
      });
      if (!DIRECTIONS.includes(t["direction"] as string))
        throw new SpecError(`${at}.direction: ${JSON.stringify(t["direction"])} is not allowed (allowed: ${DIRECTIONS.join(", ")})`);
      if (typeof t["metric"] !== "string") throw new SpecError(`${at}.metric: expected a metric name (accuracy, mad, class_share, …)`);
      return { id: t["id"] as string, question: t["question"] as string, conds, direction: t["direction"] as string, metric: t["metric"] as string };
    });
  };
  const trends: TrendSpec[] | undefined = across("trends", "over")?.map(({ conds, ...t }) => ({ ...t, over: conds }));
  const contrasts: ContrastSpec[] | undefined = across("contrasts", "between")?.map(({ conds, ...t }) => ({ ...t, between: [conds[0]!, conds[1]!] }));
  return {
    file,
    base: top["base"] as string,
    protocol: top["protocol"] as string,
    conditions,
    studies,
    ...(sharing ? { sharing } : {}),
    ...(curves ? { curves } : {}),
    ...(table1 ? { table1 } : {}),
    ...(trends ? { trends } : {}),
    ...(contrasts ? { contrasts } : {}),
  };
}

/**
 * The part of a map spec that `ids` name (conditions and studies; `map --only`): what refers to a left-out
 * condition (sharing, curves, Table 1's rows) is left out with it. An id the spec lacks is an error
 * naming the spec's ids. The entries keep their ids and arguments, so they share the full map's cache.
 */
export function onlyEntries(spec: MapSpec, ids: readonly string[]): MapSpec {
  const all = [...spec.conditions.map((c) => c.id), ...spec.studies.map((s) => s.id)];
  for (const id of ids) if (!all.includes(id)) throw new SpecError(`--only: "${id}" is not an entry of ${spec.file} (allowed: ${all.join(", ")})`);
  const conditions = spec.conditions.filter((c) => ids.includes(c.id));
  const kept = (of: string) => conditions.some((c) => c.id === of);
  const table1 = spec.table1?.filter(kept);
  return {
    file: spec.file,
    base: spec.base,
    protocol: spec.protocol,
    conditions,
    studies: spec.studies.filter((s) => ids.includes(s.id)),
    ...(spec.sharing && kept(spec.sharing.of) ? { sharing: spec.sharing } : {}),
    ...(spec.curves && kept(spec.curves.of) ? { curves: spec.curves } : {}),
    ...(table1?.length ? { table1 } : {}),
  };
}

type MapVerb = "transfer" | StudyVerb | "sharing";

/** The lists of each verb's output the map reads: a cached output without them is recomputed. */
const OUTPUT_LISTS: Record<MapVerb, string[]> = {
  transfer: ["effects", "strength", "runs"],
  compose: ["effects", "table", "runs"],
  joint: ["changes", "curve", "runs"],
  sharing: ["table"],
};

/**
 * The arguments that decide an entry's output: `force`, `resume` and `workers` change how runs are reached,
 * not what they give; a training verb's protocol as its runs' keys hold it (a condition that names none follows the
 * default protocol, one that names its world's first protocol keeps the key it had).
 */
function outputArgs(verb: MapVerb, args: Row): Row {
  const { force: _f, resume: _r, workers: _w, dataSeed, valPrompts, ...keyed } = args;
  if (verb === "sharing") return keyed;
  const task = (args["task"] as string | undefined) ?? (verb === "compose" ? "compose" : "counting");
  return { ...keyed, ...keyedProtocol(task, { dataSeed, valPrompts } as Partial<Protocol>) };
}

/**
 * Where an entry's output is cached: <cache>/<entry>-<key of the verb, its arguments and the base's
 * weights>.json, the cache folder <root>/map-cache unless given. The key holds no machine's path (the base
 * by folder name and weights hash), so a committed cache serves any checkout.
 */
export function mapCacheFile(lab: Lab, what: string, verb: MapVerb, args: Row, cache = path.join(lab.store.root, "map-cache")): string {
  const keyed = outputArgs(verb, args);
  const key = specKey({ verb, args: keyed, base: lab.base(args["base"] as string | undefined).id });
  return path.join(cache, `${what}-${key}.json`);
}

/** A verb call's JSON-able output: tables as rows, the rest as is. */
function plain(r: unknown): Row {
  const out: Row = {};
  for (const [k, v] of Object.entries(r as Row)) out[k] = v && typeof (v as Table).objects === "function" ? (v as Table).objects() : v;
  return out;
}

/**
 * Builds the map. Each entry's output is read from <root>/map-cache when its arguments and base are
 * unchanged (`recompute` ignores the cache; runs are still reused by the run store).
 */
export async function buildMap(
  lab: Lab,
  spec: MapSpec,
  opts: { recompute?: boolean; log?: (s: string) => void; hooks?: Hooks; created?: string; workers?: number; cache?: string } = {},
): Promise<TransferMap> {
  const log = opts.log ?? (() => {});
  const call = async (what: string, verb: MapVerb, args: Row): Promise<Row> => {
    try {
      const file = mapCacheFile(lab, what, verb, args, opts.cache);
      if (!opts.recompute && fs.existsSync(file)) {
        let cached: unknown;
        try {
          cached = JSON.parse(fs.readFileSync(file, "utf8"));
        } catch {
          // unreadable (a crash mid-write cannot leave one: writes are atomic; a hand edit can)
        }
        const missing = isObject(cached) ? OUTPUT_LISTS[verb].filter((k) => !Array.isArray(cached[k])) : OUTPUT_LISTS[verb];
        if (!missing.length) {
          log(`${what}: cached (${file})`);
          return cached as Row;
        }
        log(`${what}: ${file} lacks ${missing.join(", ")}; recomputing`);
      }
      log(`${what}: ${verb} ${JSON.stringify(outputArgs(verb, args))}`);
      // A map outlives sessions: a run killed mid-way resumes from its checkpoint (the same run to the bit)
      // unless the entry forces its runs to start over.
      const reach =
        verb === "transfer" || verb === "compose"
          ? { ...args, ...(args["force"] ? {} : { resume: true }), ...(verb === "transfer" && opts.workers ? { workers: opts.workers } : {}) }
          : args;
      const out = plain(await lab.call(verb, reach, opts.hooks ?? {}));
      fs.mkdirSync(path.dirname(file), { recursive: true });
      writeFileAtomic(file, JSON.stringify(out) + "\n");
      return out;
    } catch (e) {
      // A bad input (a base that is not there, a run that is locked) names the entry it belongs to.
      if (e instanceof SpecError) throw new SpecError(`${spec.file}: entry "${what}": ${e.message}`);
      throw e;
    }
  };
  const withBetter = (e: Row): Row => ({ ...e, better: e["better"] ?? (LOWER_IS_BETTER.has(e["metric"] as string) ? "lower" : "higher") });
  const conditions: MapCondition[] = [];
  const runsOf = new Map<string, string[]>();
  // Beside Table 1, each family's pathways: the sharing diagnostic on each Table 1 condition's base and
  // adapters (the size of the map's own sharing entry, else 256 scenes), so what is shared and what transfers
  // (and interferes) are read together. It reads the condition's adapters, which live in the run store, so
  // it is computed (and cached) right after the condition's runs: a map built over several sessions keeps it.
  const table1SharingArgs = (id: string): Row => {
    const base = spec.conditions.find((x) => x.id === id)!.transfer["base"] as string | undefined;
    return spec.sharing?.of === id
      ? { ...spec.sharing.args, adapter: runsOf.get(id)! }
      : { scenes: (spec.sharing?.args["scenes"] as number | undefined) ?? 256, ...(base ? { base } : {}), adapter: runsOf.get(id)! };
  };
  for (const c of spec.conditions) {
    const out = await call(c.id, "transfer", c.transfer);
    runsOf.set(c.id, out["runs"] as string[]);
    if (spec.table1?.includes(c.id)) await call(`sharing-${c.id}`, "sharing", table1SharingArgs(c.id));
    const keep = (e: Row) => !c.directions || c.directions.includes(e["direction"] as string);
    const settings = conditionSettings(lab, c);
    const effects = (out["effects"] as Row[]).filter(keep).map(withBetter);
    conditions.push({
      id: c.id,
      hypothesis: c.hypothesis,
      settings,
      runs: out["runs"] as string[],
      verdict: c.verdict,
      ...(c.predictions ? { predictions: c.predictions.map((p) => ({ ...p, ...predictionHeld(p, effects) })) } : {}),
      effects,
      ...(Array.isArray(out["grids"]) ? { grids: (out["grids"] as Row[]).filter(keep) } : {}),
      // A condition read in some directions only was not selected for the others: no strength.
      strength: c.directions
        ? []
        : (out["strength"] as Row[]).map((s) =>
            Object.fromEntries(["direction", "metric", "baseline", "transfer", "direct", "strength", "lo", "hi", "note"].map((k) => [k, s[k] ?? null])),
          ),
    });
  }
  const studies: MapStudy[] = [];
  for (const s of spec.studies) {
    const outs: { label?: string; out: Row }[] = [];
    for (const [j, r] of s.runs.entries()) outs.push({ ...(r.label ? { label: r.label } : {}), out: await call(`${s.id}-${j}`, s.verb, r.args) });
    const labelled = (rows: Row[], label?: string) => rows.map((e) => (label ? { ...e, direction: `${e["direction"]}, ${label}` } : e));
    const command = studyCommand(s);
    const first = outs[0]!.out;
    studies.push({
      id: s.id,
      question: s.question,
      command,
      verdict: s.verdict || ((first["pattern"] as string | undefined) ?? ""),
      effects: outs.flatMap(({ label, out }) => labelled((out["effects"] ?? out["changes"] ?? []) as Row[], label)),
      ...(first["table"] ? { table: outs.flatMap(({ label, out }) => ((out["table"] ?? []) as Row[]).map((r) => (label ? { ...r, call: label } : r))) } : {}),
      // The pooled curve (seed null): the runs' own curves are in the run store.
      ...(first["curve"] ? { curve: (first["curve"] as Row[]).filter((r) => r["seed"] === null && ["accuracy", "mad"].includes(r["metric"] as string)) } : {}),
    });
  }
  let sharing: Row[] = [];
  if (spec.sharing) {
    const out = await call(`sharing-${spec.sharing.of}`, "sharing", { ...spec.sharing.args, adapter: runsOf.get(spec.sharing.of)! });
    sharing = out["table"] as Row[];
  }
  const table1Sharing: Row[] = [];
  for (const id of spec.table1 ?? []) {
    const c = conditions.find((x) => x.id === id)!;
    const out = await call(`sharing-${id}`, "sharing", table1SharingArgs(id));
    table1Sharing.push(...(out["table"] as Row[]).map((r) => ({ family: c.settings["arch"], condition: id, ...r })));
  }
  const curves: Row[] = [];
  if (spec.curves) {
    for (const name of runsOf.get(spec.curves.of)!) {
      const runSpec = lab.store.run(name).spec();
      for (const m of lab.store.run(name).metrics()) {
        if (m.side === "train" || !["accuracy", "mad"].includes(m.metric)) continue;
        curves.push({
          run: name,
          objective: runSpec["objective"],
          seed: runSpec["seed"],
          step: m.step,
          side: m.side,
          metric: m.metric,
          value: m.value,
          lo: m.lo,
          hi: m.hi,
        });
      }
    }
  }
  return {
    base: spec.base,
    created: opts.created ?? new Date().toISOString().slice(0, 10),
    protocol: spec.protocol,
    conditions,
    sharing,
    curves,
    studies,
    ...(spec.table1
      ? {
          table1: table1Rows(
            spec.table1.map((id) => conditions.find((c) => c.id === id)!),
            paperResults(),
          ),
          table1_sharing: table1Sharing,
        }
      : {}),
    ...(spec.trends ? { trends: trendRows(lab, spec, conditions) } : {}),
    ...(spec.contrasts ? { contrasts: contrastRows(lab, spec, conditions) } : {}),
  };
}

/**
 * One effect of several conditions: each point's Δ with its interval (and its base's parameters), the cells a
 * bootstrap across them reads, and what is missing — a condition not in the map yet, or built before effects kept
 * their cells.
 */
function effectPoints(lab: Lab, spec: MapSpec, conditions: readonly MapCondition[], what: string, ids: readonly string[], direction: string, metric: string) {
  const points: Row[] = [];
  const grids: { params: number; cells: E.CellGrid }[] = [];
  const waits: string[] = [];
  let better: "higher" | "lower" = LOWER_IS_BETTER.has(metric) ? "lower" : "higher";
  for (const id of ids) {
    const c = conditions.find((x) => x.id === id);
    if (!c) {
      waits.push(`${id} (not in the map yet)`);
      continue;
    }
    const e = c.effects.find((x) => x["direction"] === direction && x["metric"] === metric);
    if (!e) throw new SpecError(`${spec.file}: ${what}: condition "${id}" measured no ${direction} ${metric}`);
    better = (e["better"] as "higher" | "lower" | undefined) ?? better;
    const base = c.settings["base"] as string | undefined;
    const { model, id: baseId } = lab.base(base);
    const params = model.base.count();
    points.push({ condition: id, arch: c.settings["arch"], base: baseId, params, delta: e["delta"], lo: e["lo"], hi: e["hi"] });
    const g = c.grids?.find((x) => x["direction"] === direction && x["metric"] === metric);
    if (g) grids.push({ params, cells: g as unknown as E.CellGrid });
    else waits.push(`${id}'s cells (built before the map kept them: rebuild it with --only ${id} --recompute)`);
  }
  return { points, grids, waits, better };
}

/**
 * Each trend of the spec over the map's conditions: every point's paired effect (Δ with its interval) at its
 * base's size, and the slope of Δ per doubling of parameters with a joint bootstrap over the points' cells
 * (E.effectTrend). A trend whose conditions are not all in the map yet lists the points it has and says what it
 * waits for.
 */
export function trendRows(lab: Lab, spec: MapSpec, conditions: readonly MapCondition[]): Row[] {
  return (spec.trends ?? []).map((t) => {
    const { points, grids, waits, better } = effectPoints(lab, spec, conditions, `trend "${t.id}"`, t.over, t.direction, t.metric);
    const head = { id: t.id, question: t.question, direction: t.direction, metric: t.metric, better, points };
    if (waits.length) return { ...head, slope: null, lo: null, hi: null, verdict: null, statement: "", note: `waits for ${waits.join(", ")}` };
    const tr = E.effectTrend(
      grids.map((g) => ({ x: Math.log2(g.params), cells: g.cells })),
      { better },
    );
    return {
      ...head,
      slope: tr.estimate,
      lo: tr.lo,
      hi: tr.hi,
      verdict: tr.verdict,
      bound: tr.bound,
      statement: `${tr.statement} per doubling of parameters`,
      note: "",
    };
  });
}

/**
 * Each contrast of the spec: the second condition's paired effect minus the first's, one bootstrap draw of
 * prompts serving both and each condition's runs drawn on their own (E.effectContrast), or what it waits for.
 */
export function contrastRows(lab: Lab, spec: MapSpec, conditions: readonly MapCondition[]): Row[] {
  return (spec.contrasts ?? []).map((t) => {
    const { points, grids, waits, better } = effectPoints(lab, spec, conditions, `contrast "${t.id}"`, t.between, t.direction, t.metric);
    const head = { id: t.id, question: t.question, direction: t.direction, metric: t.metric, better, points };
    if (waits.length) return { ...head, difference: null, lo: null, hi: null, verdict: null, statement: "", note: `waits for ${waits.join(", ")}` };
    const d = E.effectContrast(grids[0]!.cells, grids[1]!.cells, { better });
    return {
      ...head,
      difference: d.estimate,
      lo: d.lo,
      hi: d.hi,
      verdict: d.verdict,
      bound: d.bound,
      statement: `${d.statement}: ${t.between[1]} − ${t.between[0]}`,
      note: "",
    };
  });
}

/**
 * What defines a condition's runs, as the map records them: its base and the family of it, task, training
 * fields, the protocol (also where left to the default), one objective's own fields and the sampler.
 */
export function conditionSettings(lab: Lab, c: MapSpec["conditions"][number]): Row {
  const settings: Row = {};
  if (c.transfer["base"] !== undefined) settings["base"] = c.transfer["base"];
  settings["task"] = c.transfer["task"] ?? "counting";
  for (const f of TRAINING_FIELDS) settings[f] = c.transfer[f];
  for (const [k, v] of Object.entries(DEFAULT_PROTOCOL)) settings[k] = c.transfer[k] ?? v;
  for (const side of ["und", "gen"]) if (c.transfer[side] !== undefined) settings[side] = c.transfer[side];
  const { model } = lab.base(c.transfer["base"] as string | undefined);
  settings["arch"] = model.config.arch;
  settings["cfg"] = c.transfer["cfg"] ?? model.samplerCfg;
  for (const f of ["samplerSteps", "temperature"]) if (c.transfer[f] !== undefined) settings[f] = c.transfer[f];
  return settings;
}

/**
 * A map built over several sessions (`map --only` into an existing --out): the entries just built replace
 * theirs, and every other entry of the spec is kept from the earlier file — a condition only while the
 * spec still defines it with the settings the file records (else an error naming the first field that
 * differs: rebuild it too), a study only while its command is the spec's. Entries the file lacks stay out;
 * the order is the spec's.
 */
export function mergeMaps(lab: Lab, spec: MapSpec, earlier: TransferMap, built: TransferMap, builtIds: readonly string[]): TransferMap {
  const rebuilt = new Set(builtIds);
  const conditions: MapCondition[] = [];
  for (const c of spec.conditions) {
    const fresh = built.conditions.find((x) => x.id === c.id);
    if (rebuilt.has(c.id) && fresh) {
      conditions.push(fresh);
      continue;
    }
    const old = earlier.conditions.find((x) => x.id === c.id);
    if (!old) continue;
    const field = firstDifference(old.settings, JSON.parse(JSON.stringify(conditionSettings(lab, c))));
    if (field)
      throw new SpecError(
        `--only: the earlier map's condition "${c.id}" was built with other settings than ${spec.file} gives it (${field}); rebuild it too (--only ${[...builtIds, c.id].join(",")}) or write to another --out`,
      );
    conditions.push(old);
  }
  const studies = spec.studies.flatMap((st) => {
    const fresh = built.studies?.find((x) => x.id === st.id);
    if (rebuilt.has(st.id) && fresh) return [fresh];
    const old = earlier.studies?.find((x) => x.id === st.id);
    if (!old) return [];
    if (old.command !== studyCommand(st))
      throw new SpecError(
        `--only: the earlier map's study "${st.id}" ran another command than ${spec.file} gives it; rebuild it too or write to another --out`,
      );
    return [old];
  });
  const from = (id: string) => (rebuilt.has(id) ? built : earlier);
  const byCondition = (rows: Record<string, unknown>[] | undefined, id: string) => (rows ?? []).filter((r) => r["condition"] === id);
  const table1Ids = (spec.table1 ?? []).filter((id) => conditions.some((c) => c.id === id));
  return {
    base: built.base,
    created: built.created,
    protocol: built.protocol,
    conditions,
    sharing: spec.sharing && conditions.some((c) => c.id === spec.sharing!.of) ? from(spec.sharing.of).sharing : [],
    curves: spec.curves && conditions.some((c) => c.id === spec.curves!.of) ? (from(spec.curves.of).curves ?? []) : [],
    studies,
    ...(spec.table1
      ? {
          table1: table1Ids.flatMap((id) => byCondition(from(id).table1, id)),
          table1_sharing: table1Ids.flatMap((id) => byCondition(from(id).table1_sharing, id)),
        }
      : {}),
    ...(spec.trends ? { trends: trendRows(lab, spec, conditions) } : {}),
    ...(spec.contrasts ? { contrasts: contrastRows(lab, spec, conditions) } : {}),
  };
}

/** A study's command line, as the map records it. */
function studyCommand(s: MapSpec["studies"][number]): string {
  return s.runs.map((r) => ["npx transferlab", s.verb, ...argsLine(r.args, r.written), "--json"].join(" ")).join("; ");
}

/** The fields the spec wrote for a call, as flags (the study's command line). */
function argsLine(args: Row, written: string[]): string[] {
  return written.map((k) => `--${kebab(k)} ${Array.isArray(args[k]) ? (args[k] as unknown[]).join(",") : String(args[k])}`);
}
