/**
 * A worker thread of `DocumentWorkers` (a piscina pool): creates credentials, or renders and signs PDFs,
 * for the chunk each task names. The template (fonts, fixed texts) and the signer are prepared once, when
 * the worker starts. A task that fails throws: the pool rejects that task alone.
 */
import { move, transferableSymbol, valueSymbol, workerData } from "piscina";
import { createCredential, encodeCredentialUrl, getCertificateType, type Credential, type Hex } from "../../core/index.ts";
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

export default function documentTask(request: WorkerRequest): WorkerReply {
  if (request.kind === "credentials") {
    const issuedAt = new Date(request.issuedAt);
    const json: string[] = [];
    const digests: Hex[] = [];
    for (const record of request.records) {
      const { credential, digest } = createCredential({ record, now: () => issuedAt });
      json.push(JSON.stringify(credential));
      digests.push(digest);
    }
    return { kind: "credentials", json, digests };
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
