/**
 * What a forger (or a damaged download) does to a signed certificate PDF, done to the bytes: flip a
 * byte, append an incremental update, swap the embedded credential in place, strip the signature value.
 * Pure functions on byte arrays; nothing runs on import.
 */
import { deflateSync } from "node:zlib";

const latin1 = (bytes: Uint8Array) => Buffer.from(bytes).toString("latin1");

/** A copy of `pdf` with the byte at `offset` XORed with `mask` (1 to 255, so it always changes). */
export function flipByte(pdf: Uint8Array, offset: number, mask = 0x01): Uint8Array {
  if (mask < 1 || mask > 255) throw new Error("mask must be 1..255");
  const out = new Uint8Array(pdf); // a copy (Buffer.prototype.slice would be a view)
  out[offset] ^= mask;
  return out;
}

/** The offset of the first occurrence of `text` (latin1) in `pdf`; throws when absent. */
export function offsetOf(pdf: Uint8Array, text: string, from = 0): number {
  const at = latin1(pdf).indexOf(text, from);
  if (at < 0) throw new Error(`${JSON.stringify(text)} is not in the PDF`);
  return at;
}

/**
 * Appends a well-formed incremental update (ISO 32000-1 7.5.6) that redefines the document
 * information dictionary with a new title: what an editor does when it "saves" a change to a signed PDF.
 */
export function appendIncrementalUpdate(pdf: Uint8Array, title = "Edited after signing"): Uint8Array {
  const text = latin1(pdf);
  const info = /\/Info (\d+) 0 R/.exec(text.slice(text.lastIndexOf("trailer")));
  const root = /\/Root (\d+) 0 R/.exec(text.slice(text.lastIndexOf("trailer")));
  const size = /\/Size (\d+)/.exec(text.slice(text.lastIndexOf("trailer")));
  const prev = /startxref\s+(\d+)/.exec(text.slice(text.lastIndexOf("startxref")));
  if (!info || !root || !size || !prev) throw new Error("not a PDF with a classic trailer");
  const object = `${info[1]} 0 obj\n<< /Title (${title}) /Producer (Some editor) >>\nendobj\n`;
  const objectOffset = pdf.length + 1;
  const xrefOffset = objectOffset + object.length;
  const update =
    `\n${object}xref\n${info[1]} 1\n${String(objectOffset).padStart(10, "0")} 00000 n \n` +
    `trailer\n<< /Size ${size[1]} /Root ${root[1]} 0 R /Info ${info[1]} 0 R /Prev ${prev[1]} >>\nstartxref\n${xrefOffset}\n%%EOF\n`;
  return new Uint8Array(Buffer.concat([pdf, Buffer.from(update, "latin1")]));
}

/**
 * Replaces the embedded credential of a PDF with `credential`, in place: the embedded-file object keeps
 * its length (padded with spaces), so every offset of the xref table stays right and the PDF still opens.
 * Throws when the new credential does not fit.
 */
export function replaceEmbeddedCredential(pdf: Uint8Array, credential: unknown): Uint8Array {
  return replaceEmbeddedText(pdf, JSON.stringify(credential));
}

/** {@link replaceEmbeddedCredential} with the attachment's JSON text given as it is (e.g. with a member twice). */
export function replaceEmbeddedText(pdf: Uint8Array, jsonText: string): Uint8Array {
  const text = latin1(pdf);
  const typeAt = text.indexOf("/Type /EmbeddedFile");
  if (typeAt < 0) throw new Error("no embedded file");
  const start = text.lastIndexOf(" obj\n", typeAt) + " obj\n".length;
  const end = text.indexOf("\nendobj", typeAt);
  const old = text.slice(start, end);
  const dictionaryEnd = old.indexOf(">>\nstream\n");
  const json = Buffer.from(jsonText, "utf8");
  const data = deflateSync(json, { level: 9 });
  const dictionary = old
    .slice(0, dictionaryEnd)
    .replace(/\/Size \d+/, `/Size ${json.length}`)
    .replace(/\/Length \d+/, `/Length ${data.length}`);
  const body = Buffer.concat([
    Buffer.from(`${dictionary}>>\nstream\n`, "latin1"),
    data,
    Buffer.from("\nendstream", "latin1"),
  ]);
  if (body.length > old.length) throw new Error(`the new credential needs ${body.length - old.length} more bytes`);
  const padded = Buffer.concat([body, Buffer.alloc(old.length - body.length, 0x20)]);
  const out = Buffer.from(pdf);
  padded.copy(out, start);
  return new Uint8Array(out);
}

/** The PDF with its signature value (the /Contents hex string) overwritten with zeros. */
export function stripSignatureValue(pdf: Uint8Array): Uint8Array {
  const text = latin1(pdf);
  const match = /\/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)/.exec(text);
  if (!match) throw new Error("no filled /ByteRange");
  const out = new Uint8Array(pdf);
  out.fill(0x30, Number(match[1]) + 1, Number(match[2]) - 1);
  return out;
}
