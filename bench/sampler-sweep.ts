// `transferlab bench sampler`: counting and spatial generation accuracy and text CER of a model across
// sampler settings (confidence temperature τ0 and guidance scale). The images are drawn with seeds outside
// the evaluation's (0–3), so a setting is not picked on the very images `eval` then judges it by. The worlds
// are sparse (most patches are background), so the choice of τ0 decides whether objects appear at all.

import { evalCountingGen, evalSpatialGen, evalTextGen } from "../src/lab/evaluation/sets";
import { loadModel } from "../src/umm/checkpoint";

export async function sweepSampler(opts: {
  model: string;
  temperatures: number[];
  cfgs: number[];
  steps?: number[];
  seeds?: number[];
  textWords?: number;
  log: (s: string) => void;
}): Promise<Record<string, number>[]> {
  const model = loadModel(opts.model);
  const rows: Record<string, number>[] = [];
  const seeds = opts.seeds ?? [7];
  for (const steps of opts.steps ?? [12]) {
    for (const temperature of opts.temperatures) {
      for (const cfg of opts.cfgs) {
        model.samplerTemperature = temperature;
        const c = await evalCountingGen(model, { seeds, cfg, steps });
        const s = await evalSpatialGen(model, { seeds, cfg, steps });
        const t = opts.textWords ? await evalTextGen(model, { seeds, cfg, steps, limit: opts.textWords }) : undefined;
        const row = {
          steps,
          temperature,
          cfg,
          counting_acc: c.summary.accuracy!.estimate,
          counting_mad: c.summary.mad!.estimate,
          spatial_acc: Number.isFinite(s.summary.accuracy!.estimate) ? s.summary.accuracy!.estimate : 0,
          spatial_excluded: s.summary.excluded!,
          ...(t ? { text_cer: t.summary.cer!.estimate } : {}),
        };
        rows.push(row);
        opts.log(
          `steps ${steps}  τ0 ${String(temperature).padStart(6)}  cfg ${cfg}:  counting acc ${row.counting_acc.toFixed(3)} MAD ${row.counting_mad.toFixed(2)}   spatial acc ${row.spatial_acc.toFixed(3)} (${row.spatial_excluded}/${s.rows.length} excluded)${t ? `   text CER ${t.summary.cer!.estimate.toFixed(3)}` : ""}`,
        );
      }
    }
  }
  return rows;
}
