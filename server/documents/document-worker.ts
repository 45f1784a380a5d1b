/**
 * A worker thread of `DocumentWorkers` (a piscina pool): creates credentials, or renders and signs PDFs,
 * for the chunk each task names. The template (fonts, fixed texts) and the signer are prepared once, when
 * the worker starts. A task that fails throws: the pool rejects that task alone.
 */
import { move, transferableSymbol, valueSymbol, workerData } from "piscina";
import QRCode from "qrcode";
import {
  createCredential,
  encodeCredentialUrl,
  getCertificateType,
  type Credential,
  type Hex,
  type MerkleAnchor,
} from "../../core/index.ts";
import { createPadesSigner, type PadesSigner } from "../pdf/pades.ts";
import { CertificateTemplate } from "../pdf/render-certificate.ts";
import type { WorkerReply, WorkerRequest, WorkerSetup } from "./document-workers.ts";

const setup = workerData as WorkerSetup;
const signer: PadesSigner = createPadesSigner(setup.identity);
const template = new CertificateTemplate({
  schema: getCertificateType(setup.typeId),
  issuer: setup.issuer,
  verifierUrl: setup.verifierUrl,
  // Room for this signer's CMS and no more (the default's is for any key: 13 KB of zeros a PDF).
  signatureLength: signer.contentsLength / 2,
});

/**
 * The largest Merkle proof a credential can get (a batch of 100,000: 17 hashes), to check at acceptance
 * that its QR code will fit once the proof is in.
 */
const WORST_CASE_MERKLE: MerkleAnchor = {
  root: `0x${"ff".repeat(32)}`,
  path: Array.from({ length: 17 }, () => `0x${"ff".repeat(32)}` as Hex),
  chainId: Number.MAX_SAFE_INTEGER,
  registry: `0x${"ff".repeat(20)}`,
};

/**
 * Below this many bytes of credential JSON the QR code always fits (a version 40-M code holds about
 * 2,330 payload bytes; the payload is never larger than the JSON plus the proof), so the check is free
 * for ordinary certificates.
 */
const ALWAYS_FITS_JSON_BYTES = 1500;
/** URLs up to this long fit in any case (their digits in numeric mode, the base URL in byte mode). */
const ALWAYS_FITS_URL_CHARS = 5000;

/** Why the credential's QR code would not fit, once it has its Merkle proof; undefined when it fits. */
function qrProblem(credential: Credential, jsonBytes: number): string | undefined {
  if (jsonBytes <= ALWAYS_FITS_JSON_BYTES) return undefined;
  let url: string;
  try {
    url = encodeCredentialUrl(setup.verifierUrl, {
      ...credential,
      proof: { ...credential.proof, merkle: WORST_CASE_MERKLE },
    });
  } catch (error) {
    return (error as Error).message;
  }
  if (url.length <= ALWAYS_FITS_URL_CHARS) return undefined;
  try {
    QRCode.create(url, { errorCorrectionLevel: "M" });
    return undefined;
  } catch {
    return `its values need a QR code of ${url.length} characters, more than one QR code holds`;
  }
}

export default function documentTask(request: WorkerRequest): WorkerReply {
  if (request.kind === "credentials") {
    const issuedAt = new Date(request.issuedAt);
    const json: string[] = [];
    const digests: Hex[] = [];
    const unfit: { index: number; problem: string }[] = [];
    request.records.forEach((record, index) => {
      const { credential, digest } = createCredential({ record, now: () => issuedAt });
      const text = JSON.stringify(credential);
      const problem = qrProblem(credential, Buffer.byteLength(text));
      if (problem) unfit.push({ index, problem });
      json.push(text);
      digests.push(digest);
    });
    return { kind: "credentials", json, digests, unfit };
  }
  const signingTime = new Date(request.signingTime);
  const pdfs = request.json.map((text, i) => {
    const credential = JSON.parse(text) as Credential;
    credential.proof.merkle = request.merkle[i];
    const qrUrl = encodeCredentialUrl(setup.verifierUrl, credential);
    const pdf = signer.sign(template.render({ credential, qrUrl, signingTime }));
    // Transferable only when the bytes own their whole buffer.
    return pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength ? pdf : pdf.slice();
  });
  const reply: WorkerReply = { kind: "render", pdfs };
  // Move the PDFs' buffers to the main thread instead of copying them.
  return move({
    get [transferableSymbol]() {
      return pdfs.map((p) => p.buffer);
    },
    get [valueSymbol]() {
      return reply;
    },
  }) as unknown as WorkerReply;
}
