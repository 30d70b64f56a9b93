// OCR with the bundled English model, and the calibration targets on a clean checkout.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as T from "../src/tasks";
import { Ocr, calibrate } from "../src/eval";

test("OCR reads word strips in every theme; a corrupt file is named and the rest still read", async () => {
  const ocr = new Ocr();
  try {
    for (const theme of T.THEMES) assert.equal((await ocr.read(T.renderText("lamp", theme).image)).text, "lamp");
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "tl-ocr-"));
    const good = path.join(dir, "good.png");
    const bad = path.join(dir, "bad.png");
    fs.writeFileSync(good, await T.toPng(T.renderText("river").image));
    fs.writeFileSync(bad, Buffer.from("not a png"));
    const out = await ocr.readFiles([bad, good]);
    assert.match((out[0] as { error: string }).error, /bad\.png: not a readable image/);
    assert.equal((out[1] as { text: string }).text, "river");
  } finally {
    await ocr.close();
  }
});

test("calibration meets its targets", { timeout: 120_000 }, async () => {
  const r = await calibrate({ ocrWords: 250 });
  assert.ok(r.detector_count_acc >= 0.99, `detector_count_acc ${r.detector_count_acc}`);
  assert.ok(r.detector_class_acc >= 0.99, `detector_class_acc ${r.detector_class_acc}`);
  assert.ok(r.spatial_acc >= 0.99, `spatial_acc ${r.spatial_acc}`);
  assert.ok(r.ocr_word_acc >= 0.95, `ocr_word_acc ${r.ocr_word_acc}`);
  assert.equal(r.n.ocr_words, 250);
});
