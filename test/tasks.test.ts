// The worlds, templates, parsers, evaluation sets and loaders of src/tasks.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Rng } from "../src/core/rng";
import * as T from "../src/tasks";
import * as U from "../src/umm";

test("scenes are deterministic per seed and differ across seeds", () => {
  const a = T.sampleCountingScene(new Rng(1, "x"), { maxDistractors: 6 });
  const b = T.sampleCountingScene(new Rng(1, "x"), { maxDistractors: 6 });
  const c = T.sampleCountingScene(new Rng(2, "x"), { maxDistractors: 6 });
  assert.ok(T.imagesEqual(a.image, b.image));
  assert.deepEqual(a.truth, b.truth);
  assert.ok(!T.imagesEqual(a.image, c.image));
});

test("counting scenes hold exactly N targets, distractors of other classes, no shared cells", () => {
  const rng = new Rng(0, "count");
  for (let i = 0; i < 200; i++) {
    const s = T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 });
    assert.equal(s.objects.filter((o) => o.cls === s.truth.target).length, s.truth.count);
    assert.equal(s.objects.length, s.truth.count + s.truth.distractors);
    assert.equal(new Set(s.objects.map((o) => `${o.col},${o.row}`)).size, s.objects.length);
    assert.ok(s.truth.count >= 0 && s.truth.count <= 20 && s.truth.distractors <= 6);
  }
  const s = T.sampleCountingScene(rng, { target: "ring", count: 7 });
  assert.equal(s.image.width, 64);
  assert.equal(s.objects.length, 7);
});

test("spatial and composition scenes place objects at the asked relation, unambiguously", () => {
  const rng = new Rng(0, "spatial");
  for (const relation of T.RELATIONS) {
    for (let i = 0; i < 25; i++) {
      const s = T.sampleSpatialScene(rng, { relation });
      assert.notEqual(s.truth.a, s.truth.b);
      assert.ok(T.cellsRelate(s.objects[0]!, s.objects[1]!, relation, 2), `${relation}: ${JSON.stringify(s.objects)}`);
      const c = T.sampleCompositionScene(rng, { relation, count: 1 + (i % 5) });
      const anchor = c.objects[c.objects.length - 1]!;
      assert.equal(anchor.cls, c.truth.anchor);
      for (const o of c.objects.slice(0, -1)) assert.ok(T.cellsRelate(o, anchor, relation, 1));
    }
  }
});

test("placement scenes hold one object in the asked corner block, off both centre lines", () => {
  const rng = new Rng(0, "placement");
  for (const region of T.RELATIONS) {
    const seen = new Set<string>();
    for (let i = 0; i < 40; i++) {
      const s = T.samplePlacementScene(rng, { region });
      assert.equal(s.objects.length, 1);
      const o = s.objects[0]!;
      assert.equal(o.cls, s.truth.cls);
      assert.ok(region.endsWith("left") ? o.col <= 2 : o.col >= 5, `${region}: col ${o.col}`);
      assert.ok(region.startsWith("top") ? o.row <= 2 : o.row >= 5, `${region}: row ${o.row}`);
      seen.add(`${o.col},${o.row}`);
    }
    assert.ok(seen.size >= 6, `${region}: only ${seen.size} cells used`);
  }
  assert.match(T.placementCaption(0, "ring", "bottom-right"), /a photo of a ring in the bottom-right of the picture/);
  assert.throws(() => T.samplePlacementScene(rng, { region: "left" as T.Relation }), /region: "left" is not allowed \(allowed: top-left/);
});

test("word strips: one glyph per cell, four themes, bad words named", () => {
  const s = T.renderText("quiz", "dark");
  assert.equal(s.image.width, 64);
  assert.equal(s.image.height, 16);
  const bg = T.THEME_COLORS.dark.bg;
  assert.deepEqual([...s.image.data.subarray(0, 3)], [...bg]);
  // cells 0 and 5.. are empty; cells 1..4 hold ink
  const inkInCell = (k: number) => {
    for (let y = 0; y < 16; y++) for (let x = k * 8; x < k * 8 + 8; x++) if (s.image.data[(y * 64 + x) * 3] !== bg[0]) return true;
    return false;
  };
  assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(inkInCell), [false, true, true, true, true, false, false, false]);
  assert.throws(() => T.renderText("Quiz"), /text: "Quiz" is not allowed \(allowed: lowercase letters a-z\)/);
  assert.throws(() => T.renderText("abcdefgh"), /has 8 letters \(allowed: 1\.\.6/);
  assert.throws(() => T.renderText("cat", "neon" as T.Theme), /theme: "neon" is not allowed \(allowed: clean_light, dark, sepia, blue_gray\)/);
});

test("bad classes, relations and counts list the allowed values", () => {
  const rng = new Rng(0);
  assert.throws(
    () => T.sampleCountingScene(rng, { target: "dog" as T.ObjectClass }),
    /target: "dog" is not allowed \(allowed: circle, square, triangle, cross, ring, diamond\)/,
  );
  assert.throws(
    () => T.sampleSpatialScene(rng, { relation: "left" as T.Relation }),
    /relation: "left" is not allowed \(allowed: top-left, top-right, bottom-left, bottom-right\)/,
  );
  assert.throws(() => T.sampleCountingScene(rng, { count: 21 }), /count: 21 is out of range \(allowed: integers 0\.\.20\)/);
  assert.throws(() => T.sampleSpatialScene(rng, { a: "ring", b: "ring" }), /a and b must be different classes/);
  assert.throws(() => T.checkWorld({ cell: 6, grid: 8, textCols: 8 }), /world.cell: 6 is not allowed \(allowed: multiples of 8\)/);
});

test("worlds scale: 16-pixel cells give 128×128 scenes with the same exact shapes", () => {
  const world = { cell: 16, grid: 8, textCols: 8 };
  const s = T.sampleCountingScene(new Rng(0), { count: 3, world });
  assert.equal(s.image.width, 128);
  assert.equal(T.renderText("cat", "clean_light", world).image.height, 32);
});

test("counting templates are the paper's, verbatim", () => {
  assert.equal(T.countingQuestion("circle"), "How many circles are there in the image? Response Example: There are **<COUNT>** of circles in the image.");
  assert.equal(T.countingAnswer("cross", 5), "There are **5** of crosses in the image.");
  assert.equal(T.countingPrompt("diamond", 7), "a photo of seven diamonds");
});

test("spatial templates: ten questions with Response format, multiple choice, Fig. 9 forms", () => {
  assert.equal(T.SPATIAL_TEMPLATES.length, 10);
  assert.equal(
    T.spatialQuestion(0, "circle", "square"),
    "Where is the circle located relative to the square?\nResponse format: The circle is located in the top-left/top-right/bottom-left/bottom-right of the square.",
  );
  assert.equal(T.spatialAnswer(0, "circle", "square", "top-right"), "The circle is located in the top-right of the square.");
  for (let k = 0; k < 10; k++) {
    const q = T.spatialQuestion(k, "ring", "cross");
    assert.match(q, /\nResponse format: .*top-left\/top-right\/bottom-left\/bottom-right/);
    assert.match(T.spatialAnswer(k, "ring", "cross", "bottom-left"), /^The ring .*bottom-left.* cross\.$/);
  }
  const mc = T.spatialMultipleChoice(0, "ring", "cross", "top-right");
  assert.equal(mc.question, "Where is the ring located relative to the cross?\na. top-left\nb. top-right\nc. bottom-left\nd. bottom-right");
  assert.equal(mc.answer, "b");
  assert.equal(T.spatialPrompt(0, "ring", "cross", "top-left"), "The ring located in the top-left of a cross.");
  assert.equal(T.spatialPrompt(1, "ring", "circle", "top-right"), "The ring is located in top-right of a circle.");
  assert.equal(T.spatialPrompt(2, "square", "ring", "bottom-left"), "The square can be found to the bottom-left of a ring.");
});

test("text and composition templates", () => {
  assert.equal(T.TEXT_QUESTION, "Extract all text from the image.");
  assert.equal(T.TEXT_EVAL_QUESTION, "Extract all text from the image in reading order.");
  assert.equal(
    T.textPrompt("lamp"),
    "A Mathpix Markdown format with sharp, legible black text. High-resolution typography, top-down view. The text is rendered in natural left-to-right, top-to-bottom reading order. The text reads: lamp",
  );
  assert.equal(T.compositionPrompt("circle", 3, "square", "top-right"), "three circles are on the top-right of a square");
});

test("count parsing: markers first, then the truth anywhere, then any number", () => {
  assert.deepEqual(T.parseCount("There are **7** of circles in the image."), { value: 7, method: "markers" });
  assert.deepEqual(T.parseCount("There are ** seven ** of circles."), { value: 7, method: "markers" });
  assert.deepEqual(T.parseCount("I think 3 circles, no, four circles", 4), { value: 4, method: "truth-anywhere" });
  assert.deepEqual(T.parseCount("I think 3 circles, no, four circles", 5), { value: 3, method: "first-number" });
  assert.deepEqual(T.parseCount("Twelve."), { value: 12, method: "first-number" });
  assert.deepEqual(T.parseCount("There are **<COUNT>** of rings"), { value: null, method: "none" });
});

test("multiple-choice and relation parsing; OCR normalization", () => {
  assert.equal(T.parseChoice("b"), "b");
  assert.equal(T.parseChoice("(c) bottom-left"), "c");
  assert.equal(T.parseChoice("Answer: d."), "d");
  assert.equal(T.parseChoice("The ring is in the bottom left of the cross."), "c");
  assert.equal(T.parseChoice("top-left or top-right"), null);
  assert.equal(T.parseRelation("It sits at the top right"), "top-right");
  assert.equal(T.normalizeText("  Hello\nWorld \r\n"), "hello world");
});

test("pairs share one image; evaluation sets mirror the paper's sizes", () => {
  const [pair] = T.countingTrainPairs(1, 0);
  assert.equal(pair!.und.image, pair!.gen.image);
  assert.match(pair!.gen.prompt, /^a photo of \w+ \w+$/);
  const text = T.textTrainPairs(20, 0);
  const train = new Set(T.words("train"));
  for (const p of text) {
    assert.ok(train.has(p.und.answer));
    assert.equal((p.gen.truth as { theme: string }).theme, "clean_light");
  }
  const cg = T.countingGenEval();
  assert.equal(cg.length, 6 * 9);
  assert.ok(cg.every((p) => p.seeds.length === 4));
  assert.equal(T.countingUndEval().length, 540);
  const sg = T.spatialGenEval();
  assert.equal(sg.length, 100);
  for (const r of T.RELATIONS) assert.equal(sg.filter((p) => (p.truth as { relation: string }).relation === r).length, 25);
  const mc = T.spatialMcEval();
  assert.equal(mc.length, 250);
  assert.deepEqual(
    ["a", "b", "c", "d"].map((l) => mc.filter((m) => m.answer === l).length),
    [63, 63, 62, 62],
  );
  assert.equal(T.textUndEval().length, 250);
  assert.equal(T.textGenEval().length, 250);
  assert.equal(T.compositionGenEval().length, 400);
});

test("word splits are disjoint and within 3–6 letters", () => {
  const train = T.words("train");
  const test = T.words("test");
  assert.equal(train.length, 1000);
  assert.equal(test.length, 250);
  const tr = new Set(train);
  assert.ok(test.every((w) => !tr.has(w)));
  assert.ok([...train, ...test].every((w) => /^[a-z]{3,6}$/.test(w)));
  assert.throws(() => T.words("dev" as T.Split), /split: "dev" is not allowed \(allowed: train, test\)/);
});

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-tasks-"));

test("PixMo-Count / PixMo-Points loader: records, per-line errors, the 0–20 filter", async () => {
  const dir = path.join(tmp, "pixmo");
  fs.mkdirSync(dir);
  fs.writeFileSync(path.join(dir, "abc123.png"), await T.toPng(T.sampleCountingScene(new Rng(0), { count: 3 }).image));
  fs.writeFileSync(path.join(dir, "local.png"), await T.toPng(T.sampleCountingScene(new Rng(1), { count: 2 }).image));
  const lines = [
    JSON.stringify({ image_sha256: "abc123", image_url: "https://example.org/x.jpg", label: "circles", count: 3 }),
    JSON.stringify({
      image: "local.png",
      label: "people",
      points: [
        { x: 1, y: 2 },
        { x: 3, y: 4 },
      ],
    }),
    "{not json",
    JSON.stringify({ image: "local.png", count: 2 }),
    JSON.stringify({ image: "local.png", label: "dogs", count: -1 }),
    JSON.stringify({ image: "local.png", label: "ants", count: 25 }),
    JSON.stringify({ image: "missing.png", label: "cats", count: 1 }),
  ];
  const file = path.join(dir, "records.jsonl");
  fs.writeFileSync(file, lines.join("\n") + "\n");
  const r = T.loadPixmoCounts(file);
  assert.equal(r.records.length, 2);
  assert.equal(r.filtered, 1);
  assert.equal(r.records[0]!.imageFile, path.join(dir, "abc123.png"));
  assert.equal(r.records[1]!.count, 2);
  assert.equal(r.records[1]!.answer, "There are **2** of people in the image.");
  assert.deepEqual(
    r.errors.map((e) => e.replace(file, "F")),
    [
      "F:3: not valid JSON",
      'F:4: field "label" must be a non-empty string',
      'F:5: field "count" must be a non-negative integer, got -1',
      'F:7: no image found: give "image" (a path), or put <image_sha256>.png|jpg in the image folder',
    ],
  );
  assert.throws(() => T.loadPixmoCounts(path.join(dir, "none.jsonl")), /none\.jsonl: cannot read/);
});

test("image-folder loader and B.2 composites", async () => {
  const dir = path.join(tmp, "folder");
  for (const [label, cls] of [
    ["goose", "circle"],
    ["truck", "square"],
  ] as const) {
    fs.mkdirSync(path.join(dir, label), { recursive: true });
    fs.writeFileSync(path.join(dir, label, "0.png"), await T.toPng(T.sampleCountingScene(new Rng(0), { target: cls, count: 5 }).image));
  }
  fs.writeFileSync(path.join(dir, "goose", "notes.txt"), "not an image");
  const imgs = T.loadImageFolder(dir);
  assert.deepEqual(
    imgs.map((i) => i.label),
    ["goose", "truck"],
  );
  const rng = new Rng(3);
  for (const relation of T.RELATIONS) {
    const c = await T.composeSpatial(imgs[0]!.file, imgs[1]!.file, relation, rng);
    assert.equal(c.image.width, 512);
    const ca = [(c.boxes.a[0]! + c.boxes.a[2]!) / 2, (c.boxes.a[1]! + c.boxes.a[3]!) / 2];
    const cb = [(c.boxes.b[0]! + c.boxes.b[2]!) / 2, (c.boxes.b[1]! + c.boxes.b[3]!) / 2];
    assert.equal(ca[0]! < cb[0]!, relation.endsWith("left"));
    assert.equal(ca[1]! < cb[1]!, relation.startsWith("top"));
    const overlapX = Math.min(c.boxes.a[2]!, c.boxes.b[2]!) > Math.max(c.boxes.a[0]!, c.boxes.b[0]!);
    const overlapY = Math.min(c.boxes.a[3]!, c.boxes.b[3]!) > Math.max(c.boxes.a[1]!, c.boxes.b[1]!);
    assert.ok(!(overlapX && overlapY), "the two images must not overlap");
  }
  fs.writeFileSync(path.join(dir, "truck", "broken.png"), "garbage");
  await assert.rejects(T.composeSpatial(imgs[0]!.file, path.join(dir, "truck", "broken.png"), "top-left", rng), /broken\.png: not a readable image/);
  assert.throws(() => T.loadImageFolder(path.join(tmp, "nowhere")), /not a folder/);
});

test("counting generation captions state every category's count (Table 8), target first", () => {
  const rng = new Rng(5, "captions");
  const vocab = U.worldVocabulary();
  for (let i = 0; i < 200; i++) {
    const scene = T.sampleCountingScene(rng, { minCount: 0, maxCount: 20, maxDistractors: 6 });
    const pair = T.countingPair(scene, "every-category", i);
    const counts = T.sceneCounts(scene);
    // Every class in the image is named with its number word; the caption's total is the scene's.
    let total = 0;
    for (const [cls, n] of counts) {
      if (n === 0) continue;
      total += n;
      assert.ok(pair.gen.prompt.includes(`${T.numberWord(n)} ${n === 1 ? cls : T.plural(cls)}`), `${pair.gen.prompt} lacks ${n} ${cls}`);
    }
    assert.equal(total, scene.objects.length);
    if (scene.truth.count > 0)
      assert.ok(pair.gen.prompt.indexOf(T.plural(scene.truth.target).slice(0, -1)) <= pair.gen.prompt.search(/ and |$/), "target first");
    if (scene.objects.length === 0) assert.match(pair.gen.prompt, /no objects/);
    vocab.textIds(pair.gen.prompt); // every word is in the shipped vocabulary (throws otherwise)
    assert.equal(pair.und.image, pair.gen.image);
  }
  assert.equal(
    T.countingCaption(0, [
      ["cross", 6],
      ["circle", 2],
      ["ring", 1],
    ]),
    "a photo of six crosses and two circles and one ring",
  );
  assert.equal(T.countingCaption(1, [["square", 3]]), "three squares on a white background");
  // The default keeps the data earlier runs drew.
  assert.deepEqual(
    T.countingTrainPairs(5, 0).map((p) => p.gen.prompt),
    T.countingTrainPairs(5, 0, { captions: "target-only", counts: "uniform" }).map((p) => p.gen.prompt),
  );
});

test("count distributions and plain scenes draw what they say", () => {
  const rng = new Rng(6, "counts");
  const draw = (d: T.CountDistribution) => Array.from({ length: 4000 }, () => T.drawCount(rng, d));
  const small = draw("small");
  const share = (xs: number[], f: (x: number) => boolean) => xs.filter(f).length / xs.length;
  assert.ok(Math.abs(share(small, (x) => x >= 1 && x <= 10) - 0.85) < 0.03);
  assert.ok(Math.abs(share(small, (x) => x === 0) - 0.05) < 0.015);
  assert.ok(draw("eval").every((x) => x >= 2 && x <= 10));
  assert.ok(draw("uniform").every((x) => x >= 0 && x <= 20));
  assert.throws(() => T.drawCount(rng, "pixmo" as T.CountDistribution), /counts: "pixmo" is not allowed \(allowed: small, uniform, eval\)/);
  const plain = T.countingTrainPairs(400, 0, { plain: 1 });
  assert.ok(plain.every((p) => (p.und.truth as T.CountingTruth).distractors === 0));
  const half = T.countingTrainPairs(400, 0, { plain: 0.5 });
  assert.ok(
    Math.abs(
      share(
        half.map((p) => (p.und.truth as T.CountingTruth).distractors),
        (d) => d === 0,
      ) -
        (0.5 + 0.5 / 7),
    ) < 0.08,
  );
});

test("the validation split shares no image and no sampling seed with the test split or training", () => {
  const key = (img: T.RgbImage) => Buffer.from(img.data).toString("base64");
  const test = new Set(T.countingUndEval(540, 0, {}, "test").map((s) => key(s.image)));
  const val = T.countingUndEval(540, 0, {}, "val");
  const train = new Set(T.countingTrainPairs(2000, 0, { captions: "every-category", counts: "small" }).map((p) => key(p.und.image)));
  // Empty and near-empty scenes repeat by chance in any two draws; no other scene may.
  const busy = val.filter((s) => s.image && (s.truth as T.CountingTruth).count + (s.truth as T.CountingTruth).distractors >= 3);
  assert.ok(busy.length > 400);
  assert.equal(busy.filter((s) => test.has(key(s.image))).length, 0);
  assert.equal(busy.filter((s) => train.has(key(s.image))).length, 0);
  const tg = T.countingGenEval(T.CLASSES, "test");
  const vg = T.countingGenEval(T.CLASSES, "val");
  // The same class × count grid (GenEval's prompts are every combination), asked in another caption form.
  assert.deepEqual(
    vg.map((p) => p.truth),
    tg.map((p) => p.truth),
  );
  assert.equal(vg.filter((p, i) => p.prompt === tg[i]!.prompt).length, 0);
  for (const s of vg[0]!.seeds) assert.ok(!tg[0]!.seeds.includes(s));
  const sv = T.spatialMcEval(250, 0, T.DEFAULT_WORLD, "val").map((s) => key(s.image));
  const st = new Set(T.spatialMcEval(250, 0, T.DEFAULT_WORLD, "test").map((s) => key(s.image)));
  assert.equal(sv.filter((k) => st.has(k)).length, 0);
  assert.throws(() => T.countingGenEval(T.CLASSES, "train" as T.EvalSplit), /split: "train" is not allowed \(allowed: test, val, val-overlap\)/);
});

test("choice questions (hypothesis d) name the true count and one near it; scenes, captions and answers stay the pool's", () => {
  const opts = { captions: "every-category" as const, counts: "eval" as const, plain: 1 };
  const howMany = T.countingTrainPairs(300, 0, opts);
  const choice = T.countingTrainPairs(300, 0, { ...opts, questions: "choice" });
  let otherFirst = 0;
  choice.forEach((p, i) => {
    assert.equal(p.gen.prompt, howMany[i]!.gen.prompt);
    assert.deepEqual(p.gen.image.data, howMany[i]!.gen.image.data);
    assert.equal(p.und.answer, howMany[i]!.und.answer);
    const m = /^Are there (\w+) \w+ or (\w+) \w+ in the image\? Response Example: There are \*\*<COUNT>\*\* of \w+ in the image\.$/.exec(p.und.question);
    assert.ok(m, p.und.question);
    const [a, b] = [T.NUMBER_WORDS.indexOf(m![1] as never), T.NUMBER_WORDS.indexOf(m![2] as never)];
    const truth = p.und.truth.count;
    assert.ok((a === truth) !== (b === truth), `exactly one option is the truth: ${p.und.question} (${truth})`);
    const other = a === truth ? b : a;
    assert.ok(Math.abs(other - truth) >= 1 && Math.abs(other - truth) <= 2 && other >= 0 && other <= 20);
    if (b === truth) otherFirst++;
  });
  assert.ok(otherFirst > 100 && otherFirst < 200, `the true count comes first about half the time (${otherFirst} of 300 second)`);
  assert.equal(
    T.countingChoiceQuestion("circle", 1, 0),
    "Are there one circle or zero circles in the image? Response Example: There are **<COUNT>** of circles in the image.",
  );
  assert.throws(() => T.countingTrainPairs(2, 0, { questions: "yes-no" as never }), /questions: "yes-no" is not allowed \(allowed: how-many, choice\)/);
});
