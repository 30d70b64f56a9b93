// Every metric a result may carry, declared once: the values it can take, which direction is better,
// how a person reads its name and its axis, and where an evaluation summary keeps it. The result tables
// (ranges, the sign of a strength), the figures (labels, axes, colours of gains) and the metric rows of a
// run read these records; adding a metric is a line here and its computation in its evaluation set.

export interface MetricInfo {
  /** The values a row of this metric may hold; a value outside is a broken record, not a result. */
  range: readonly [number, number];
  /** Which direction is a gain (null: a count or a score that is not a quality, e.g. `unparsed`). */
  better: "higher" | "lower" | null;
  /** The name a chart's legend and hover show. */
  label: string;
  /** The axis title (the label with its unit); the label when absent. */
  axis?: string;
  /**
   * The evaluation summary's key (src/lab/evaluation/core.ts `Summary`) that holds it — an interval or a
   * point value — so a run's metric rows are written from a summary without a second list.
   */
  summary?: string;
}

const share = (label: string, summary?: string, axis?: string): MetricInfo => ({
  range: [0, 1],
  better: "higher",
  label,
  ...(axis ? { axis } : {}),
  ...(summary ? { summary } : {}),
});
const distance = (label: string, summary?: string, axis?: string): MetricInfo => ({
  range: [0, Infinity],
  better: "lower",
  label,
  ...(axis ? { axis } : {}),
  ...(summary ? { summary } : {}),
});
/** Benchmark scores read from a real model's results (MME-P, MMBench, POPE, MMMU). */
const score = (label: string): MetricInfo => ({ range: [0, Infinity], better: "higher", label });
const count = (label: string, summary: string): MetricInfo => ({ range: [0, Infinity], better: null, label, summary });

// The order is the order of a run's metric rows: the interval metrics, then the point ones.
export const METRICS = {
  accuracy: share("accuracy", "accuracy", "accuracy (share correct)"),
  mad: distance("MAD", "mad", "MAD (objects)"),
  cer: distance("CER", "cer", "character error rate"),
  count_accuracy: share("count right (share)", "countAccuracy"),
  placed: share("share placed at the relation", "placed"),
  class_share: share("share of the named shape", "classShare"),
  wer: distance("WER", "wer", "word error rate"),
  edit_distance: distance("edit distance", "editDistance"),
  bleu: share("BLEU", "bleu"),
  meteor: share("METEOR", "meteor"),
  f1: share("token F1", "f1"),
  excluded: count("excluded (not localized)", "excluded"),
  unparsed: count("unparsed answers", "unparsed"),
  joint_accuracy: share("joint accuracy"),
  fid: distance("Fréchet distance"),
  is: { range: [1, Infinity], better: "higher", label: "Inception-style score" },
  fd_to_baseline: distance("Fréchet distance to baseline"),
  mme_p: score("MME-P"),
  mmbench: score("MMBench"),
  pope: score("POPE"),
  mmmu: score("MMMU"),
} as const satisfies Record<string, MetricInfo>;

export type MetricName = keyof typeof METRICS;

export function metricInfo(name: string): MetricInfo | undefined {
  return (METRICS as Record<string, MetricInfo>)[name];
}

/** A metric's legend name (the name itself when it has no record). */
export const metricLabel = (name: string): string => metricInfo(name)?.label ?? name;
/** A metric's axis title. */
export const metricAxis = (name: string): string => {
  const m = metricInfo(name);
  return m ? (m.axis ?? m.label) : name;
};
/** Metrics where lower is better (deltas, a strength's sign, the colour of a gain). */
export const LOWER_IS_BETTER: ReadonlySet<string> = new Set(
  Object.entries(METRICS as Record<string, MetricInfo>)
    .filter(([, m]) => m.better === "lower")
    .map(([k]) => k),
);
