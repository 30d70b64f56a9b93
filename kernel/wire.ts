// The Jupyter wire protocol (messaging 5.3): multipart frames, HMAC signatures, headers.
//
//   [identities…, "<IDS|MSG>", signature, header, parent_header, metadata, content, buffers…]
//
// Every message sent is signed; every message received is verified with a constant-time comparison, and
// one with a missing or wrong signature is rejected before anything reads its content.

import { createHmac, randomUUID, timingSafeEqual } from "node:crypto";

export const DELIMITER = "<IDS|MSG>";
export const PROTOCOL_VERSION = "5.3";

export interface Header {
  msg_id: string;
  session: string;
  username: string;
  date: string;
  msg_type: string;
  version: string;
}

export interface Message<C = Record<string, unknown>> {
  identities: Buffer[];
  header: Header;
  parent_header: Header | Record<string, never>;
  metadata: Record<string, unknown>;
  content: C;
  buffers: Buffer[];
}

export class WireError extends Error {
  override name = "WireError";
}

export class Signer {
  constructor(
    private readonly key: string,
    scheme = "hmac-sha256",
  ) {
    if (key && scheme !== "hmac-sha256") throw new WireError(`signature_scheme ${JSON.stringify(scheme)} is not supported (allowed: hmac-sha256)`);
  }

  sign(parts: readonly Buffer[]): string {
    if (!this.key) return "";
    const h = createHmac("sha256", this.key);
    for (const p of parts) h.update(p);
    return h.digest("hex");
  }

  verify(signature: string, parts: readonly Buffer[]): boolean {
    if (!this.key) return true;
    const want = Buffer.from(this.sign(parts), "utf8");
    const got = Buffer.from(signature, "utf8");
    return got.length === want.length && timingSafeEqual(got, want);
  }
}

export function newHeader(msgType: string, session: string, username = "kernel"): Header {
  return { msg_id: randomUUID(), session, username, date: new Date().toISOString(), msg_type: msgType, version: PROTOCOL_VERSION };
}

/** Parses and verifies received frames; throws WireError for malformed or badly signed messages. */
export function decode(frames: readonly Buffer[], signer: Signer): Message {
  const i = frames.findIndex((f) => f.length === DELIMITER.length && f.toString("utf8") === DELIMITER);
  if (i < 0) throw new WireError("no <IDS|MSG> delimiter");
  if (frames.length < i + 6) throw new WireError(`${frames.length - i - 1} frames after the delimiter, need at least 5`);
  const [sig, header, parent, metadata, content] = frames.slice(i + 1, i + 6) as [Buffer, Buffer, Buffer, Buffer, Buffer];
  if (!signer.verify(sig.toString("utf8"), [header, parent, metadata, content])) throw new WireError("invalid or missing signature");
  const parse = (b: Buffer, what: string) => {
    try {
      const v = JSON.parse(b.toString("utf8")) as unknown;
      if (typeof v !== "object" || v === null || Array.isArray(v)) throw new Error("not an object");
      return v as Record<string, unknown>;
    } catch (e) {
      throw new WireError(`${what} is not a JSON object (${(e as Error).message})`);
    }
  };
  const h = parse(header, "header") as unknown as Header;
  if (typeof h.msg_type !== "string" || typeof h.msg_id !== "string") throw new WireError("header lacks msg_type or msg_id");
  return {
    identities: frames.slice(0, i) as Buffer[],
    header: h,
    parent_header: parse(parent, "parent_header") as unknown as Header,
    metadata: parse(metadata, "metadata"),
    content: parse(content, "content"),
    buffers: frames.slice(i + 6) as Buffer[],
  };
}

export function encode(
  signer: Signer,
  identities: readonly Buffer[],
  header: Header,
  parent: Header | Record<string, never>,
  metadata: Record<string, unknown>,
  content: unknown,
  buffers: readonly (Buffer | ArrayBufferView | ArrayBuffer)[] = [],
): Buffer[] {
  const parts = [header, parent, metadata, content].map((x) => Buffer.from(JSON.stringify(x), "utf8"));
  return [
    ...identities,
    Buffer.from(DELIMITER, "utf8"),
    Buffer.from(signer.sign(parts), "utf8"),
    ...parts,
    ...buffers.map((b) => (Buffer.isBuffer(b) ? b : ArrayBuffer.isView(b) ? Buffer.from(b.buffer, b.byteOffset, b.byteLength) : Buffer.from(b))),
  ];
}
