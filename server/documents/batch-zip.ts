/**
 * An upload's PDFs as one zip (`GET /api/v1/batches/{id}/pdfs.zip`, issue 14), written as it is read: the
 * upload's certificates are read from the store a page at a time and each stored PDF one at a time, and
 * every chunk of the zip is handed to the sink as soon as fflate makes it; the next PDF is read only once
 * the sink has taken the last chunk (an HTTP response's backpressure). Memory stays at one page of rows
 * and one PDF, whatever the size of the upload.
 *
 * Format: a ZIP file (APPNOTE 6.3) of stored entries (method 0: a signed PDF is compressed already, and
 * deflating it again would gain nothing and break nothing but time), each with a data descriptor (fflate's
 * `ZipPassThrough`: its CRC-32 and size follow its bytes), named `<row>-<certificate number>.pdf` with
 * every character outside `[A-Za-z0-9._-]` replaced by `_`, in upload order. No ZIP64: a zip is at most
 * {@link MAX_ZIP_FILES} entries and 4 GiB (the writer stops with an error past that).
 */
import { Zip, ZipPassThrough } from "fflate";
import type { CertificateRow, CertificateStatus, Store } from "../db/store.ts";

/** Most certificates one zip holds (ask for the rest with `offset`): well below ZIP's 65,535 entries. */
export const MAX_ZIP_FILES = 10_000;

/** Certificates read from the store at a time. */
export const ZIP_PAGE_SIZE = 100;

/** The largest ZIP without ZIP64: its offsets and sizes are 32-bit. */
const ZIP32_MAX_BYTES = 0xffff_ffff;

/** Statuses of a certificate whose PDF is served (as `GET /certificates/{id}/pdf` serves it). */
const WITH_PDF: ReadonlySet<CertificateStatus> = new Set(["issued", "suspended", "revoked", "superseded"]);

/** Takes one chunk of the zip; resolves when it can take the next (the receiver's backpressure). */
export type ZipSink = (chunk: Uint8Array) => void | Promise<void>;

export interface BatchZipParameters {
  store: Store;
  issuerId: string;
  uploadId: string;
  /** The first certificate of the upload (in upload order, whatever its status) to consider. Default 0. */
  offset?: number;
  /** How many of the upload's certificates to consider from `offset`. Default {@link MAX_ZIP_FILES}. */
  limit?: number;
  /** Certificates read from the store at a time (default {@link ZIP_PAGE_SIZE}). */
  pageSize?: number;
}

export interface BatchZipResult {
  /** PDFs written into the zip. */
  files: number;
  /** Bytes of the whole zip. */
  bytes: number;
}

/**
 * The name of a certificate's PDF in the zip: `<row>-<certificate number>.pdf`, only `[A-Za-z0-9._-]`.
 *
 * @example pdfFileName({ row: 2, certificateNumber: "DGL/2025/00001" }) // "2-DGL_2025_00001.pdf"
 */
export function pdfFileName(row: Pick<CertificateRow, "row" | "certificateNumber">): string {
  return `${row.row}-${row.certificateNumber}.pdf`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/**
 * Writes the zip of the upload's stored PDFs (issued, suspended, revoked or superseded certificates that
 * have one) to `sink`, chunk by chunk.
 *
 * @example
 * await writeBatchZip({ store, issuerId: "CSB", uploadId }, (chunk) => writeWithBackpressure(res, chunk));
 */
export async function writeBatchZip(parameters: BatchZipParameters, sink: ZipSink): Promise<BatchZipResult> {
  const { store, issuerId, uploadId, offset = 0, limit = MAX_ZIP_FILES, pageSize = ZIP_PAGE_SIZE } = parameters;
  const ready: Uint8Array[] = [];
  let failure: Error | null = null;
  let bytes = 0;
  let files = 0;
  // fflate calls back synchronously from add/push/end; the chunks wait here until the sink takes them.
  const zip = new Zip((error, chunk) => {
    if (error) failure = error;
    else ready.push(chunk);
  });
  const flush = async () => {
    if (failure) throw failure;
    for (let chunk = ready.shift(); chunk; chunk = ready.shift()) {
      bytes += chunk.length;
      if (bytes > ZIP32_MAX_BYTES) throw new Error(`the zip of upload ${uploadId} would exceed 4 GiB`);
      await sink(chunk);
    }
  };
  const end = offset + limit;
  for (let at = offset; at < end;) {
    const page = await store.listCertificates(issuerId, { uploadId, limit: Math.min(pageSize, end - at), offset: at });
    if (page.length === 0) break;
    at += page.length;
    for (const row of page) {
      if (!WITH_PDF.has(row.status) || !row.pdfHash) continue;
      const pdf = await store.getPdf(row.id);
      if (!pdf) continue;
      const file = new ZipPassThrough(pdfFileName(row));
      file.mtime = new Date(row.createdAt);
      zip.add(file);
      file.push(pdf, true);
      files++;
      await flush();
    }
  }
  zip.end();
  await flush();
  return { files, bytes };
}
