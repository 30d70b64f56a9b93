// `transferlab calibrate`: the evaluators judged on clean renders of every evaluation distribution. An
// evaluator that misreads clean images would make every table meaningless, so these figures come first.

import {
  CompositionTruth,
  CountingTruth,
  DEFAULT_WORLD,
  Scene,
  SpatialTruth,
  THEMES,
  WorldConfig,
  compositionGenEval,
  countingGenEval,
  countingUndEval,
  normalizeText,
  objectBox,
  renderPromptTruth,
  renderText,
  sampleCountingScene,
  spatialGenEval,
  words,
} from "../tasks";
import { Rng } from "../core/rng";
import { detect } from "./detector";
import { compositionVerdict, countingVerdict, spatialVerdict } from "./geneval";
import { Ocr } from "./ocr";

export interface CalibrationResult {
  detector_count_acc: number;
  detector_class_acc: number;
  spatial_acc: number;
  ocr_word_acc: number;
  composition_acc: number;
  ocr_word_acc_by_theme: Record<string, number>;
  n: { count_images: number; objects: number; spatial_images: number; ocr_words: number; composition_images: number };
}

export async function calibrate(opts: { world?: WorldConfig; log?: (s: string) => void; ocrWords?: number } = {}): Promise<CalibrationResult> {
  const world = opts.world ?? DEFAULT_WORLD;
  const log = opts.log ?? (() => {});

  // Counting: the GenEval prompts rendered cleanly (4 seeds each) and held-out scenes with distractors.
  const scenes: Scene<CountingTruth>[] = [];
  for (const p of countingGenEval()) {
    for (const seed of p.seeds) {
      const t = p.truth as CountingTruth;
      scenes.push(sampleCountingScene(new Rng(seed, `calibrate/${p.id}`), { target: t.target, count: t.count, world }));
    }
  }
  const und = countingUndEval(540, 0, { world });
  const rng = new Rng(0, "calibrate/und");
  for (const u of und) {
    const t = u.truth as CountingTruth;
    scenes.push(sampleCountingScene(rng, { target: t.target, count: t.count, maxDistractors: 6, world }));
  }
  let countOk = 0;
  let objects = 0;
  let classOk = 0;
  for (const s of scenes) {
    const dets = detect(s.image);
    if (countingVerdict(dets, s.truth.target, s.truth.count).correct && dets.length === s.objects.length) countOk++;
    for (const o of s.objects) {
      const b = objectBox(o, world);
      const cx = (b.x0 + b.x1) / 2;
      const cy = (b.y0 + b.y1) / 2;
      const hit = dets.find((d) => d.box.x0 <= cx && cx < d.box.x1 && d.box.y0 <= cy && cy < d.box.y1);
      objects++;
      if (hit?.cls === o.cls) classOk++;
    }
  }
  log(`detector: count exact on ${countOk}/${scenes.length} clean counting scenes; class right for ${classOk}/${objects} objects`);

  let spatialOk = 0;
  let spatialN = 0;
  for (const p of spatialGenEval()) {
    for (const seed of p.seeds) {
      const t = p.truth as SpatialTruth;
      if (spatialVerdict(detect(renderPromptTruth(p, seed, world)), t.a, t.b, t.relation).correct) spatialOk++;
      spatialN++;
    }
  }
  log(`spatial: relation right on ${spatialOk}/${spatialN} clean renders of the 100 evaluation prompts × 4 seeds`);

  let compOk = 0;
  let compN = 0;
  for (const p of compositionGenEval()) {
    const t = p.truth as CompositionTruth;
    if (compositionVerdict(detect(renderPromptTruth(p, 0, world)), t.target, t.count, t.anchor, t.relation).correct) compOk++;
    compN++;
  }
  log(`composition: joint verdict right on ${compOk}/${compN} clean renders`);

  const ocr = new Ocr();
  const test = words("test").slice(0, opts.ocrWords ?? 250);
  const byTheme: Record<string, number> = {};
  try {
    for (const theme of THEMES) {
      let ok = 0;
      for (const w of test) if (normalizeText((await ocr.read(renderText(w, theme, world).image)).text) === w) ok++;
      byTheme[theme] = ok / test.length;
      log(`OCR (${theme}): ${ok}/${test.length} test words read exactly`);
    }
  } finally {
    await ocr.close();
  }
  return {
    detector_count_acc: countOk / scenes.length,
    detector_class_acc: classOk / objects,
    spatial_acc: spatialOk / spatialN,
    ocr_word_acc: byTheme["clean_light"]!,
    composition_acc: compOk / compN,
    ocr_word_acc_by_theme: byTheme,
    n: { count_images: scenes.length, objects, spatial_images: spatialN, ocr_words: test.length, composition_images: compN },
  };
}
