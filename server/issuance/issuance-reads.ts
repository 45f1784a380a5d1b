/**
 * The read side of the issuer service: what the API answers about departments, certificates, batches
 * and claim codes. Nothing here writes; the pipeline that does is `issuance-service.ts`.
 */
import { createHash } from "node:crypto";
import { CERTIFICATE_TYPES, type Credential } from "../../core/index.ts";
import type { ApiKeyRow, CertificateRow, CertificateStatus, Store, UploadRow } from "../db/store.ts";
import { ServiceError } from "../errors.ts";
import type { BatchIssuer } from "../documents/document-workers.ts";
import type { BatchTrees } from "./batch-trees.ts";
import { claimCodeHash } from "./claim-code.ts";

export interface IssuanceReadsParameters {
  store: Store;
  chainId: number;
  registry: string;
  /** The issuing departments the service knows, by id. */
  issuers: Record<string, BatchIssuer>;
  trees: BatchTrees;
  /**
   * How long the progress of a large upload (above {@link LARGE_UPLOAD_ROWS} rows) is answered from its
   * last count, ms (default 2,000). Counting 100,000 rows by status costs PostgreSQL 0.3 to 0.5 s while
   * they change: officers watching the same sitting share one count, not one each.
   */
  progressMemoMs?: number;
}

/** Above this many rows, an upload's progress is counted at most once every `progressMemoMs`. */
export const LARGE_UPLOAD_ROWS = 10_000;

/** An upload (a batch as the API calls it): its rows, progress and the batches of it set aside. */
export interface UploadView {
  id: string;
  type: string;
  rows: number;
  /** Certificates accepted from it, whatever their status now. */
  accepted: number;
  progress: Partial<Record<CertificateStatus, number>>;
  /** Something was accepted and nothing is pending or anchoring any more. */
  done: boolean;
  errors: unknown;
  /** Batches of this upload that were set aside: their certificates are `failed`, with the reason. */
  failures: { batch: string; reason: string; at: string }[];
  createdAt: string;
  /** `awaiting-approval` until an approver releases (or rejects) it. */
  state: "awaiting-approval" | "released" | "rejected";
  requestedBy: { id: string; name: string } | null;
  decidedBy: { id: string; name: string } | null;
  decidedAt: string | null;
  decisionReason: string | null;
}

/** One event of a certificate's history. */
export interface HistoryEvent {
  type: string;
  actor: string;
  /** The person (or the key's label) behind `actor`, when known. */
  actorName: string | null;
  at: string;
  detail: unknown;
}

/** How the department's certificates are searched (`GET /certificates`). */
export interface CertificateQuery {
  /** Matches the certificate number or a search field (`search-fields.ts`), case-insensitively. */
  query?: string;
  status?: CertificateStatus;
  uploadId?: string;
  limit: number;
  offset: number;
}

/** The issuer service's read queries, each scoped to the issuer (or the claim code) that asks. */
export class IssuanceReads {
  readonly #p: IssuanceReadsParameters;
  /** The last count of each large upload watched lately (at most 64), and when it was started. */
  readonly #progress = new Map<string, { at: number; counts: Promise<Partial<Record<CertificateStatus, number>>> }>();

  constructor(parameters: IssuanceReadsParameters) {
    this.#p = parameters;
  }

  /** The API key with this value, if any (revoked ones included: the caller checks `revokedAt`). */
  async apiKey(key: string): Promise<ApiKeyRow | undefined> {
    return this.#p.store.findApiKeyByHash(createHash("sha256").update(key).digest("hex"));
  }

  /** The department behind an API key: its names, domain and the certificate types it issues. */
  issuer(issuerId: string): { id: string; name: { en: string; "zh-HK": string }; domain: string; types: string[] } {
    const profile = this.#p.issuers[issuerId];
    const types = CERTIFICATE_TYPES.filter((t) => t.issuer === issuerId).map((t) => t.id);
    if (!profile) return { id: issuerId, name: { en: issuerId, "zh-HK": issuerId }, domain: "", types };
    return { id: issuerId, name: { en: profile.nameEn, "zh-HK": profile.nameZh }, domain: profile.domain, types };
  }

  /** A certificate of `issuerId` (NOT_FOUND for another issuer's too: its existence is not revealed). */
  async certificate(issuerId: string, id: string): Promise<CertificateRow> {
    const row = await this.#p.store.findCertificate(id);
    if (!row || row.issuerId !== issuerId) throw new ServiceError("NOT_FOUND", `No certificate ${id.slice(0, 40)}`);
    return row;
  }

  /** The certificate's history, oldest first. */
  async history(row: CertificateRow): Promise<HistoryEvent[]> {
    const events = await this.#p.store.certificateEvents(row.id);
    const history: HistoryEvent[] = events.map((e) => ({
      type: e.type,
      actor: e.actor,
      actorName: e.actorName ?? null,
      at: e.at,
      detail: JSON.parse(e.detailJson),
    }));
    // The upload's release or rejection is the certificate's too (one decision for the whole upload).
    const upload = await this.#p.store.findUpload(row.issuerId, row.uploadId);
    if (upload?.decidedBy && upload.decidedAt) {
      const event: HistoryEvent = {
        type: upload.state === "rejected" ? "upload-rejected" : "upload-released",
        actor: upload.decidedBy,
        actorName: upload.decidedByName ?? null,
        at: upload.decidedAt,
        detail: upload.decisionReason
          ? { uploadId: upload.id, rejection: upload.decisionReason }
          : { uploadId: upload.id },
      };
      const at = history.findIndex((h) => h.at > event.at);
      history.splice(at === -1 ? history.length : at, 0, event);
    }
    return history;
  }

  /** The certificates of `issuerId` that match `query`. */
  async findCertificates(issuerId: string, query: CertificateQuery): Promise<CertificateRow[]> {
    return this.#p.store.listCertificates(issuerId, query);
  }

  /** An upload of `issuerId`, with its progress; undefined when it has none of this id. */
  async upload(issuerId: string, id: string): Promise<UploadView | undefined> {
    const upload = await this.#p.store.findUpload(issuerId, id);
    return upload && this.uploadView(upload);
  }

  /** The upload's certificates by status: counted now, or for a large upload counted lately (or being counted). */
  #uploadProgress(upload: UploadRow): Promise<Partial<Record<CertificateStatus, number>>> {
    const { store, progressMemoMs = 2000 } = this.#p;
    if (upload.rowCount <= LARGE_UPLOAD_ROWS) return store.uploadProgress(upload.id);
    const now = Date.now();
    const last = this.#progress.get(upload.id);
    if (last && now - last.at < progressMemoMs) return last.counts;
    const entry = { at: now, counts: store.uploadProgress(upload.id) };
    // A count that failed is not kept: the next look counts again.
    entry.counts.catch(() => this.#progress.get(upload.id) === entry && this.#progress.delete(upload.id));
    this.#progress.delete(upload.id);
    this.#progress.set(upload.id, entry);
    if (this.#progress.size > 64) this.#progress.delete(this.#progress.keys().next().value!);
    return entry.counts;
  }

  /** An upload row already read (the list of uploads), with its progress and set-aside batches. */
  async uploadView(upload: UploadRow): Promise<UploadView> {
    const { store } = this.#p;
    const progress = await this.#uploadProgress(upload);
    const failures = await store.uploadFailures(upload.id);
    const accepted = Object.values(progress).reduce((a, b) => a + (b ?? 0), 0);
    return {
      id: upload.id,
      type: upload.typeId,
      rows: upload.rowCount,
      accepted,
      progress,
      done: accepted > 0 && (progress.pending ?? 0) + (progress.anchoring ?? 0) === 0,
      errors: JSON.parse(upload.errorsJson),
      failures: failures.map((f) => ({ batch: f.batchId, reason: f.failure, at: f.failedAt })),
      createdAt: upload.createdAt,
      state: upload.state ?? "released",
      requestedBy: upload.requestedBy
        ? { id: upload.requestedBy, name: upload.requestedByName ?? upload.requestedBy }
        : null,
      decidedBy: upload.decidedBy ? { id: upload.decidedBy, name: upload.decidedByName ?? upload.decidedBy } : null,
      decidedAt: upload.decidedAt ?? null,
      decisionReason: upload.decisionReason ?? null,
    };
  }

  /** The issued certificate's PDF. */
  async pdf(row: CertificateRow): Promise<Uint8Array> {
    const pdf = row.pdfHash ? await this.#p.store.getPdf(row.id) : undefined;
    if (!pdf || row.status === "pending" || row.status === "anchoring" || row.status === "failed") {
      throw new ServiceError(
        "NOT_ISSUED",
        `Certificate ${row.id} is ${row.status}: its PDF is released once the batch is anchored`,
      );
    }
    return pdf;
  }

  /** The issued certificate's credential, with its Merkle proof. */
  async credential(row: CertificateRow): Promise<Credential> {
    if (!row.batchId || row.status === "pending" || row.status === "anchoring" || row.status === "failed") {
      throw new ServiceError(
        "NOT_ISSUED",
        `Certificate ${row.id} is ${row.status}: its credential is released once the batch is anchored`,
      );
    }
    const tree = await this.#p.trees.get(row.batchId);
    const credential = JSON.parse(row.credentialJson) as Credential;
    credential.proof.merkle = {
      root: tree.root,
      path: tree.proof(row.leafIndex!),
      chainId: this.#p.chainId,
      registry: this.#p.registry,
    };
    return credential;
  }

  /** The certificate a claim code opens, if any. */
  async claim(code: string): Promise<CertificateRow> {
    const row = await this.#p.store.findCertificateByClaimHash(claimCodeHash(code));
    if (!row) throw new ServiceError("NOT_FOUND", "No certificate has this claim code");
    return row;
  }
}
