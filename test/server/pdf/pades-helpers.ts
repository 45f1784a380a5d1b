/**
 * Helpers of the PAdES tests: build PDFs with a signature placeholder, read the signature back, verify it
 * with pkijs and poppler's pdfsig, make keys and certificates with openssl. Nothing runs on import.
 */
import { spawnSync } from "node:child_process";
import { webcrypto } from "node:crypto";
import { pdflibAddPlaceholder } from "@signpdf/placeholder-pdf-lib";
import * as asn1js from "asn1js";
import { PDFDocument, StandardFonts } from "pdf-lib";
import * as pkijs from "pkijs";

/** pkijs on Node's WebCrypto, passed explicitly: no global engine is set. */
export function pkijsEngine(): pkijs.CryptoEngine {
  return new pkijs.CryptoEngine({ name: "node", crypto: webcrypto as unknown as Crypto });
}

export interface PlaceholderPdfOptions {
  /** Hex digits of the /Contents placeholder (pdflibAddPlaceholder's signatureLength). Default 16384. */
  signatureLength?: number;
  subFilter?: string;
  /** Bytes of an attachment, to reach a realistic size. Default none. */
  attachmentBytes?: number;
  /** How many placeholders to add. Default 1. */
  placeholders?: number;
  signingTime?: Date;
}

/**
 * A one-page PDF with a signature placeholder written by `@signpdf/placeholder-pdf-lib`, saved without
 * object streams (as pdf-lib 1.17 must, so the placeholder stays a plain indirect object).
 */
export async function makePlaceholderPdf(options: PlaceholderPdfOptions = {}): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  const page = doc.addPage([595, 842]);
  const font = await doc.embedFont(StandardFonts.Helvetica);
  page.drawText("Common Recruitment Examination: result", { x: 50, y: 760, font, size: 16 });
  if (options.attachmentBytes) {
    const data = new Uint8Array(options.attachmentBytes).map((_, i) => (i * 7919) % 251);
    await doc.attach(data, "credential.json", { mimeType: "application/json" });
  }
  for (let i = 0; i < (options.placeholders ?? 1); i++) {
    pdflibAddPlaceholder({
      pdfDoc: doc,
      reason: "Certificate issued by the Civil Service Bureau",
      contactInfo: "ecert@csb.gov.hk",
      name: "Civil Service Bureau",
      location: "Hong Kong",
      signatureLength: options.signatureLength ?? 16384,
      subFilter: options.subFilter ?? "ETSI.CAdES.detached",
      signingTime: options.signingTime ?? new Date(Date.UTC(2026, 2, 1, 12)),
    });
  }
  return doc.save({ useObjectStreams: false });
}

/** A PDF without any signature placeholder. */
export async function makePlainPdf(): Promise<Uint8Array> {
  const doc = await PDFDocument.create();
  doc.addPage([595, 842]);
  return doc.save({ useObjectStreams: false });
}

export interface ExtractedSignature {
  byteRange: [number, number, number, number];
  /** The CMS ContentInfo DER (trailing zero padding removed). */
  cms: Uint8Array;
  /** The bytes the byte range covers, concatenated. */
  signedBytes: Uint8Array;
}

/** Reads the (single) filled signature of a signed PDF. */
export function extractSignature(pdf: Uint8Array): ExtractedSignature {
  const text = Buffer.from(pdf).toString("latin1");
  const match = /\/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]/.exec(text);
  if (!match) throw new Error("no filled /ByteRange");
  const byteRange = match.slice(1, 5).map(Number) as [number, number, number, number];
  const [a, b, c, d] = byteRange;
  const hex = text.slice(b + 1, c - 1);
  const padded = Buffer.from(hex, "hex");
  const parsed = asn1js.fromBER(padded);
  if (parsed.offset === -1) throw new Error("the /Contents hex is not BER");
  const cms = padded.subarray(0, parsed.offset);
  const signedBytes = Buffer.concat([pdf.subarray(a, a + b), pdf.subarray(c, c + d)]);
  return { byteRange, cms, signedBytes };
}

/** The SignedData of a CMS ContentInfo. */
export function parseSignedData(cms: Uint8Array): pkijs.SignedData {
  const contentInfo = pkijs.ContentInfo.fromBER(Uint8Array.from(cms));
  if (contentInfo.contentType !== pkijs.ContentInfo.SIGNED_DATA) throw new Error("not SignedData");
  return new pkijs.SignedData({ schema: contentInfo.content });
}

/**
 * Verifies the signature of a signed PDF with pkijs (`SignedData.verify` with the byte ranges as
 * detached data). Resolves to true or false; never throws for a bad signature.
 */
export async function verifyWithPkijs(pdf: Uint8Array): Promise<boolean> {
  const { cms, signedBytes } = extractSignature(pdf);
  const signedData = parseSignedData(cms);
  // A fresh ArrayBuffer: Buffer#slice is a view, whose .buffer may be a larger shared pool.
  const data = new Uint8Array(signedBytes).buffer;
  try {
    const result = await signedData.verify({ signer: 0, data, checkChain: false, extendedMode: true }, pkijsEngine());
    return result.signatureVerified === true;
  } catch {
    return false;
  }
}

/** Runs `pdfsig` (poppler-utils) on a file, in UTC, and returns its output lines, trimmed. */
export function pdfsig(file: string, ...args: string[]): string[] {
  const result = spawnSync("pdfsig", [...args, file], { encoding: "utf8", env: { ...process.env, TZ: "UTC" } });
  if (result.error) throw result.error;
  return `${result.stdout}\n${result.stderr}`
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "");
}

/** Runs `openssl` with the arguments; throws with its stderr when it fails. */
export function openssl(...args: string[]): void {
  const result = spawnSync("openssl", args, { encoding: "utf8" });
  if (result.error) throw result.error;
  if (result.status !== 0) throw new Error(`openssl ${args[0]} failed: ${result.stderr}`);
}
