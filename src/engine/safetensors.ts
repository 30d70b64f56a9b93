// safetensors read and write (https://github.com/huggingface/safetensors format: u64 little-endian
// header length, JSON header, raw little-endian data).
//
// Files come from outside (checkpoints, adapters), so every field is checked before anything is
// allocated from it: a truncated, oversized or malformed file is a clear error naming the file, never a
// crash or an allocation larger than the file itself.

import * as fs from "node:fs";
import { createHash } from "node:crypto";
import { writeFileAtomic } from "../core/atomic";

export type SafeDType = "F32" | "F16" | "BF16" | "F64" | "I64" | "I32" | "U8" | "BOOL";

const ELEM_BYTES: Record<SafeDType, number> = { F32: 4, F16: 2, BF16: 2, F64: 8, I64: 8, I32: 4, U8: 1, BOOL: 1 };
const MAX_HEADER = 100 * 1024 * 1024;

export type SafeData = Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array;

export interface SafeTensor {
  /** dtype as stored; F16 and BF16 are widened to Float32Array on read. */
  dtype: SafeDType;
  shape: number[];
  data: SafeData;
}

export interface SafeFile {
  tensors: Map<string, SafeTensor>;
  metadata: Record<string, string>;
}

export class SafetensorsError extends Error {
  override name = "SafetensorsError";
}

// ---- half-precision conversions -------------------------------------------------------------------

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

export function f32ToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / nan
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow to inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow to zero
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry into the exponent: still right
  return sign | half;
}

export function f16BitsToF32(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function f32ToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return (b >>> 16) | 0x40; // keep NaN a NaN
  return ((b + 0x7fff + ((b >>> 16) & 1)) >>> 16) & 0xffff;
}

export function bf16BitsToF32(h: number): number {
  u32[0] = (h << 16) >>> 0;
  return f32[0]!;
}

// ---- read -------------------------------------------------------------------------------------------

/** Reads and validates a safetensors file. */
export function readSafetensors(file: string): SafeFile {
  let fd: number;
  try {
    fd = fs.openSync(file, "r");
  } catch (e) {
    throw new SafetensorsError(`${file}: cannot open: ${(e as Error).message}`);
  }
  try {
    const size = fs.fstatSync(fd).size;
    const buf = Buffer.allocUnsafe(size);
    let off = 0;
    while (off < size) {
      const n = fs.readSync(fd, buf, off, size - off, off);
      if (n === 0) break;
      off += n;
    }
    return parseSafetensors(buf.subarray(0, off), file);
  } finally {
    fs.closeSync(fd);
  }
}

/** Parses and validates safetensors bytes; `label` names the source in errors. */
export function parseSafetensors(bytes: Uint8Array, label = "safetensors"): SafeFile {
  const fail = (why: string): never => {
    throw new SafetensorsError(`${label}: ${why}`);
  };
  if (bytes.length < 8) fail(`truncated: ${bytes.length} bytes, a safetensors file has at least 8`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLen = view.getBigUint64(0, true);
  if (headerLen > BigInt(bytes.length - 8)) fail(`header length ${headerLen} exceeds the ${bytes.length - 8} bytes after the length field (truncated file?)`);
  if (headerLen > BigInt(MAX_HEADER)) fail(`header length ${headerLen} exceeds the ${MAX_HEADER}-byte limit`);
  const hl = Number(headerLen);
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset + 8, hl).toString("utf8"));
  } catch (e) {
    fail(`header is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof header !== "object" || header === null || Array.isArray(header)) fail("header must be a JSON object");
  const dataStart = 8 + hl;
  const dataLen = bytes.length - dataStart;
  const entries: { name: string; dtype: SafeDType; shape: number[]; begin: number; end: number }[] = [];
  let metadata: Record<string, string> = {};
  for (const [name, raw] of Object.entries(header as Record<string, unknown>)) {
    if (name === "__metadata__") {
      if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("__metadata__ must be an object of strings");
      for (const [k, v] of Object.entries(raw as object)) if (typeof v !== "string") fail(`__metadata__.${k} must be a string`);
      metadata = raw as Record<string, string>;
      continue;
    }
    const t = raw as { dtype?: unknown; shape?: unknown; data_offsets?: unknown };
    if (typeof t !== "object" || t === null) fail(`tensor "${name}": entry must be an object`);
    if (typeof t.dtype !== "string" || !(t.dtype in ELEM_BYTES)) {
      fail(`tensor "${name}": dtype ${JSON.stringify(t.dtype)} is not one of ${Object.keys(ELEM_BYTES).join(", ")}`);
    }
    if (!Array.isArray(t.shape) || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0))
      fail(`tensor "${name}": shape must be an array of non-negative integers`);
    const offs = t.data_offsets;
    if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0))
      fail(`tensor "${name}": data_offsets must be [begin, end]`);
    const [begin, end] = offs as [number, number];
    if (begin > end || end > dataLen) fail(`tensor "${name}": data_offsets [${begin}, ${end}] fall outside the ${dataLen}-byte data section (truncated file?)`);
    const dtype = t.dtype as SafeDType;
    const shape = t.shape as number[];
    const count = shape.reduce((a, b) => a * b, 1);
    if (!Number.isSafeInteger(count * ELEM_BYTES[dtype]) || count * ELEM_BYTES[dtype] !== end - begin) {
      fail(`tensor "${name}": shape [${shape}] of ${dtype} needs ${count * ELEM_BYTES[dtype]} bytes but data_offsets give ${end - begin}`);
    }
    entries.push({ name, dtype, shape, begin, end });
  }
  // Tensors must tile the data section exactly: no overlaps, no holes.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin);
  let pos = 0;
  for (const e of sorted) {
    if (e.begin !== pos) fail(`tensor "${e.name}": starts at byte ${e.begin}, expected ${pos} (overlap or hole in the data section)`);
    pos = e.end;
  }
  if (pos !== dataLen) fail(`data section has ${dataLen} bytes but tensors cover ${pos}`);

  const tensors = new Map<string, SafeTensor>();
  for (const e of entries) {
    const raw = bytes.subarray(dataStart + e.begin, dataStart + e.end);
    tensors.set(e.name, { dtype: e.dtype, shape: e.shape, data: decode(e.dtype, raw) });
  }
  return { tensors, metadata };
}

function decode(dtype: SafeDType, raw: Uint8Array): SafeData {
  const n = raw.length / ELEM_BYTES[dtype];
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat32(4 * i, true);
      return out;
    }
    case "F64": {
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getFloat64(8 * i, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = f16BitsToF32(dv.getUint16(2 * i, true));
      return out;
    }
    case "BF16": {
      const out = new Float32Array(n);
      for (let i = 0; i < n; i++) out[i] = bf16BitsToF32(dv.getUint16(2 * i, true));
      return out;
    }
    case "I64": {
      const out = new BigInt64Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getBigInt64(8 * i, true);
      return out;
    }
    case "I32": {
      const out = new Int32Array(n);
      for (let i = 0; i < n; i++) out[i] = dv.getInt32(4 * i, true);
      return out;
    }
    case "U8":
    case "BOOL":
      return Uint8Array.from(raw);
  }
}

// ---- write ------------------------------------------------------------------------------------------

export interface TensorToWrite {
  shape: readonly number[];
  data: SafeData;
  /** Stored dtype; float data defaults to F32 and may be narrowed to F16 or BF16. */
  dtype?: SafeDType;
}

function encode(name: string, t: TensorToWrite): { dtype: SafeDType; bytes: Uint8Array } {
  const count = t.shape.reduce((a, b) => a * b, 1);
  if (count !== t.data.length) throw new SafetensorsError(`tensor "${name}": shape [${t.shape}] holds ${count} values but data has ${t.data.length}`);
  const isFloat = t.data instanceof Float32Array || t.data instanceof Float64Array;
  const dtype: SafeDType =
    t.dtype ??
    (t.data instanceof Float32Array
      ? "F32"
      : t.data instanceof Float64Array
        ? "F64"
        : t.data instanceof BigInt64Array
          ? "I64"
          : t.data instanceof Int32Array
            ? "I32"
            : "U8");
  const bytes = new Uint8Array(count * ELEM_BYTES[dtype]);
  const dv = new DataView(bytes.buffer);
  const src = t.data as ArrayLike<number>;
  if (["F32", "F64", "F16", "BF16"].includes(dtype) && !isFloat) throw new SafetensorsError(`tensor "${name}": ${dtype} needs float data`);
  for (let i = 0; i < count; i++) {
    switch (dtype) {
      case "F32":
        dv.setFloat32(4 * i, src[i]!, true);
        break;
      case "F64":
        dv.setFloat64(8 * i, src[i]!, true);
        break;
      case "F16":
        dv.setUint16(2 * i, f32ToF16Bits(src[i]!), true);
        break;
      case "BF16":
        dv.setUint16(2 * i, f32ToBf16Bits(src[i]!), true);
        break;
      case "I64":
        dv.setBigInt64(8 * i, BigInt((t.data as BigInt64Array)[i]!), true);
        break;
      case "I32":
        dv.setInt32(4 * i, src[i]!, true);
        break;
      case "U8":
      case "BOOL":
        dv.setUint8(i, src[i]!);
        break;
    }
  }
  return { dtype, bytes };
}

export function serializeSafetensors(tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length) header["__metadata__"] = metadata;
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const name of Object.keys(tensors).sort()) {
    if (name === "__metadata__") throw new SafetensorsError(`"__metadata__" cannot be a tensor name`);
    const { dtype, bytes } = encode(name, tensors[name]!);
    header[name] = { dtype, shape: [...tensors[name]!.shape], data_offsets: [offset, offset + bytes.length] };
    chunks.push(bytes);
    offset += bytes.length;
  }
  let json = JSON.stringify(header);
  json += " ".repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8); // 8-byte aligned data section
  const jsonBytes = Buffer.from(json, "utf8");
  const len = Buffer.alloc(8);
  len.writeBigUInt64LE(BigInt(jsonBytes.length));
  return Buffer.concat([len, jsonBytes, ...chunks]);
}

/** Writes atomically: a reader never sees a half-written file, and a crash keeps the previous one. */
export function writeSafetensors(file: string, tensors: Record<string, TensorToWrite>, metadata: Record<string, string> = {}): void {
  writeFileAtomic(file, serializeSafetensors(tensors, metadata));
}

/**
 * SHA-256 over tensors' names and bytes, in name order: written into a file's metadata and checked on
 * load (checkpoints, adapters), so a file changed after it was saved (a flipped bit) is refused.
 */
export function contentHash(entries: [string, ArrayBufferView][]): string {
  const h = createHash("sha256");
  for (const [k, d] of [...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))) {
    h.update(k);
    h.update(new Uint8Array(d.buffer, d.byteOffset, d.byteLength));
  }
  return h.digest("hex");
}

// Kept here for the engine's callers; the implementation lives in src/core (no engine import needed).
export { writeFileAtomic };
