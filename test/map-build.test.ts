// The map of where transfer appears, built from its spec (`transferlab map`): the spec is validated with
// each verb's own schema, the built map passes the reader's checks, and a second build reads every
// entry's cached output instead of recomputing it.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { Lab } from "../src/lab";
import {
  buildMap,
  conditionSettings,
  mapCacheFile,
  mergeMaps,
  onlyEntries,
  predictionHeld,
  readMapSpec,
  trendRows,
  contrastRows,
} from "../src/lab/results/map-build";
import { SHIPPED_MAPS, mapContrasts, mapEffects, mapFile, readTransferMap } from "../src/lab/results/transfer-map";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-map-"));
const bin = path.resolve(__dirname, "..", "..", "bin", "transferlab.js");
const write = (name: string, text: string) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, text);
  return f;
};

const TINY = `base: the shipped base
protocol: a tiny map for the test
conditions:
  - id: tiny
    hypothesis: two steps of LoRA change nothing measurable
    verdict: a test
    transfer: { task: counting, seeds: 1, steps: 2, batch: 4, limit: 4, evalEvery: 0 }
  - id: tiny-guided
    hypothesis: the same runs sampled with guidance 1
    directions: [und→gen]
    transfer: { task: counting, seeds: 1, steps: 2, batch: 4, limit: 4, evalEvery: 0, cfg: 1 }
sharing: { of: tiny, scenes: 8 }
curves: { of: tiny }
table1: [tiny]
`;

test("a map spec is validated: the entry, the field and the allowed values are named", () => {
  const bad = (text: string, re: RegExp) => assert.throws(() => readMapSpec(write("bad.yaml", text)), re);
  bad("protocol: x\nconditions: []\n", /bad\.yaml\.base: required/);
  bad("base: b\nprotocol: p\nconditions: []\n", /bad\.yaml\.conditions: expected a non-empty list/);
  bad(
    "base: b\nprotocol: p\nconditons: []\n",
    /bad\.yaml\.conditons: unknown field \(allowed: base, protocol, conditions, studies, sharing, curves, table1, trends, contrasts\); did you mean "conditions"\?/,
  );
  bad(
    "base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: { task: colour } }\n",
    /conditions\[0\] \("a"\)\.transfer: transfer\.task: "colour" is not allowed \(allowed: counting, spatial, text, new-word\)/,
  );
  bad(
    "base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: {} }\n  - { id: a, hypothesis: h, transfer: {} }\n",
    /conditions\[1\]\.id: "a" is used twice/,
  );
  bad("base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: {}, directions: [sideways] }\n", /directions: expected a list of und→gen/);
  bad(
    "base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: {} }\nsharing: { of: b }\n",
    /sharing\.of: "b" is not a condition \(allowed: a\)/,
  );
  bad(
    "base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: {} }\nstudies:\n  - { id: s, question: q, compose: [{ seeds: 1 }, { seeds: 2 }] }\n",
    /studies\[0\] \("s"\)\.compose\[0\]\.label: required when a study makes several calls/,
  );
  bad(
    "base: b\nprotocol: p\nconditions:\n  - { id: a, hypothesis: h, transfer: {} }\nstudies:\n  - { id: s, question: q }\n",
    /studies\[0\]: expected exactly one of compose, joint/,
  );
  // The shipped spec parses, and holds the entries the shipped map was built from.
  const shipped = readMapSpec(path.resolve(__dirname, "..", "..", "examples", "transfer-map.yaml"));
  assert.deepEqual(
    shipped.conditions.map((c) => c.id),
    readTransferMap().conditions.map((c) => c.id),
  );
  assert.ok(shipped.conditions.some((c) => c.transfer["steps"] === 1500));
  assert.deepEqual(
    shipped.studies.map((s) => [s.id, s.verb]),
    [
      ["c5", "compose"],
      ["fig8", "joint"],
    ],
  );
});

test("a map is built from its spec, cached per entry, and read back by the reader", { timeout: 600_000 }, async () => {
  const spec = readMapSpec(write("tiny.yaml", TINY));
  const root = path.join(tmp, "runs");
  const lines: string[] = [];
  const lab = new Lab({ root });
  // The entries' outputs go where they outlive the run store (a shipped map commits them).
  const cache = path.join(tmp, "committed", "map-cache");
  const map = await buildMap(lab, spec, { log: (l) => lines.push(l), created: "2026-01-01", cache });
  assert.ok(
    lines.findIndex((l) => l.startsWith("sharing-tiny: sharing")) < lines.findIndex((l) => l.startsWith("tiny-guided: transfer")),
    "a Table 1 condition's sharing is computed right after its runs, while their adapters are there",
  );
  assert.deepEqual(
    map.conditions.map((c) => c.id),
    ["tiny", "tiny-guided"],
  );
  const tiny = map.conditions[0]!;
  assert.equal(tiny.runs!.length, 2, "one und and one gen run");
  assert.deepEqual([...new Set(tiny.effects.map((e) => e["direction"]))].sort(), ["gen→gen", "gen→und", "und→gen", "und→und"]);
  assert.equal(tiny.settings["steps"], 2);
  assert.equal(tiny.settings["cfg"], 0, "the base's own sampler guidance when the entry sets none");
  assert.equal(tiny.settings["arch"], "shared-unified", "the family of the condition's base");
  // Table 1 in miniature: the condition's transfer both ways beside the paper's model of its family.
  const t1 = map.table1!;
  assert.deepEqual([...new Set(t1.map((r) => r["direction"]))], ["shared-unified (Lumina-DiMOO): und→gen", "shared-unified (Lumina-DiMOO): gen→und"]);
  const row = (d: string, m: string) => t1.find((r) => String(r["direction"]).endsWith(d) && r["metric"] === m)!;
  assert.ok(Math.abs((row("und→gen", "accuracy")["paper"] as number) - (0.57 - 0.48)) < 1e-9, "Table 1: Lumina-DiMOO 48% → 57%");
  assert.ok(Math.abs((row("gen→und", "mad")["paper"] as number) - (1.88 - 2.48)) < 1e-9, "Table 1: Lumina-DiMOO MAD 2.48 → 1.88");
  assert.equal(row("und→gen", "accuracy")["delta"], tiny.effects.find((e) => e["direction"] === "und→gen" && e["metric"] === "accuracy")!["delta"]);
  // Beside Table 1, the family's pathways: the sharing diagnostic of the condition's base and adapters.
  const fam = map.table1_sharing!;
  assert.deepEqual([...new Set(fam.map((r) => r["family"]))], ["shared-unified"]);
  assert.deepEqual([...new Set(fam.map((r) => r["model"]))].sort(), ["base", ...tiny.runs!].sort(), "the base and the condition's runs");
  assert.ok(fam.every((r) => r["condition"] === "tiny" && Number(r["scenes"]) === 8));
  assert.ok(tiny.strength.length > 0);
  // A condition read in some directions only keeps those and draws no strength; its runs are the first's.
  const guided = map.conditions[1]!;
  assert.deepEqual([...new Set(guided.effects.map((e) => e["direction"]))], ["und→gen"]);
  assert.deepEqual(guided.strength, []);
  assert.deepEqual(guided.runs, tiny.runs);
  // The sharing diagnostic reads the named condition's adapters; the curves its runs' validation rows.
  assert.deepEqual([...new Set(map.sharing.map((r) => r["model"]))].sort(), ["base", ...tiny.runs!].sort());
  assert.ok(map.curves!.every((r) => tiny.runs!.includes(r["run"] as string) && r["side"] !== "train"));
  // Written and read back through the reader the notebooks use.
  const file = path.join(tmp, "map.json");
  fs.writeFileSync(file, JSON.stringify(map));
  assert.equal(mapEffects(readTransferMap(file)).numRows(), tiny.effects.length + guided.effects.length);
  // A second build recomputes nothing: every entry comes from the cache, and the map is the same.
  const again: string[] = [];
  const map2 = await buildMap(new Lab({ root }), spec, { log: (l) => again.push(l), created: "2026-01-01", cache });
  assert.deepEqual(map2, map);
  assert.equal(
    again.length,
    5,
    "two conditions, Table 1's sharing after its condition, the sharing diagnostic and Table 1's again (one entry, read from the cache)",
  );
  assert.ok(
    again.every((l) => / cached \(/.test(l)),
    again.join("\n"),
  );
  // A cached output that lacks what the map reads (a hand edit) is recomputed, not trusted.
  const cached = mapCacheFile(lab, "tiny-guided", "transfer", spec.conditions[1]!.transfer, cache);
  assert.ok(fs.existsSync(cached), "written under the cache folder given");
  assert.equal(fs.existsSync(path.join(root, "map-cache")), false, "and not under the run store");
  // Another checkout: an empty run store, the committed cache. Everything the map reads from entries is
  // there (the long runs' curves are read from the run store, so this map names none).
  const elsewhere: string[] = [];
  const { curves: _curves, ...noCurves } = spec;
  const moved = await buildMap(new Lab({ root: path.join(tmp, "empty-runs") }), noCurves, { log: (l) => elsewhere.push(l), created: "2026-01-01", cache });
  assert.deepEqual({ ...moved, curves: map.curves }, map);
  assert.ok(
    elsewhere.every((l) => / cached \(/.test(l)),
    elsewhere.join("\n"),
  );
  fs.writeFileSync(cached, JSON.stringify({ runs: [] }));
  const third: string[] = [];
  assert.deepEqual(await buildMap(new Lab({ root }), spec, { log: (l) => third.push(l), created: "2026-01-01", cache }), map);
  assert.ok(
    third.some((l) => /tiny-guided: .* lacks effects, strength; recomputing/.test(l)),
    third.join("\n"),
  );
  // Editing an entry's arguments misses the cache for that entry only.
  const edited = readMapSpec(write("tiny2.yaml", TINY.replace("cfg: 1 }", "cfg: 2 }")));
  assert.notEqual(
    mapCacheFile(lab, "tiny-guided", "transfer", edited.conditions[1]!.transfer, cache),
    mapCacheFile(lab, "tiny-guided", "transfer", spec.conditions[1]!.transfer, cache),
  );
  assert.equal(mapCacheFile(lab, "tiny", "transfer", edited.conditions[0]!.transfer), mapCacheFile(lab, "tiny", "transfer", spec.conditions[0]!.transfer));
});

test("a prediction is judged from its effect's interval; an effect no pair of which differs cannot be judged", () => {
  const effect = (delta: number, lo: number, hi: number, verdict: string) => [
    { direction: "und→gen", metric: "accuracy", delta, lo, hi, verdict, better: "higher", statement: "s" },
  ];
  const p = (expect: "gain" | "loss" | "none") => ({ direction: "und→gen", metric: "accuracy", expect });
  assert.equal(predictionHeld(p("gain"), effect(0.1, 0.05, 0.15, "positive")).held, true);
  assert.equal(predictionHeld(p("none"), effect(0.1, 0.05, 0.15, "positive")).held, false);
  assert.equal(predictionHeld(p("none"), effect(0.01, -0.04, 0.05, "null")).held, true);
  assert.equal(predictionHeld(p("loss"), effect(-0.1, -0.15, -0.05, "negative")).held, true);
  const flat = predictionHeld(p("none"), effect(0, 0, 0, "null"));
  assert.equal(flat.held, false);
  assert.match(flat.statement, /cannot be judged$/);
});

test("transferlab map: one spec file and --out, errors in one line with exit code 2", () => {
  const none = spawnSync(process.execPath, [bin, "map", "--out", path.join(tmp, "m.json")], { encoding: "utf8" });
  assert.equal(none.status, 2);
  assert.match(none.stderr, /map: expected one spec file \(got none\)/);
  const bad = spawnSync(process.execPath, [bin, "map", write("b.yaml", "base: b\nprotocol: p\nconditions: [1]\n"), "--out", path.join(tmp, "m.json")], {
    encoding: "utf8",
  });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /b\.yaml\.conditions\[0\]: expected an object with id, hypothesis, transfer/);
  assert.equal(fs.existsSync(path.join(tmp, "m.json")), false);
  // A condition on a base that is not there yet names the entry and the folder; nothing is written.
  const absent = write("absent.yaml", "base: b\nprotocol: p\nconditions:\n  - { id: later, hypothesis: h, transfer: { base: no-such-base } }\n");
  const noBase = spawnSync(process.execPath, [bin, "map", absent, "--root", path.join(tmp, "r"), "--out", path.join(tmp, "m.json")], { encoding: "utf8" });
  assert.equal(noBase.status, 2);
  assert.match(noBase.stderr, /absent\.yaml: entry "later": base: .*no-such-base holds no model/);
  assert.equal(fs.existsSync(path.join(tmp, "m.json")), false);
});

test("every shipped map passes the reader's checks; each declared prediction is judged", () => {
  for (const name of SHIPPED_MAPS) {
    const map = readTransferMap(mapFile(name));
    assert.ok(map.conditions.length > 0, name);
    for (const c of map.conditions)
      for (const p of c.predictions ?? []) assert.match(String(p["statement"]), /— (held|did not hold|cannot be judged)$/, `${name} ${c.id}`);
  }
  const sampler = readTransferMap(mapFile("sampler-map"));
  assert.deepEqual(
    sampler.conditions.map((c) => c.settings["samplerSteps"] ?? 12),
    [12, 64, 64],
    "the sampler map changes only the evaluation sampler",
  );
});

test("map --only: the named entries, with what refers to them; an unknown id names the spec's ids", () => {
  const spec = readMapSpec(path.join(__dirname, "..", "..", "examples", "families-map.yaml"));
  const part = onlyEntries(spec, ["counting-shared-unified", "new-word-mot"]);
  assert.deepEqual(
    part.conditions.map((c) => c.id),
    ["counting-shared-unified", "new-word-mot"],
  );
  assert.deepEqual(part.table1, ["counting-shared-unified"], "Table 1 keeps the rows of the conditions built");
  assert.deepEqual(part.conditions[0]!.transfer, spec.conditions[0]!.transfer, "the same arguments: the full map's cache entry");
  assert.equal(onlyEntries(spec, ["new-word-mot"]).table1, undefined);
  assert.throws(
    () => onlyEntries(spec, ["counting-moe"]),
    /--only: "counting-moe" is not an entry of .*families-map\.yaml \(allowed: counting-shared-unified, counting-shared-separate, /,
  );
});

test("map --only into an earlier map: the entries built replace theirs, the others are kept while the spec still defines them so", () => {
  const spec = readMapSpec(write("merge.yaml", TINY));
  const lab = new Lab({ root: path.join(tmp, "merge-runs") });
  const condition = (id: string, tag: string, settings: Record<string, unknown>) => ({
    id,
    hypothesis: "h",
    settings,
    runs: [`${id}-run`],
    verdict: tag,
    effects: [{ direction: "und→gen", metric: "accuracy", delta: 0, lo: 0, hi: 0, verdict: "null", tag }],
    strength: [],
  });
  const settings = (i: number) => JSON.parse(JSON.stringify(conditionSettings(lab, spec.conditions[i]!))) as Record<string, unknown>;
  const earlier = {
    base: "b",
    created: "2026-01-01",
    protocol: "p",
    conditions: [condition("tiny", "earlier", settings(0)), condition("tiny-guided", "earlier", settings(1))],
    sharing: [{ model: "base", layer: 0, cka: 1, cka_shuffled: 0, tag: "earlier" }],
    curves: [{ run: "tiny-run", tag: "earlier" }],
    studies: [],
    table1: [{ condition: "tiny", direction: "x", tag: "earlier" }],
    table1_sharing: [{ condition: "tiny", family: "shared-unified", tag: "earlier" }],
  };
  const built = {
    base: "b",
    created: "2026-02-02",
    protocol: "p",
    conditions: [condition("tiny-guided", "built", settings(1))],
    sharing: [],
    curves: [],
    studies: [],
  };
  const merged = mergeMaps(lab, spec, earlier, built, ["tiny-guided"]);
  assert.deepEqual(
    merged.conditions.map((c) => [c.id, c.verdict]),
    [
      ["tiny", "earlier"],
      ["tiny-guided", "built"],
    ],
    "in the spec's order",
  );
  assert.equal(merged.created, "2026-02-02");
  assert.deepEqual(
    [merged.sharing[0]!["tag"], merged.curves![0]!["tag"], merged.table1![0]!["tag"], merged.table1_sharing![0]!["tag"]],
    ["earlier", "earlier", "earlier", "earlier"],
  );
  // A kept condition the spec now defines otherwise is refused, naming the field and the way out.
  const stale = { ...earlier, conditions: [condition("tiny", "earlier", { ...settings(0), steps: 3 })] };
  assert.throws(
    () => mergeMaps(lab, spec, stale, built, ["tiny-guided"]),
    /--only: the earlier map's condition "tiny" was built with other settings than .*merge\.yaml gives it \(steps: saved 3, now 2\); rebuild it too \(--only tiny-guided,tiny\) or write to another --out/,
  );
  // A condition the earlier map lacks stays out (it has not been built).
  const none = { ...earlier, conditions: [], table1: [], table1_sharing: [], sharing: [], curves: [] };
  assert.deepEqual(
    mergeMaps(lab, spec, none, built, ["tiny-guided"]).conditions.map((c) => c.id),
    ["tiny-guided"],
  );
});

test("a trend over conditions that differ in their base's size: each point's Δ at its parameters, the slope per doubling, or what it waits for", async () => {
  const U = await import("../src/umm");
  const models = path.join(tmp, "trend-models");
  const bases = [16, 32].map((d) => {
    const dir = path.join(models, `d${d}`);
    U.saveModel(dir, U.UnifiedModel.create(U.worldVocabulary(), { arch: "shared-unified", d, layers: 1, heads: 2, seed: 0, cellPositions: true }));
    return dir;
  });
  const spec = readMapSpec(
    write(
      "trend.yaml",
      `base: b
protocol: p
conditions:
${bases.map((b, i) => `  - { id: size-${i}, hypothesis: h, transfer: { task: counting, seeds: 1, steps: 2, base: ${b} } }`).join("\n")}
trends:
  - { id: by-size, question: does it grow?, over: [size-0, size-1], direction: und→gen, metric: accuracy }
contrasts:
  - { id: second-vs-first, question: does the second transfer more?, between: [size-0, size-1], direction: und→gen, metric: accuracy }
`,
    ),
  );
  const lab = new Lab({ root: path.join(tmp, "trend-runs") });
  const params = bases.map((b) => lab.base(b).model.base.count());
  // Every cell of size-i differs by 0.1 + 0.2·i: the slope per doubling of parameters is 0.2 / log2(p1 / p0).
  const grid = (delta: number) => ({
    direction: "und→gen",
    set: "counting-gen",
    metric: "accuracy",
    clusters: ["a", "b"],
    runs: [0, 1],
    sum: [delta, delta, delta, delta],
    count: [1, 1, 1, 1],
  });
  const condition = (i: number, withGrid = true) => ({
    id: `size-${i}`,
    hypothesis: "h",
    settings: { base: bases[i] },
    verdict: "",
    effects: [{ direction: "und→gen", metric: "accuracy", better: "higher", delta: 0.1 + 0.2 * i, lo: 0, hi: 1 }],
    strength: [],
    ...(withGrid ? { grids: [grid(0.1 + 0.2 * i)] } : {}),
  });
  const [t] = trendRows(lab, spec, [condition(0), condition(1)]);
  assert.deepEqual(
    (t!["points"] as Record<string, unknown>[]).map((p) => [p["condition"], p["params"], p["delta"]]),
    [
      ["size-0", params[0], 0.1],
      ["size-1", params[1], 0.30000000000000004],
    ],
  );
  assert.ok(Math.abs((t!["slope"] as number) - 0.2 / Math.log2(params[1]! / params[0]!)) < 1e-12, `slope ${t!["slope"]}`);
  assert.match(t!["statement"] as string, /^slope \+0\.\d{3} \[.*\] \(better\) per doubling of parameters$/);
  // Points not yet in the map, or built before the map kept cells, are named; the points it has are listed.
  const [waiting] = trendRows(lab, spec, [condition(0)]);
  assert.equal(waiting!["slope"], null);
  assert.equal((waiting!["points"] as unknown[]).length, 1);
  assert.equal(waiting!["note"], "waits for size-1 (not in the map yet)");
  assert.match(
    trendRows(lab, spec, [condition(0), condition(1, false)])[0]!["note"] as string,
    /size-1's cells \(built before the map kept them: rebuild it with --only size-1 --recompute\)/,
  );
  // A contrast: the second condition's Δ minus the first's, with the same joint bootstrap.
  const [ct] = contrastRows(lab, spec, [condition(0), condition(1)]);
  assert.ok(Math.abs((ct!["difference"] as number) - 0.2) < 1e-12 && Math.abs((ct!["lo"] as number) - 0.2) < 1e-12, JSON.stringify(ct));
  assert.match(ct!["statement"] as string, /^difference \+0\.200 \[\+0\.200, \+0\.200\] \(better\): size-1 − size-0$/);
  assert.equal(contrastRows(lab, spec, [condition(1)])[0]!["note"], "waits for size-0 (not in the map yet)");
  const table = mapContrasts({ base: "b", created: "c", protocol: "p", conditions: [], sharing: [], contrasts: [ct!] });
  assert.deepEqual(table.select("first", "second", "first_delta").objects(), [{ first: "size-0", second: "size-1", first_delta: 0.1 }]);
  // A trend over a condition the spec lacks, or in a direction that does not exist, is refused with the allowed values.
  const bad = (trend: string) => () =>
    readMapSpec(
      write("trend-bad.yaml", `base: b\nprotocol: p\nconditions:\n  - { id: c, hypothesis: h, transfer: { task: counting } }\ntrends:\n  - ${trend}\n`),
    );
  assert.throws(
    bad("{ id: t, question: q, over: [c, d], direction: und→gen, metric: accuracy }"),
    /trends\[0\]\.over\[1\]: "d" is not a condition \(allowed: c\)/,
  );
  assert.throws(
    bad("{ id: t, question: q, over: [c, c], direction: sideways, metric: accuracy }"),
    /trends\[0\]\.direction: "sideways" is not allowed \(allowed: und→gen, gen→gen, gen→und, und→und\)/,
  );
  assert.throws(
    bad("{ id: t, question: q, over: [c], direction: und→gen, metric: accuracy }"),
    /trends\[0\]\.over: expected a list of at least 2 condition ids/,
  );
  const badContrast = (c: string) => () =>
    readMapSpec(
      write("contrast-bad.yaml", `base: b\nprotocol: p\nconditions:\n  - { id: c, hypothesis: h, transfer: { task: counting } }\ncontrasts:\n  - ${c}\n`),
    );
  assert.throws(
    badContrast("{ id: t, question: q, between: [c, c, c], direction: und→gen, metric: accuracy }"),
    /contrasts\[0\]\.between: expected a list of exactly 2 condition ids/,
  );
  assert.throws(
    badContrast("{ id: t, question: q, over: [c, c], direction: und→gen, metric: accuracy }"),
    /contrasts\[0\]\.over: unknown field \(allowed: id, question, between, direction, metric\)/,
  );
});
