// safetensors: round trips in every float dtype and clear errors for broken files.

import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  SafetensorsError,
  bf16BitsToF32,
  f16BitsToF32,
  f32ToBf16Bits,
  f32ToF16Bits,
  parseSafetensors,
  readSafetensors,
  serializeSafetensors,
  writeSafetensors,
} from "../src/engine";

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "tl-st-"));
const values = Float32Array.from([0, 1, -2.5, 3.140625, 65504, 1e-3, -1e-5, 0.1]);

test("F32 round trip is exact, with metadata and integer tensors", () => {
  const file = path.join(tmp, "a.safetensors");
  writeSafetensors(file, { w: { shape: [2, 4], data: values }, ids: { shape: [3], data: BigInt64Array.from([1n, -2n, 3n]) } }, { format: "pt" });
  const f = readSafetensors(file);
  assert.deepEqual(f.metadata, { format: "pt" });
  assert.deepEqual(f.tensors.get("w")!.shape, [2, 4]);
  assert.deepEqual(f.tensors.get("w")!.data, values);
  assert.deepEqual(f.tensors.get("ids")!.data, BigInt64Array.from([1n, -2n, 3n]));
  // The header is padded so the data section starts 8-byte aligned.
  const bytes = fs.readFileSync(file);
  assert.equal((8 + Number(bytes.readBigUInt64LE(0))) % 8, 0);
});

test("F16 and BF16 round trips keep what the format can hold", () => {
  const bytes = serializeSafetensors({ h: { shape: [8], data: values, dtype: "F16" }, b: { shape: [8], data: values, dtype: "BF16" } });
  const f = parseSafetensors(bytes);
  const h = f.tensors.get("h")!;
  const b = f.tensors.get("b")!;
  assert.equal(h.dtype, "F16");
  assert.equal(b.dtype, "BF16");
  values.forEach((v, i) => {
    assert.ok(Math.abs((h.data[i] as number) - v) <= Math.abs(v) * 2 ** -11 + 6e-8, `F16 ${v} -> ${h.data[i]}`);
    assert.ok(Math.abs((b.data[i] as number) - v) <= Math.abs(v) * 2 ** -8, `BF16 ${v} -> ${b.data[i]}`);
  });
});

test("half conversions: hand-checked bit patterns, rounding and specials", () => {
  assert.equal(f32ToF16Bits(1), 0x3c00);
  assert.equal(f32ToF16Bits(-2), 0xc000);
  assert.equal(f32ToF16Bits(65504), 0x7bff);
  assert.equal(f32ToF16Bits(1e6), 0x7c00); // overflow to +inf
  assert.equal(f32ToF16Bits(2 ** -24), 0x0001); // smallest subnormal
  assert.equal(f16BitsToF32(0x3555), 0.333251953125);
  assert.ok(Number.isNaN(f16BitsToF32(f32ToF16Bits(NaN))));
  assert.equal(f32ToBf16Bits(1), 0x3f80);
  assert.equal(bf16BitsToF32(0x4049), 3.140625);
  assert.equal(f32ToBf16Bits(1 + 2 ** -8), 0x3f80); // tie rounds to even
  assert.ok(Number.isNaN(bf16BitsToF32(f32ToBf16Bits(NaN))));
});

function header(obj: unknown, data = Buffer.alloc(0), lenOverride?: bigint): Buffer {
  const json = Buffer.from(JSON.stringify(obj));
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(lenOverride ?? BigInt(json.length));
  return Buffer.concat([len, json, data]);
}

const broken: [string, Buffer, RegExp][] = [
  ["empty file", Buffer.alloc(0), /truncated: 0 bytes/],
  ["huge header length", header({}, Buffer.alloc(0), 2n ** 60n), /header length \d+ exceeds/],
  ["header cut short", header({ w: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }).subarray(0, 20), /exceeds the \d+ bytes/],
  ["header not JSON", Buffer.concat([Buffer.from([4, 0, 0, 0, 0, 0, 0, 0]), Buffer.from("{{{{")]), /not valid JSON/],
  ["header an array", header([1, 2]), /must be a JSON object/],
  ["unknown dtype", header({ w: { dtype: "F8", shape: [1], data_offsets: [0, 1] } }, Buffer.alloc(1)), /dtype "F8" is not one of F32, F16, BF16/],
  ["negative dim", header({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, Buffer.alloc(4)), /shape must be an array of non-negative/],
  ["data truncated", header({ w: { dtype: "F32", shape: [4], data_offsets: [0, 16] } }, Buffer.alloc(8)), /outside the 8-byte data section/],
  ["size mismatch", header({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, Buffer.alloc(8)), /needs 12 bytes but data_offsets give 8/],
  [
    "overlap",
    header({ a: { dtype: "F32", shape: [2], data_offsets: [0, 8] }, b: { dtype: "F32", shape: [2], data_offsets: [4, 12] } }, Buffer.alloc(12)),
    /overlap or hole/,
  ],
  ["trailing bytes", header({ a: { dtype: "F32", shape: [1], data_offsets: [0, 4] } }, Buffer.alloc(8)), /covers 4|cover 4/],
  ["huge shape", header({ a: { dtype: "F32", shape: [2 ** 40, 2 ** 40], data_offsets: [0, 4] } }, Buffer.alloc(4)), /needs .* bytes but data_offsets give 4/],
  ["metadata not strings", header({ __metadata__: { a: 1 } }), /__metadata__.a must be a string/],
];

for (const [what, bytes, pattern] of broken) {
  test(`a broken file is a clear error: ${what}`, () => {
    const file = path.join(tmp, `${what.replace(/\W+/g, "_")}.safetensors`);
    fs.writeFileSync(file, bytes);
    assert.throws(
      () => readSafetensors(file),
      (e: Error) => e instanceof SafetensorsError && e.message.startsWith(file) && pattern.test(e.message),
    );
  });
}

test("a missing file is a clear error naming it", () => {
  assert.throws(() => readSafetensors(path.join(tmp, "nope.safetensors")), /nope\.safetensors: cannot open/);
});

test("writing refuses data that does not match its shape", () => {
  assert.throws(() => serializeSafetensors({ w: { shape: [3], data: new Float32Array(2) } }), /shape \[3\] holds 3 values but data has 2/);
});
