// `transferlab bench umm`: the default miniature's LoRA training speed, image and answer sampling rates,
// the sampler's efficiency (time in model forwards over total time) and a 300-step LoRA run.

import { Rng } from "../src/core/rng";
import { countingTrainPairs } from "../src/tasks";
import * as U from "../src/umm";

export async function benchUmm(opts: { loraSteps: number; batch: number; images: number; log: (s: string) => void }): Promise<Record<string, number>> {
  const log = opts.log;
  const vocab = U.worldVocabulary();
  const model = U.UnifiedModel.create(vocab, { seed: 0 });
  const c = model.config;
  log(
    `model: ${c.arch}, d ${c.d}, ${c.layers} layers, ${c.heads} heads, vocab ${c.vocab}, sequence ${c.seq}, ${model.base.count().toLocaleString("en")} parameters`,
  );
  const pairs = countingTrainPairs(256, 0);
  const gen = pairs.map((p) => ({ prompt: vocab.textIds(p.gen.prompt), image: vocab.imageIds(vocab.image.encode(p.gen.image)) }));
  const und = pairs.map((p) => ({
    image: vocab.imageIds(vocab.image.encode(p.und.image)),
    question: vocab.textIds(p.und.question),
    answer: vocab.textIds(p.und.answer),
  }));

  const adapter = model.newAdapter({ ...U.DEFAULT_LORA }, 0);
  const trainer = await model.trainer({ adapter, lr: 2e-3 });
  const rng = new Rng(0, "bench-umm");
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < opts.loraSteps; i++) {
    const k = (i * opts.batch) % (gen.length - opts.batch);
    const batch = i % 2 ? U.undBatch(und.slice(k, k + opts.batch), model.layout, rng) : U.genBatch(gen.slice(k, k + opts.batch), model.layout, rng);
    await trainer.run(batch);
  }
  const loraS = Number(process.hrtime.bigint() - t0) / 1e9;
  const loraTokens = (opts.loraSteps * opts.batch * c.seq) / loraS;
  log(
    `rank-8 LoRA (q,k,v,o,up,down), batch ${opts.batch}, ${opts.loraSteps} steps (alternating gen/und): ${loraS.toFixed(1)} s → ${loraTokens.toFixed(0)} tokens/s`,
  );

  const reqs = Array.from({ length: opts.images }, (_, i) => ({ prompt: gen[i % gen.length]!.prompt, tokens: 64, seed: i }));
  await U.generateImages(model, reqs.slice(0, 2), { steps: 2 }); // warm-up: compile the session
  const g = await U.generateImages(model, reqs, { steps: 12, cfg: 2 });
  const imagesPerS = opts.images / (g.stats.totalMs / 1000);
  const efficiency = g.stats.forwardMs / g.stats.totalMs;
  log(
    `images: ${opts.images} × 64 tokens, 12 steps, guidance 2, one batch: ${(g.stats.totalMs / 1000).toFixed(2)} s → ${imagesPerS.toFixed(1)} images/s; sampler efficiency ${efficiency.toFixed(3)} (forwards ${g.stats.forwardMs.toFixed(0)} ms of ${g.stats.totalMs.toFixed(0)} ms)`,
  );

  const qs = und.slice(0, opts.images).map((u) => ({ image: u.image, question: u.question }));
  await U.answerQuestions(model, qs.slice(0, 2), { steps: 1 });
  const a = await U.answerQuestions(model, qs);
  const answersPerS = qs.length / (a.stats.totalMs / 1000);
  log(
    `answers: ${qs.length} questions, ${model.layout.slots.answer}-token answers, ${model.layout.slots.answer / 2} steps: ${(a.stats.totalMs / 1000).toFixed(2)} s → ${answersPerS.toFixed(1)} answers/s (efficiency ${(a.stats.forwardMs / a.stats.totalMs).toFixed(3)})`,
  );
  return {
    lora_tokens_per_s: loraTokens,
    lora_run_s: loraS,
    lora_steps: opts.loraSteps,
    batch: opts.batch,
    images_per_s: imagesPerS,
    answers_per_s: answersPerS,
    sampler_efficiency: efficiency,
    answer_efficiency: a.stats.forwardMs / a.stats.totalMs,
    params: model.base.count(),
  };
}
