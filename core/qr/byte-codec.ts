/**
 * The byte writer and reader of the QR payload (`core/qr/format.ts`): unsigned LEB128 varints, UTF-8
 * strings with their length, fixed-size hex fields. The reader is strict (minimal varints, bounds,
 * UTF-8) and throws `CoreError("MALFORMED")` naming what it was reading.
 */
import { toHex, writeHex } from "../bytes.ts";
import type { Hex } from "../credential.ts";
import { CoreError } from "../errors.ts";
import { malformed } from "./format.ts";

const textEncoder = new TextEncoder();
const textDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** An unpaired UTF-16 surrogate (in `u` mode a well-formed pair is one code point, not matched). */
const LONE_SURROGATE = /\p{Cs}/u;

export class Writer {
  bytes: number[] = [];

  byte(b: number): void {
    this.bytes.push(b);
  }

  raw(bytes: Uint8Array): void {
    for (const b of bytes) this.bytes.push(b);
  }

  /** Unsigned LEB128 of a non-negative safe integer. */
  varint(n: number): void {
    while (n >= 128) {
      this.bytes.push((n % 128) | 128);
      n = Math.floor(n / 128);
    }
    this.bytes.push(n);
  }

  /** Unsigned LEB128 of a non-negative bigint. */
  bigVarint(n: bigint): void {
    while (n >= 128n) {
      this.bytes.push(Number(n % 128n) | 128);
      n /= 128n;
    }
    this.bytes.push(Number(n));
  }

  utf8(text: string): Uint8Array {
    if (LONE_SURROGATE.test(text)) {
      throw new CoreError(
        "MALFORMED",
        "A claim holds an unpaired UTF-16 surrogate, which a credential payload cannot carry",
      );
    }
    return textEncoder.encode(text);
  }

  /** A string with its length, the length first offset by `bias` (room for special values below it). */
  string(text: string, bias = 0): void {
    const bytes = this.utf8(text);
    this.varint(bytes.length + bias);
    this.raw(bytes);
  }

  hex(hex: string, length: number): void {
    const out = new Uint8Array(length);
    if (!writeHex(hex, length, out, 0))
      throw new CoreError("MALFORMED", `${hex.slice(0, 80)} is not ${length} bytes of hex`);
    this.raw(out);
  }

  result(): Uint8Array {
    return Uint8Array.from(this.bytes);
  }
}

export class Reader {
  bytes: Uint8Array;
  pos = 0;

  constructor(bytes: Uint8Array) {
    this.bytes = bytes;
  }

  take(length: number, what: string): Uint8Array {
    if (length > this.bytes.length - this.pos) malformed(`The credential payload is truncated (in ${what})`);
    const out = this.bytes.subarray(this.pos, this.pos + length);
    this.pos += length;
    return out;
  }

  byte(what: string): number {
    return this.take(1, what)[0];
  }

  /** Unsigned LEB128, minimal, at most `max` (a safe integer). */
  varint(what: string, max = Number.MAX_SAFE_INTEGER): number {
    let n = 0;
    let scale = 1;
    for (let i = 0; ; i++) {
      const b = this.byte(what);
      if (i === 8) malformed(`The credential payload has an over-long number (in ${what})`);
      n += (b & 127) * scale;
      scale *= 128;
      if (b < 128) {
        if (b === 0 && i > 0) malformed(`The credential payload has a non-minimal number (in ${what})`);
        break;
      }
    }
    if (n > max) malformed(`The credential payload has ${what} out of range (${n} > ${max})`);
    return n;
  }

  /** Unsigned LEB128 as a bigint, minimal, at most `max`. */
  bigVarint(what: string, max: bigint): bigint {
    let n = 0n;
    for (let i = 0; ; i++) {
      const b = this.byte(what);
      if (i === 8) malformed(`The credential payload has an over-long number (in ${what})`);
      n |= BigInt(b & 127) << BigInt(7 * i);
      if (b < 128) {
        if (b === 0 && i > 0) malformed(`The credential payload has a non-minimal number (in ${what})`);
        break;
      }
    }
    if (n > max) malformed(`The credential payload has ${what} out of range`);
    return n;
  }

  utf8(length: number, what: string): string {
    const bytes = this.take(length, what);
    try {
      return textDecoder.decode(bytes);
    } catch {
      return malformed(`The credential payload has text that is not UTF-8 (in ${what})`);
    }
  }

  string(what: string): string {
    return this.utf8(this.varint(what, this.bytes.length), what);
  }

  hex(length: number, what: string): Hex {
    return toHex(this.take(length, what));
  }

  end(what: string): void {
    if (this.pos !== this.bytes.length)
      malformed(`The credential payload has ${this.bytes.length - this.pos} unexpected bytes after ${what}`);
  }
}
