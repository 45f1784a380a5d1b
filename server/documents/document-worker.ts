/**
 * A worker thread of `DocumentWorkers`: creates credentials, or renders and signs PDFs, for the chunks
 * it is sent. The template (fonts, fixed texts) and the signer are prepared once, before "ready".
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCredential, encodeCredentialUrl, getCertificateType, type Credential } from "../../core/index.ts";
import { createPadesSigner, type PadesSigner } from "../pdf/pades.ts";
import { CertificateTemplate } from "../pdf/render-certificate.ts";
import type { WorkerReply, WorkerRequest, WorkerSetup } from "./document-workers.ts";

const setup = workerData as WorkerSetup;
const template = new CertificateTemplate({
  schema: getCertificateType(setup.typeId),
  issuer: setup.issuer,
  verifierUrl: setup.verifierUrl,
});
const signer: PadesSigner = createPadesSigner(setup.identity);
const signingTime = new Date(setup.signingTime);

function render(credentials: readonly Credential[]): Uint8Array[] {
  return credentials.map((credential) => {
    const qrUrl = encodeCredentialUrl(setup.verifierUrl, credential);
    const pdf = signer.sign(template.render({ credential, qrUrl, signingTime }));
    // Transferable only when the bytes own their whole buffer.
    return pdf.byteOffset === 0 && pdf.byteLength === pdf.buffer.byteLength ? pdf : pdf.slice();
  });
}

parentPort!.on("message", (request: WorkerRequest) => {
  try {
    if (request.kind === "credentials") {
      const issuedAt = new Date(request.issuedAt);
      const issued = request.records.map((record) => createCredential({ record, now: () => issuedAt }));
      parentPort!.postMessage({ kind: "credentials", issued } satisfies WorkerReply);
    } else {
      const pdfs = render(request.credentials);
      parentPort!.postMessage({ kind: "render", pdfs } satisfies WorkerReply, pdfs.map((p) => p.buffer as ArrayBuffer));
    }
  } catch (error) {
    parentPort!.postMessage({ kind: "error", message: (error as Error).message } satisfies WorkerReply);
  }
});
parentPort!.postMessage({ kind: "ready" } satisfies WorkerReply);
