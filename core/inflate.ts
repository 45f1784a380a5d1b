/**
 * Bounded inflation of untrusted DEFLATE data (a QR payload's values block, a PDF's embedded credential):
 * the input is fed a slice at a time and inflation stops as soon as the output passes its limit, so a
 * zip bomb costs a few steps, never its inflated size. Works the same in Node and in the browser.
 */
import { Inflate, Unzlib } from "fflate";

export type InflateBoundedOptions = {
  /** `"raw"`: a bare DEFLATE stream (RFC 1951); `"zlib"`: with the zlib wrapper (RFC 1950), as a PDF's FlateDecode. */
  format: "raw" | "zlib";
  /** Largest output accepted, in bytes. */
  maxBytes: number;
  /**
   * Input bytes fed per step. DEFLATE expands at most 1032:1, so one step inflates at most about
   * `1032 * chunkBytes` bytes before the limit is checked again. Default 256.
   */
  chunkBytes?: number;
};

/** The inflated bytes, or why there are none. */
export type InflateBoundedResult =
  | { ok: true; bytes: Uint8Array }
  | {
      ok: false;
      /** `empty`: no input bytes; `too-large`: more than `maxBytes` out; `corrupt`: not a valid (or a truncated) stream. */
      reason: "empty" | "too-large" | "corrupt";
    };

/** Thrown from the data callback to stop fflate mid-step once the limit is passed. */
const TOO_LARGE = new Error("inflated data over the limit");

/**
 * Inflates `data`, refusing more than `options.maxBytes` of output. Never throws for bad input.
 * Bytes after the end of the stream's final block are ignored (fflate does not report them).
 *
 * @example
 * ```ts
 * const inflated = inflateBounded(stream, { format: "zlib", maxBytes: 1 << 20 });
 * if (!inflated.ok) return damaged(inflated.reason);
 * ```
 */
export function inflateBounded(data: Uint8Array, options: InflateBoundedOptions): InflateBoundedResult {
  const { format, maxBytes, chunkBytes = 256 } = options;
  if (data.length === 0) return { ok: false, reason: "empty" };
  const chunks: Uint8Array[] = [];
  let total = 0;
  const onData = (chunk: Uint8Array): void => {
    total += chunk.length;
    if (total > maxBytes) throw TOO_LARGE;
    chunks.push(chunk);
  };
  const inflater = format === "raw" ? new Inflate(onData) : new Unzlib(onData);
  try {
    for (let i = 0; i < data.length; i += chunkBytes)
      inflater.push(data.subarray(i, i + chunkBytes), i + chunkBytes >= data.length);
  } catch (error) {
    return { ok: false, reason: error === TOO_LARGE ? "too-large" : "corrupt" };
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.length;
  }
  return { ok: true, bytes };
}
