// Helpers for the integrity tests: real credentials, Merkle trees and signed PDFs, made on this thread.
// Nothing runs on import.
import path from "node:path";
import {
  buildMerkleTree,
  createCredential,
  encodeCredentialUrl,
  getCertificateType,
  validateCsv,
  type Credential,
  type Hex,
  type MerkleTree,
} from "../../../core/index.ts";
import { createPadesSigner } from "../../../server/pdf/pades.ts";
import { CertificateTemplate } from "../../../server/pdf/render-certificate.ts";
import { loadSigningIdentity } from "../../../server/pdf/signing-identity.ts";
import { ensureDevPki } from "../../../server/pki/dev-pki.ts";
import { ISSUERS, REGISTRY, VERIFIER_URL, sampleCsv } from "../pdf/documents-helpers.ts";

export interface SampleBatch {
  typeId: string;
  /** The credentials as the store keeps them (JSON text, no Merkle proof), in leaf order. */
  json: string[];
  digests: Hex[];
  certificateNumbers: string[];
  tree: MerkleTree;
  /** The signed PDF of each certificate. */
  pdfs: Uint8Array[];
}

/** Credentials, tree and signed PDFs of the first `count` rows of a sample CSV (CSB types). */
export async function sampleBatch(dir: string, csv: string, typeId: string, count: number): Promise<SampleBatch> {
  const { records } = validateCsv(sampleCsv(csv), typeId);
  const chosen = records.slice(0, count);
  const issued = chosen.map((record) => createCredential({ record }));
  const json = issued.map((i) => JSON.stringify(i.credential));
  const digests = issued.map((i) => i.digest);
  const tree = buildMerkleTree(digests);
  const schema = getCertificateType(typeId);
  const issuer = ISSUERS[schema.issuer as keyof typeof ISSUERS];
  const pki = await ensureDevPki(path.join(dir, "pki"), [issuer]);
  const signer = createPadesSigner(await loadSigningIdentity(pki.departments[issuer.id]));
  const template = new CertificateTemplate({ schema, issuer, verifierUrl: VERIFIER_URL });
  const pdfs = json.map((text, i) => {
    const credential = JSON.parse(text) as Credential;
    credential.proof.merkle = { root: tree.root, path: tree.proof(i), chainId: 31337, registry: REGISTRY };
    return signer.sign(template.render({ credential, qrUrl: encodeCredentialUrl(VERIFIER_URL, credential) }));
  });
  return {
    typeId,
    json,
    digests,
    certificateNumbers: chosen.map((r) => String(r.subject.certificateNumber)),
    tree,
    pdfs,
  };
}
