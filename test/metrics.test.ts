// A metric is declared once (src/core/metrics.ts): the result tables' ranges, the figures' labels and
// axes, which direction is a gain, and the metric rows written from a summary all read that record.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as aq from "arquero";
import { LOWER_IS_BETTER, METRICS, MetricInfo, metricAxis } from "../src/core/metrics";
import { METRIC_RANGES } from "../src/lab/results/tables";
import { summaryRows } from "../src/lab/evaluation/summary-rows";
import { WORLD_LIST } from "../src/lab/worlds";
import * as V from "../src/viz";

const records = METRICS as Record<string, MetricInfo>;

test("every evaluation set's metric has one record, with the same better direction", () => {
  for (const w of WORLD_LIST)
    for (const s of [w.gen, w.und])
      for (const m of s.metrics) {
        assert.ok(records[m.metric], `${s.name}: ${m.metric} has a record in src/core/metrics.ts`);
        assert.equal(records[m.metric]!.better, m.better, `${s.name}: ${m.metric}`);
      }
});

test("ranges, gain directions and a run's metric rows are derived from the records", () => {
  for (const [k, m] of Object.entries(records)) {
    assert.deepEqual(METRIC_RANGES[k], m.range, k);
    assert.equal(LOWER_IS_BETTER.has(k), m.better === "lower", k);
    if (m.better) assert.deepEqual(METRIC_RANGES[`strength_${k}`], [-Infinity, Infinity]);
  }
  // A summary holding an interval and a point value gives one row each, named by the records.
  const rows = summaryRows("r", 5, "gen", { n: 9, classShare: { estimate: 0.5, lo: 0.25, hi: 0.75 }, wer: 0.2 } as never);
  assert.deepEqual(
    rows.map((r) => [r.metric, r.value, r.lo, r.hi]),
    [
      ["class_share", 0.5, 0.25, 0.75],
      ["wer", 0.2, null, null],
    ],
  );
});

test("figures name a metric by its record: the paired-effects axis and the curves' axis", () => {
  const t = aq.from([{ direction: "und→gen", metric: "class_share", delta: 0.1, lo: 0.05, hi: 0.15, verdict: "positive", better: "higher" }]);
  const f = V.pairedEffects(t);
  assert.equal((f.layout["xaxis"] as { title: { text: string } }).title.text, `Δ ${metricAxis("class_share")}`);
  const curves = V.trainingCurves(
    aq.from([
      { run: "r", step: 0, side: "gen", metric: "class_share", value: 0.1 },
      { run: "r", step: 5, side: "gen", metric: "class_share", value: 0.4 },
    ]),
    { metrics: ["class_share"], loss: false },
  );
  assert.equal((curves.layout["yaxis"] as { title: { text: string } }).title.text, "share of the named shape");
});
