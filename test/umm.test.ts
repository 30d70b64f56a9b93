// The miniature UMM: tokenizers, layouts, objectives, LoRA, samplers, attention and checkpoints.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";
import * as E from "../src/eval";
import * as U from "../src/umm";

const vocab = U.worldVocabulary();
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-umm-"));
const tiny = (seed = 0) => U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed });
const LORA: U.LoraConfig = { r: 4, alpha: 8, dropout: 0, targetModules: ["q", "k", "v", "o", "up", "down"] };

test("text tokenizer covers every template; unknown words are named; payloads are spelled", () => {
  const t = vocab.text;
  for (const s of U.templateCorpus()) assert.equal(t.decode(t.encode(s)).replace(/\s/g, ""), s.toLowerCase().replace(/\s/g, ""));
  const ids = t.encode(T.textPrompt("lamp"), ["lamp"]);
  assert.match(t.decode(ids), /the text reads : lamp$/);
  assert.throws(() => t.encode("a photo of seven dogs"), /unknown word "dogs"/);
  assert.throws(() => t.encode(T.textPrompt("lamp")), /unknown word "lamp"/);
});

test("image tokenizer: exact round trip on the worlds, fidelity by the evaluators, save and load", async () => {
  const rng = new Rng(11, "fidelity");
  let detAgree = 0;
  const scenes = 300;
  for (let i = 0; i < scenes; i++) {
    const s = i % 2 ? T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 }) : T.sampleSpatialScene(rng);
    const [c, r] = vocab.image.gridOf(s.image);
    const back = vocab.image.decode(vocab.image.encode(s.image), c, r);
    assert.ok(T.imagesEqual(back, s.image));
    const a = E.detect(s.image)
      .map((d) => `${d.cls}@${d.center}`)
      .join(";");
    const b = E.detect(back)
      .map((d) => `${d.cls}@${d.center}`)
      .join(";");
    if (a === b) detAgree++;
  }
  const ocr = new E.Ocr();
  let ocrAgree = 0;
  const test = T.words("test").slice(0, 60);
  try {
    for (const w of test) {
      const img = T.renderText(w, "clean_light").image;
      const back = vocab.image.decode(vocab.image.encode(img), 8, 2);
      if ((await ocr.read(img)).text === (await ocr.read(back)).text) ocrAgree++;
    }
  } finally {
    await ocr.close();
  }
  console.log(`tokenizer fidelity: ${vocab.image.size} codes; detector agreement ${detAgree}/${scenes}, OCR agreement ${ocrAgree}/${test.length}`);
  assert.ok(detAgree / scenes >= 0.97 && ocrAgree / test.length >= 0.97);
  const file = path.join(tmp, "tok.safetensors");
  vocab.image.save(file);
  assert.equal(U.ImageTokenizer.load(file).hash, vocab.image.hash);
  const bytes = fs.readFileSync(file);
  bytes[bytes.length - 1] ^= 0xff;
  fs.writeFileSync(file, bytes);
  assert.throws(() => U.ImageTokenizer.load(file), /hash .* does not match/);
});

test("layouts put every slot where the model expects it", () => {
  const L = new U.Layout();
  const t2i = L.t2i([100, 101], [300, 301, 302]);
  assert.equal(t2i.length, L.seq);
  assert.deepEqual(t2i.slice(0, 4), [U.T2I, 100, 101, U.EOS]);
  assert.deepEqual(t2i.slice(L.genImageStart - 1, L.genImageStart + 4), [U.SOI, 300, 301, 302, U.EOI]);
  const mmu = L.mmu([300, 301], [100], [120, 121]);
  assert.deepEqual(mmu.slice(0, 5), [U.MMU, U.SOI, 300, 301, U.EOI]);
  assert.equal(mmu[L.questionStart], 100);
  assert.deepEqual(mmu.slice(L.answerStart, L.answerStart + 4), [120, 121, U.EOS, U.EOS]);
  assert.equal(mmu.slice(L.answerStart).length, L.slots.answer);
  assert.throws(() => L.t2i(new Array(60).fill(100), []), /prompt has 60 tokens but its slot holds 39/);
});

test("generation objective masks round(N·cos(πt/2)) image tokens; understanding masks answers with weights 1/p", () => {
  assert.equal(U.genMaskCount(64, 0), 64);
  assert.equal(U.genMaskCount(64, 1), 1);
  assert.equal(U.genMaskCount(64, 0.5), Math.round(64 * Math.SQRT1_2));
  const L = new U.Layout();
  const rng = new Rng(0);
  const img = Array.from({ length: 64 }, (_, i) => vocab.imageOffset + (i % 5));
  const gb = U.genBatch(
    [
      { prompt: [100], image: img },
      { prompt: [101], image: img },
    ],
    L,
    rng,
    { promptDropout: 0 },
  );
  let masked = 0;
  gb.ids.forEach((row, r) => {
    row.forEach((id, pos) => {
      const inImage = pos >= L.genImageStart && pos < L.genImageStart + 64;
      if (id === U.MASK) {
        assert.ok(inImage);
        assert.equal(gb.targets[r]![pos], img[pos - L.genImageStart]);
        masked++;
      } else assert.equal(gb.targets[r]![pos], -100);
    });
  });
  const wsum = gb.weights.flat().reduce((a, b) => a + b, 0);
  assert.ok(Math.abs(wsum - 1) < 1e-9 && masked >= 2);
  const drop = U.genBatch([{ prompt: [100], image: img }], L, new Rng(0), { promptDropout: 1 });
  assert.equal(drop.ids[0]![1], U.EOS, "a dropped prompt is empty");
  const ub = U.undBatch([{ image: img, question: [100], answer: [120, 121] }], L, new Rng(1));
  ub.ids[0]!.forEach((id, pos) => {
    if (id === U.MASK) {
      assert.ok(pos >= L.answerStart);
      assert.ok(ub.weights[0]![pos]! >= 1 / L.slots.answer);
    } else assert.equal(ub.weights[0]![pos], 0);
  });
});

const rows = (m: U.UnifiedModel) => [m.layout.t2i(vocab.textIds("a photo of two rings"), new Array(64).fill(U.MASK))];
const imageSlot = (m: U.UnifiedModel) => ({
  kind: "slot" as const,
  start: m.layout.genImageStart,
  length: 64,
  vocabStart: vocab.imageOffset,
  vocabEnd: vocab.size,
});

test("LoRA with B = 0 leaves outputs identical; merged equals unmerged; base stays untouched", async () => {
  const m = tiny(1);
  const before = m.base.get("blocks.0.attn.q.weight").data.slice();
  const ad = m.newAdapter(LORA, 3);
  const base = await m.slotLogits(rows(m), imageSlot(m));
  assert.deepEqual(await m.slotLogits(rows(m), imageSlot(m), ad), base);
  for (const name of ad.store.names()) if (name.includes("lora_B")) ad.store.get(name).data = ad.store.get(name).data.map((_, i) => Math.sin(i) * 0.05);
  const unmerged = await m.slotLogits(rows(m), imageSlot(m), ad);
  const merged = new U.UnifiedModel(m.config, m.vocab, m.layout, U.merge(m.base, ad));
  const viaMerge = await merged.slotLogits(rows(m), imageSlot(m));
  let worst = 0;
  unmerged.forEach((v, i) => (worst = Math.max(worst, Math.abs(v - viaMerge[i]!))));
  assert.ok(worst < 1e-4, `merged vs unmerged max difference ${worst}`);
  assert.notDeepEqual(unmerged, base);
  assert.deepEqual(m.base.get("blocks.0.attn.q.weight").data, before);
  const back = U.unmerge(U.merge(m.base, ad), ad);
  let drift = 0;
  back.get("blocks.0.attn.q.weight").data.forEach((v, i) => (drift = Math.max(drift, Math.abs(v - before[i]!))));
  assert.ok(drift < 1e-6);
});

test("LoRA training updates only the adapter", async () => {
  const m = tiny(2);
  const snapshot = m.base.clone();
  const ad = m.newAdapter(LORA, 0);
  const tr = await m.trainer({ adapter: ad, lr: 1e-2 });
  const img = Array.from({ length: 64 }, (_, i) => vocab.imageOffset + (i % 3));
  const first = await tr.run(U.genBatch([{ prompt: vocab.textIds("a photo of two rings"), image: img }], m.layout, new Rng(0)));
  for (const n of m.base.names()) assert.deepEqual(m.base.get(n).data, snapshot.get(n).data, n);
  assert.ok(first.loss > 0);
  assert.ok(ad.store.get("blocks.0.attn.q.lora_B.weight").data.some((x) => x !== 0));
});

test("PEFT adapters round-trip; foreign or broken adapters are refused with reasons", () => {
  const m = tiny(3);
  const ad = m.newAdapter(LORA, 5);
  ad.store.get("blocks.1.mlp.up.lora_B.weight").data.fill(0.25);
  const dir = path.join(tmp, "adapter");
  U.saveAdapter(dir, ad, { baseModel: "transferlab/tiny", revision: "abc" });
  const cfg = JSON.parse(fs.readFileSync(path.join(dir, "adapter_config.json"), "utf8"));
  assert.deepEqual([cfg.peft_type, cfg.r, cfg.lora_alpha, cfg.base_model_name_or_path, cfg.revision], ["LORA", 4, 8, "transferlab/tiny", "abc"]);
  const keys = [...T_keys(path.join(dir, "adapter_model.safetensors"))];
  assert.ok(keys.includes("base_model.model.blocks.0.attn.q.lora_A.weight"));
  const back = U.loadAdapter(dir, m.base);
  assert.deepEqual(back.config, ad.config);
  for (const n of ad.store.names()) assert.deepEqual(back.store.get(n).data, ad.store.get(n).data);
  // unknown config keys are tolerated
  fs.writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify({ ...cfg, some_future_key: 1 }));
  assert.equal(U.loadAdapter(dir, m.base).config.r, 4);
  // an adapter for another model matches no module / has wrong shapes
  const other = U.UnifiedModel.create(vocab, { d: 48, layers: 2, heads: 2 });
  assert.throws(() => U.loadAdapter(dir, other.base), /needs \[4,48\]/);
  fs.writeFileSync(path.join(dir, "adapter_config.json"), JSON.stringify({ ...cfg, peft_type: "IA3" }));
  assert.throws(() => U.loadAdapter(dir, m.base), /peft_type "IA3" is not allowed \(allowed: LORA\)/);
  assert.throws(() => U.checkLora({ ...LORA, targetModules: ["qkv"] }), /"qkv" matches no module of this family \(allowed: q, k, v, o, up, down\)/);
  const empty = path.join(tmp, "empty-adapter");
  U.saveAdapter(empty, { config: LORA, store: new (require("../src/engine").ParamStore)(0) }, { baseModel: "x" });
  assert.throws(() => U.loadAdapter(empty, m.base), /matches no module/);
});

function T_keys(file: string): string[] {
  return [...require("../src/engine").readSafetensors(file).tensors.keys()];
}

test("the image sampler is deterministic per seed and independent of batch-mates", async () => {
  const m = tiny(4);
  const prompt = vocab.textIds("a photo of three squares");
  const a = await U.generateImages(m, [{ prompt, tokens: 64, seed: 7 }], { steps: 4 });
  const b = await U.generateImages(
    m,
    [
      { prompt: vocab.textIds("a photo of two rings"), tokens: 64, seed: 1 },
      { prompt, tokens: 64, seed: 7 },
    ],
    { steps: 4 },
  );
  const c = await U.generateImages(m, [{ prompt, tokens: 64, seed: 8 }], { steps: 4 });
  assert.deepEqual(b.codes[1], a.codes[0]);
  assert.notDeepEqual(c.codes[0], a.codes[0]);
  assert.equal(a.codes[0]!.length, 64);
  assert.ok(a.codes[0]!.every((x) => x >= 0 && x < vocab.image.size));
  const strip = await U.generateImages(m, [{ prompt: vocab.textIds(T.textPrompt("lamp"), ["lamp"]), tokens: 16, seed: 0 }], { steps: 3, cfg: 0 });
  assert.equal(strip.codes[0]!.length, 16);
});

async function overfit(objective: "gen" | "und") {
  const m = U.UnifiedModel.create(vocab, { d: 64, layers: 2, heads: 2, seed: 0 });
  const pairs = T.countingTrainPairs(4, 3);
  const tr = await m.trainer({ lr: 3e-3 });
  const rng = new Rng(0);
  const gen = pairs.map((p) => ({ prompt: vocab.textIds(p.gen.prompt), image: vocab.imageIds(vocab.image.encode(p.gen.image)) }));
  const und = pairs.map((p) => ({
    image: vocab.imageIds(vocab.image.encode(p.und.image)),
    question: vocab.textIds(p.und.question),
    answer: vocab.textIds(p.und.answer),
  }));
  for (let i = 0; i < 200; i++) await tr.run(objective === "gen" ? U.genBatch(gen, m.layout, rng, { promptDropout: 0 }) : U.undBatch(und, m.layout, rng));
  return { m, pairs, gen, und };
}

test("a micro model overfits a handful of samples: generation", { timeout: 120_000 }, async () => {
  const { m, gen } = await overfit("gen");
  const out = await U.generateImages(
    m,
    gen.map((g, i) => ({ prompt: g.prompt, tokens: 64, seed: i })),
    { cfg: 0, temperature: 0 },
  );
  let same = 0;
  out.codes.forEach((codes, i) => codes.forEach((c, j) => (same += c + vocab.imageOffset === gen[i]!.image[j] ? 1 : 0)));
  assert.ok(same / (64 * gen.length) >= 0.9, `generated ${same}/${64 * gen.length} tokens of the training images`);
});

test("a micro model overfits a handful of samples: understanding", { timeout: 120_000 }, async () => {
  const { m, und, pairs } = await overfit("und");
  const out = await U.answerQuestions(
    m,
    und.map((u) => ({ image: u.image, question: u.question })),
  );
  out.texts.forEach((text, i) => assert.equal(T.parseCount(text).value, (pairs[i]!.und.truth as T.CountingTruth).count, text));
});

test("attention maps: one per layer over the image slot, a distribution's share", async () => {
  const m = tiny(5);
  const prompt = vocab.textIds("a photo of five circles");
  const maps = await U.attentionMaps(m, { prompt, tokens: 64, seed: 0 }, 4, { steps: 4, step: 1 });
  assert.equal(maps.length, 2);
  for (const mp of maps) {
    assert.equal(mp.length, 64);
    const s = mp.reduce((a, b) => a + b, 0);
    assert.ok(s > 0 && s <= 1 + 1e-5, `attention mass on the image ${s}`);
  }
  await assert.rejects(U.attentionMaps(m, { prompt, tokens: 64, seed: 0 }, 40), /token index 40 is outside the prompt/);
});

test("checkpoints round-trip and load only with their own tokenizers", async () => {
  const m = tiny(6);
  const dir = path.join(tmp, "model");
  U.saveModel(dir, m, { metadata: { note: "test" } });
  const back = U.loadModel(dir);
  assert.deepEqual(back.config, m.config);
  assert.deepEqual(await back.slotLogits(rows(back), imageSlot(back)), await m.slotLogits(rows(m), imageSlot(m)));
  const other = U.fitWorldImageTokenizer({ codes: 64, scenes: 100 });
  other.save(path.join(dir, "image-tokenizer.safetensors"));
  assert.throws(() => U.loadModel(dir), /image tokenizer hash .* does not match the model's/);
  m.vocab.image.save(path.join(dir, "image-tokenizer.safetensors"));
  const card = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ ...card, config: { ...card.config, arch: "moe" } }));
  assert.throws(() => U.loadModel(dir), /arch: "moe" is not an architecture \(allowed: shared-unified, shared-separate, mot, decoupled\)/);
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify(card));
  fs.truncateSync(path.join(dir, "model.safetensors"), 100);
  assert.throws(() => U.loadModel(dir), /model\.safetensors/);
});

test("shared cell positions: one row/column-coded embedding per cell, added at both image slots; saved and validated", async () => {
  const m = U.UnifiedModel.create(vocab, { d: 32, layers: 2, heads: 2, seed: 4, cellPositions: true });
  assert.deepEqual(m.config.imageCells, { starts: [m.layout.genImageStart, m.layout.undImageStart], count: 64, cols: 8 });
  const cell = m.base.get("pos.cell");
  assert.deepEqual(cell.shape, [64, 32]);
  const row = (i: number) => Array.from(cell.data.subarray(i * 32, i * 32 + 16));
  const col = (i: number) => Array.from(cell.data.subarray(i * 32 + 16, i * 32 + 32));
  assert.deepEqual(row(9), row(14)); // cells 9 and 14 share row 1
  assert.deepEqual(col(9), col(17)); // cells 9 and 17 share column 1
  assert.notDeepEqual(row(9), row(17));
  // The cell code reaches both layouts: zeroing it changes generation logits and understanding answers' logits.
  const und = [m.layout.mmu(vocab.imageIds(new Array(64).fill(7)), vocab.textIds("How many rings are there?"), [])];
  const answerSlot = { kind: "slot" as const, start: m.layout.answerStart, length: 4, vocabStart: 0, vocabEnd: vocab.imageOffset };
  const [g0, u0] = [await m.slotLogits(rows(m), imageSlot(m)), await m.slotLogits(und, answerSlot)];
  const saved = cell.data.slice();
  m.base.set("pos.cell", new Float32Array(saved.length));
  assert.notDeepEqual(await m.slotLogits(rows(m), imageSlot(m)), g0);
  assert.notDeepEqual(await m.slotLogits(und, answerSlot), u0);
  m.base.set("pos.cell", saved.slice());
  const tr = await m.trainer({ lr: 1e-3 });
  const pairs = T.countingTrainPairs(2, 5);
  await tr.run(
    U.genBatch(
      pairs.map((p) => ({ prompt: vocab.textIds(p.gen.prompt), image: vocab.imageIds(vocab.image.encode(p.gen.image)) })),
      m.layout,
      new Rng(1),
    ),
  );
  assert.notDeepEqual(m.base.get("pos.cell").data, saved, "a training step moves the cell positions");
  const trained = m.base.get("pos.cell").data.slice();
  const g1 = await m.slotLogits(rows(m), imageSlot(m));
  const dir = path.join(tmp, "cells");
  U.saveModel(dir, m);
  const back = U.loadModel(dir);
  assert.deepEqual(back.config, m.config);
  assert.deepEqual(back.base.get("pos.cell").data, trained);
  assert.deepEqual(await back.slotLogits(rows(back), imageSlot(back)), g1);
  const card = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ ...card, config: { ...card.config, imageCells: { starts: [200], count: 64, cols: 8 } } }));
  assert.throws(() => U.loadModel(dir), /config\.imageCells\.starts must hold slot starts in 0\.\.\d+, got \[200\]/);
});

test("weight init: gpt2 starts linear layers at std 0.02 and residual projections at 0.02/√(2·layers); saved and validated", () => {
  const std = (a: Float32Array) => Math.sqrt(a.reduce((t, x) => t + x * x, 0) / a.length);
  const torch = U.UnifiedModel.create(vocab, { d: 64, layers: 2, heads: 2, seed: 1 });
  const gpt2 = U.UnifiedModel.create(vocab, { d: 64, layers: 2, heads: 2, seed: 1, weightInit: "gpt2" });
  assert.equal(torch.config.weightInit, undefined, "the default leaves older cards unchanged");
  assert.equal(gpt2.config.weightInit, "gpt2");
  const near = (x: number, want: number) => assert.ok(Math.abs(x - want) < 0.1 * want, `std ${x} is not near ${want}`);
  near(std(torch.base.get("blocks.0.attn.q.weight").data), 1 / Math.sqrt(3 * 64)); // U(±1/√64)
  near(std(gpt2.base.get("blocks.0.attn.q.weight").data), 0.02);
  near(std(gpt2.base.get("blocks.1.mlp.up.weight").data), 0.02);
  near(std(gpt2.base.get("blocks.0.attn.o.weight").data), 0.02 / 2);
  near(std(gpt2.base.get("blocks.1.mlp.down.weight").data), 0.02 / 2);
  assert.deepEqual(gpt2.base.get("emb.weight").data, torch.base.get("emb.weight").data, "embeddings keep their init");
  const dir = path.join(tmp, "gpt2-init");
  U.saveModel(dir, gpt2);
  assert.equal(U.loadModel(dir).config.weightInit, "gpt2");
  const card = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ ...card, config: { ...card.config, weightInit: "xavier" } }));
  assert.throws(() => U.loadModel(dir), /config\.weightInit must be "torch" or "gpt2", got "xavier"/);
});

test("embedding init: embStd sets the token embeddings' scale only; saved and validated", () => {
  const std = (a: Float32Array) => Math.sqrt(a.reduce((t, x) => t + x * x, 0) / a.length);
  const small = U.UnifiedModel.create(vocab, { d: 64, layers: 2, heads: 2, seed: 1 });
  const large = U.UnifiedModel.create(vocab, { d: 64, layers: 2, heads: 2, seed: 1, embStd: 0.1 });
  assert.equal(small.config.embStd, undefined, "the default leaves older cards unchanged");
  assert.equal(large.config.embStd, 0.1);
  const near = (x: number, want: number) => assert.ok(Math.abs(x - want) < 0.05 * want, `std ${x} is not near ${want}`);
  near(std(small.base.get("emb.weight").data), 0.02);
  near(std(large.base.get("emb.weight").data), 0.1);
  assert.deepEqual(large.base.get("blocks.0.attn.q.weight").data, small.base.get("blocks.0.attn.q.weight").data, "other weights keep their init");
  const dir = path.join(tmp, "emb-std");
  U.saveModel(dir, large);
  assert.equal(U.loadModel(dir).config.embStd, 0.1);
  const card = JSON.parse(fs.readFileSync(path.join(dir, "model.json"), "utf8"));
  fs.writeFileSync(path.join(dir, "model.json"), JSON.stringify({ ...card, config: { ...card.config, embStd: -1 } }));
  assert.throws(() => U.loadModel(dir), /config\.embStd must be a number in \(0, 1\], got -1/);
});
