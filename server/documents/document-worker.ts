/**
 * A worker thread of `DocumentWorkers`: creates credentials, or renders and signs PDFs, for the chunks
 * it is sent. The template (fonts, fixed texts) and the signer are prepared once, before "ready".
 */
import { parentPort, workerData } from "node:worker_threads";
import { createCredential, encodeCredentialUrl, getCertificateType, type Credential, type Hex, type MerkleAnchor } from "../../core/index.ts";
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

function render(json: readonly string[], merkle: readonly MerkleAnchor[], signingTime: Date): Uint8Array[] {
  return json.map((text, i) => {
    const credential = JSON.parse(text) as Credential;
    credential.proof.merkle = merkle[i];
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
      const json: string[] = [];
      const digests: Hex[] = [];
      for (const record of request.records) {
        const { credential, digest } = createCredential({ record, now: () => issuedAt });
        json.push(JSON.stringify(credential));
        digests.push(digest);
      }
      parentPort!.postMessage({ kind: "credentials", json, digests } satisfies WorkerReply);
    } else {
      const pdfs = render(request.json, request.merkle, new Date(request.signingTime));
      parentPort!.postMessage({ kind: "render", pdfs } satisfies WorkerReply, pdfs.map((p) => p.buffer as ArrayBuffer));
    }
  } catch (error) {
    parentPort!.postMessage({ kind: "error", message: (error as Error).message } satisfies WorkerReply);
  }
});
parentPort!.postMessage({ kind: "ready" } satisfies WorkerReply);
