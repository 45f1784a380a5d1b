import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  CERTIFICATE_TYPES,
  buildMerkleTree,
  getCertificateType,
  validateCsv,
  validateRecord,
  REVOCATION_REASONS,
  type CertificateRecord,
  type Credential,
  type ValidationIssue,
} from "../../core/index.ts";
import type { IssuerChain, StatusCall } from "../chain/issuer-chain.ts";
import type { CertificateRow, NewCertificate, OperationKind, OperationRow, Store } from "../db/store.ts";
import { DocumentWorkers, type BatchIssuer } from "../documents/document-workers.ts";
import type { SigningIdentity } from "../pdf/signing-identity.ts";
import { crashPoint } from "./crash-point.ts";

/** An issuing department as the service knows it. */
export interface IssuerProfile extends BatchIssuer {
  identity: SigningIdentity;
}

export interface IssuanceServiceParameters {
  store: Store;
  chain: IssuerChain;
  chainId: number;
  registry: string;
  issuers: Record<string, IssuerProfile>;
  verifierUrl: string;
  batchSize: number;
  batchWaitMs: number;
  log: Logger;
  now?: () => Date;
  /** Worker threads per certificate type (default: the number of cores). */
  workers?: number;
}

/** An error the API turns into an HTTP status: `status` and a stable `code`. */
export class ServiceError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details?: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export interface AcceptedCertificate {
  row: number;
  id: string;
  certificateNumber: string;
  /** Shown once: the candidate downloads the PDF and the credential with it. */
  claimCode: string;
}

export interface SubmitResult {
  uploadId: string;
  accepted: AcceptedCertificate[];
  errors: ValidationIssue[];
  fileError?: { code: string; message: string; columns?: string[] };
}

const CLAIM_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"; // no 0/O, 1/I

/**
 * The issuer service: accepts certificates (validated, credentials made and stored at once), groups
 * them into batches, anchors each batch's Merkle root, renders and signs the PDFs, and applies status
 * changes on chain. Every step is a stored state (see `server/db/store.ts`): `tick()` resumes whatever
 * a crash interrupted, and asks the chain before anchoring, so a root is anchored exactly once.
 */
export class IssuanceService {
  readonly #p: IssuanceServiceParameters;
  readonly #workers = new Map<string, DocumentWorkers>();
  /** Merkle trees of recent batches: a closed batch's members never change. */
  readonly #trees = new Map<string, ReturnType<typeof buildMerkleTree>>();
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;

  constructor(parameters: IssuanceServiceParameters) {
    this.#p = parameters;
  }

  #now(): Date {
    return this.#p.now?.() ?? new Date();
  }

  /** Validates and accepts certificates from a CSV file or JSON objects (keyed by CSV column names). */
  async submit(input: {
    issuerId: string;
    typeId: string;
    csv?: Uint8Array;
    records?: unknown[];
    actor: string;
    supersedes?: CertificateRow;
  }): Promise<SubmitResult> {
    const { issuerId, typeId, actor } = input;
    let schema;
    try {
      schema = getCertificateType(typeId);
    } catch {
      throw new ServiceError(400, "UNKNOWN_TYPE", `Unknown certificate type: ${String(typeId).slice(0, 40)}`);
    }
    if (schema.issuer !== issuerId) {
      throw new ServiceError(403, "WRONG_ISSUER", `Certificates of type ${typeId} are issued by ${schema.issuer}, not ${issuerId}`);
    }
    let rows: (CertificateRecord & { row: number })[];
    let errors: ValidationIssue[];
    let rowCount: number;
    let fileError: SubmitResult["fileError"];
    if (input.csv) {
      const result = validateCsv(input.csv, typeId);
      rows = result.records;
      errors = result.errors;
      fileError = result.fileError;
      rowCount = result.records.length + new Set(result.errors.map((e) => e.row)).size;
    } else {
      rows = [];
      errors = [];
      (input.records ?? []).forEach((record, i) => {
        const result = validateRecord(typeId, record, { row: i + 1 });
        if (result.record) rows.push({ ...result.record, row: i + 1 });
        errors.push(...result.errors);
      });
      rowCount = input.records?.length ?? 0;
    }
    const uploadId = randomUUID();
    const createdAt = this.#now().toISOString();
    if (fileError || rows.length === 0) {
      await this.#p.store.insertUpload({ id: uploadId, issuerId, typeId, rowCount, errorsJson: JSON.stringify(errors), createdAt }, []);
      return { uploadId, accepted: [], errors, ...(fileError ? { fileError } : {}) };
    }
    const { json, digests } = await this.#documents(issuerId, typeId).createCredentials(rows, this.#now());
    const accepted: AcceptedCertificate[] = [];
    const certificates: NewCertificate[] = rows.map((record, i) => {
      const id = randomUUID();
      const claimCode = newClaimCode();
      const certificateNumber = String(record.subject.certificateNumber);
      accepted.push({ row: record.row, id, certificateNumber, claimCode });
      const subject = record.subject as Record<string, unknown>;
      return {
        id,
        issuerId,
        typeId,
        uploadId,
        row: record.row,
        certificateNumber,
        recordJson: JSON.stringify({ subject: record.subject, validFrom: record.validFrom, validUntil: record.validUntil }),
        credentialJson: json[i],
        digest: digests[i],
        claimCodeHash: sha256(normaliseClaimCode(claimCode)),
        supersedes: input.supersedes?.id ?? null,
        searchJson: JSON.stringify({
          name: subject.name ?? subject.licensee ?? subject.contractor,
          candidateNumber: subject.candidateNumber,
        }),
      };
    });
    await this.#p.store.transaction(async (store) => {
      await store.insertUpload({ id: uploadId, issuerId, typeId, rowCount, errorsJson: JSON.stringify(errors), createdAt }, certificates);
      for (const c of certificates) {
        await store.insertEvent({ issuerId, certificateId: c.id, batchId: null, type: "accepted", actor, detailJson: JSON.stringify({ uploadId, row: c.row }), at: createdAt });
      }
    });
    this.#p.log.info({ issuerId, typeId, uploadId, accepted: accepted.length, rejected: errors.length }, "certificates accepted");
    crashPoint("accepted");
    this.#kick();
    return { uploadId, accepted, errors };
  }

  /** The department behind an API key: its names, domain and the certificate types it issues. */
  issuer(issuerId: string): { id: string; name: { en: string; "zh-HK": string }; domain: string; types: string[] } {
    const profile = this.#p.issuers[issuerId];
    const types = CERTIFICATE_TYPES.filter((t) => t.issuer === issuerId).map((t) => t.id);
    if (!profile) return { id: issuerId, name: { en: issuerId, "zh-HK": issuerId }, domain: "", types };
    return { id: issuerId, name: { en: profile.nameEn, "zh-HK": profile.nameZh }, domain: profile.domain, types };
  }

  /** A certificate of `issuerId` (404 for another issuer's: its existence is not revealed). */
  async certificate(issuerId: string, id: string): Promise<CertificateRow> {
    const row = await this.#p.store.findCertificate(id);
    if (!row || row.issuerId !== issuerId) throw new ServiceError(404, "NOT_FOUND", `No certificate ${id.slice(0, 40)}`);
    return row;
  }

  /** The issued certificate's PDF. */
  async pdf(row: CertificateRow): Promise<Uint8Array> {
    const pdf = row.pdfHash ? await this.#p.store.getPdf(row.id) : undefined;
    if (!pdf || row.status === "pending" || row.status === "anchoring") {
      throw new ServiceError(409, "NOT_ISSUED", `Certificate ${row.id} is ${row.status}: its PDF is released once the batch is anchored`);
    }
    return pdf;
  }

  /** The issued certificate's credential, with its Merkle proof. */
  async credential(row: CertificateRow): Promise<Credential> {
    if (!row.batchId || row.status === "pending" || row.status === "anchoring") {
      throw new ServiceError(409, "NOT_ISSUED", `Certificate ${row.id} is ${row.status}: its credential is released once the batch is anchored`);
    }
    const tree = await this.#tree(row.batchId);
    const credential = JSON.parse(row.credentialJson) as Credential;
    credential.proof.merkle = { root: tree.root, path: tree.proof(row.leafIndex!), chainId: this.#p.chainId, registry: this.#p.registry };
    return credential;
  }

  /** The certificate a claim code opens, if any. */
  async claim(code: string): Promise<CertificateRow> {
    const row = await this.#p.store.findCertificateByClaimHash(sha256(normaliseClaimCode(code)));
    if (!row) throw new ServiceError(404, "NOT_FOUND", "No certificate has this claim code");
    return row;
  }

  /** Queues a status change of an issued certificate; it is sent to the chain by the pipeline. */
  async changeStatus(issuerId: string, id: string, kind: "revoke" | "suspend" | "reinstate", reason: number, actor: string): Promise<OperationRow> {
    const row = await this.certificate(issuerId, id);
    const allowed = { revoke: ["issued", "suspended"], suspend: ["issued"], reinstate: ["suspended"] }[kind];
    if (!allowed.includes(row.status)) {
      throw new ServiceError(409, "INVALID_STATUS", `Cannot ${kind} certificate ${id}: it is ${row.status}`);
    }
    return this.#queueOperation(issuerId, kind, row.id, null, reason, null, actor);
  }

  /** Issues a renewal of `id` from new field values: when issued, it supersedes the old one. */
  async renew(issuerId: string, id: string, record: unknown, actor: string): Promise<SubmitResult> {
    const row = await this.certificate(issuerId, id);
    if (row.status !== "issued" && row.status !== "suspended") {
      throw new ServiceError(409, "INVALID_STATUS", `Cannot renew certificate ${id}: it is ${row.status}`);
    }
    return this.submit({ issuerId, typeId: row.typeId, records: [record], actor, supersedes: row });
  }

  async #queueOperation(
    issuerId: string,
    kind: OperationKind,
    certificateId: string | null,
    batchId: string | null,
    reason: number,
    successorId: string | null,
    actor: string,
  ): Promise<OperationRow> {
    const at = this.#now().toISOString();
    const operation: OperationRow = { id: randomUUID(), issuerId, kind, certificateId, batchId, reason, successorId, status: "queued", txHash: null, error: null, createdAt: at, updatedAt: at };
    await this.#p.store.transaction(async (store) => {
      await store.insertOperation(operation);
      await store.insertEvent({ issuerId, certificateId, batchId, type: `${kind}-requested`, actor, detailJson: JSON.stringify({ reason, operationId: operation.id }), at });
    });
    this.#kick();
    return operation;
  }

  /** Starts the pipeline: a pass now, then whenever work arrives and every `batchWaitMs / 2`. */
  start(): void {
    this.#stopped = false;
    this.#kick();
  }

  /** Stops taking new steps and waits for the one in progress; closes the worker threads. */
  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    await this.#running;
    await Promise.all([...this.#workers.values()].map((w) => w.close()));
    this.#workers.clear();
  }

  #kick(): void {
    if (this.#stopped || this.#running) return;
    clearTimeout(this.#timer);
    this.#running = this.tick()
      .catch((error: unknown) => this.#p.log.error({ err: error }, "pipeline step failed; retrying"))
      .finally(() => {
        this.#running = undefined;
        if (!this.#stopped) this.#timer = setTimeout(() => this.#kick(), Math.max(250, this.#p.batchWaitMs / 2));
      });
  }

  /** One pass of the pipeline: finish unfinished batches, close due batches, apply status changes. */
  async tick(): Promise<void> {
    const { store } = this.#p;
    for (const batch of await store.unfinishedBatches()) await this.#advance(batch.id);
    for (const group of await store.pendingGroups()) {
      const due = group.count >= this.#p.batchSize || this.#now().getTime() - Date.parse(group.oldest) >= this.#p.batchWaitMs;
      if (!due) continue;
      const certificates = await store.pendingCertificates(group.issuerId, group.typeId, this.#p.batchSize);
      if (certificates.length === 0) continue;
      const tree = buildMerkleTree(certificates.map((c) => c.digest));
      const at = this.#now().toISOString();
      const batchId = randomUUID();
      await store.closeBatch(
        { id: batchId, issuerId: group.issuerId, typeId: group.typeId, status: "closed", root: tree.root, certificateCount: certificates.length, txHash: null, txNonce: null, blockNumber: null, anchoredAt: null, createdAt: at, updatedAt: at },
        certificates.map((c) => c.id),
      );
      this.#p.log.info({ batchId, issuerId: group.issuerId, count: certificates.length, root: tree.root }, "batch closed");
      crashPoint("batch-closed");
      await this.#advance(batchId);
    }
    for (const operation of await store.unfinishedOperations()) await this.#apply(operation);
  }

  /** Moves one batch as far as it can go: anchored, then rendered. */
  async #advance(batchId: string): Promise<void> {
    const { store, chain, log } = this.#p;
    let batch = (await store.findBatch(batchId))!;
    if (batch.status === "closed" || batch.status === "submitted") {
      const anchored = await chain.anchor(batch.issuerId, batch.root, batch.certificateCount, async (txHash, nonce) => {
        await store.markBatchSubmitted(batch.id, txHash, nonce);
        crashPoint("anchor-recorded");
      });
      await store.markBatchAnchored(batch.id, anchored.blockNumber, anchored.anchoredAt, anchored.txHash);
      crashPoint("anchored");
      await store.insertEvent({ issuerId: batch.issuerId, certificateId: null, batchId, type: "anchored", actor: "system", detailJson: JSON.stringify({ root: batch.root, block: anchored.blockNumber }), at: this.#now().toISOString() });
      log.info({ batchId, root: batch.root, block: anchored.blockNumber }, "batch anchored");
      batch = (await store.findBatch(batchId))!;
    }
    if (batch.status === "anchored") {
      const members = await store.batchCertificates(batchId);
      const missing = members.filter((m) => m.pdfHash === null);
      if (missing.length > 0) {
        const tree = await this.#tree(batchId, members);
        const anchor = { root: tree.root, chainId: this.#p.chainId, registry: this.#p.registry };
        await this.#documents(batch.issuerId, batch.typeId).render(
          missing.map((m) => m.credentialJson),
          (i) => ({ ...anchor, path: tree.proof(missing[i].leafIndex!) }),
          async (i, pdf) => {
            await store.putPdf(missing[i].id, pdf, sha256(pdf));
            if (i === Math.floor(missing.length / 2)) crashPoint("rendering");
          },
        );
      }
      await store.transaction(async (s) => {
        await s.markBatchRendered(batchId);
        for (const renewal of members.filter((m) => m.supersedes)) {
          const at = this.#now().toISOString();
          await s.insertOperation({ id: randomUUID(), issuerId: batch.issuerId, kind: "supersede", certificateId: renewal.supersedes, batchId: null, reason: REVOCATION_REASONS.superseded.code, successorId: renewal.id, status: "queued", txHash: null, error: null, createdAt: at, updatedAt: at });
        }
      });
      log.info({ batchId, count: members.length }, "batch issued");
    }
  }

  /** Sends one status change to the chain and records the outcome. */
  async #apply(operation: OperationRow): Promise<void> {
    const { store, chain } = this.#p;
    const target = operation.certificateId ? await store.findCertificate(operation.certificateId) : undefined;
    let call: StatusCall;
    let after: CertificateRow["status"] | null;
    switch (operation.kind) {
      case "revoke":
      case "suspend":
        call = { kind: operation.kind, leaf: target!.digest, reason: operation.reason };
        after = operation.kind === "revoke" ? "revoked" : "suspended";
        break;
      case "reinstate":
        call = { kind: "reinstate", leaf: target!.digest };
        after = "issued";
        break;
      case "supersede": {
        const successor = (await store.findCertificate(operation.successorId!))!;
        call = { kind: "supersede", leaf: target!.digest, successor: successor.digest };
        after = "superseded";
        break;
      }
      case "revoke-batch": {
        const batch = (await store.findBatch(operation.batchId!))!;
        call = { kind: "revoke-batch", root: batch.root, reason: operation.reason };
        after = null;
        break;
      }
    }
    try {
      const txHash = await chain.changeStatus(operation.issuerId, call, (hash) => store.markOperationSubmitted(operation.id, hash));
      await store.transaction(async (s) => {
        await s.confirmOperation(operation.id, after, operation.kind === "reinstate" ? null : operation.reason);
        await s.insertEvent({ issuerId: operation.issuerId, certificateId: operation.certificateId, batchId: operation.batchId, type: operation.kind === "revoke-batch" ? "batch-revoked" : after!, actor: "system", detailJson: JSON.stringify({ txHash, reason: operation.reason }), at: this.#now().toISOString() });
      });
    } catch (error) {
      const message = (error as Error).message;
      // A revert is final (the registry refused); anything else is retried on the next pass.
      if (/revert|RegistryInvalidTransition|CALL_EXCEPTION/i.test(message)) await store.failOperation(operation.id, message.slice(0, 500));
      else throw error;
    }
  }

  /** The batch's Merkle tree (its members in leaf order), built once and kept for the 32 latest batches. */
  async #tree(batchId: string, members?: CertificateRow[]): Promise<ReturnType<typeof buildMerkleTree>> {
    let tree = this.#trees.get(batchId);
    if (!tree) {
      members ??= await this.#p.store.batchCertificates(batchId);
      tree = buildMerkleTree(members.map((m) => m.digest));
      this.#trees.set(batchId, tree);
      if (this.#trees.size > 32) this.#trees.delete(this.#trees.keys().next().value!);
    }
    return tree;
  }

  #documents(issuerId: string, typeId: string): DocumentWorkers {
    const key = `${issuerId}/${typeId}`;
    let workers = this.#workers.get(key);
    if (!workers) {
      const issuer = this.#p.issuers[issuerId];
      if (!issuer) throw new ServiceError(500, "NO_IDENTITY", `No signing identity is configured for issuer ${issuerId}`);
      workers = new DocumentWorkers({ typeId, issuer, verifierUrl: this.#p.verifierUrl, identity: issuer.identity }, this.#p.workers);
      this.#workers.set(key, workers);
    }
    return workers;
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A claim code: 12 characters from a 32-letter alphabet (60 bits), grouped `XXXX-XXXX-XXXX`. */
function newClaimCode(): string {
  const bytes = randomBytes(12);
  const chars = Array.from(bytes, (b) => CLAIM_ALPHABET[b & 31]).join("");
  return `${chars.slice(0, 4)}-${chars.slice(4, 8)}-${chars.slice(8)}`;
}

function normaliseClaimCode(code: string): string {
  return String(code).toUpperCase().replace(/[^0-9A-Z]/g, "");
}
