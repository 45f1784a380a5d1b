import { createHash, randomUUID } from "node:crypto";
import type { Logger } from "pino";
import {
  buildMerkleTree,
  getCertificateType,
  validateCsv,
  validateRecord,
  REVOCATION_REASONS,
  type CertificateRecord,
  type ValidationIssue,
} from "../../core/index.ts";
import type { IssuerChain, StatusCall } from "../chain/issuer-chain.ts";
import { isChainError } from "../chain/chain-error.ts";
import {
  backoffDelay,
  createThrottledLog,
  isTransientChainError,
  retryAfterMs,
  type ThrottledLog,
} from "../chain/backoff.ts";
import type {
  CertificateRow,
  ChangeRequestRow,
  NewCertificate,
  OperationKind,
  OperationRow,
  PdfToStore,
  Store,
} from "../db/store.ts";
import { actorId, actorName, type Actor } from "../auth/actor.ts";
import { recordAudit } from "../audit/audit-trail.ts";
import { isStoreError } from "../db/store-error.ts";
import { ServiceError } from "../errors.ts";
import { credentialMismatch, pdfMismatch } from "../integrity/matches.ts";
import { DocumentWorkers, type BatchIssuer } from "../documents/document-workers.ts";
import type { Metrics } from "../metrics.ts";
import type { SigningIdentity } from "../pdf/signing-identity.ts";
import { BatchTrees } from "./batch-trees.ts";
import { claimCodeHash, newClaimCode } from "./claim-code.ts";
import { crashPoint } from "./crash-point.ts";
import { IssuanceReads } from "./issuance-reads.ts";
import { InstanceLeases } from "./instance-leases.ts";
import { StoreError } from "../db/store-error.ts";
import { searchJson } from "./search-fields.ts";

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
  /** Where batch sizes, anchor latency and gas, and the pipeline's chain and database errors are counted. */
  metrics?: Metrics;
  /**
   * Per issuer id, its chain signer's address: instances sharing a database take one lease per signer,
   * so one of them at a time sends that signer's transactions (without it, one lease per issuer).
   */
  signerAddresses?: Record<string, string>;
  /** How long this instance's leases last unless renewed (ms; default `DEFAULT_LEASE_TTL_MS`). */
  leaseTtlMs?: number;
  /** This instance's name in the leases table (default: host, process id and a random part). */
  instanceId?: string;
  /**
   * How often the anchoring writer of a signer checks that the roots of its issuers' batches created in
   * the last {@link RECHECK_WINDOW_MS} are still on chain (ms, default 60 000): a reorganisation deeper
   * than `CONFIRMATIONS` is noticed and the root anchored again.
   */
  anchorRecheckMs?: number;
  /**
   * Whether a department needs a second officer's approval (maker-checker) before an upload is batched
   * and anchored and before a status change is applied (default: none does; `npm start` says all do).
   */
  approvals?: (issuerId: string) => boolean;
}

/**
 * Who asks: the request's actor (an officer or an API key), or a plain actor id (the pipeline's
 * "system", tests). `source` is where the request came from (the client's address), for the audit trail.
 */
export type By = Actor | string;

function byId(by: By): string {
  return typeof by === "string" ? by : actorId(by);
}

function byName(by: By): string {
  return typeof by === "string" ? by : actorName(by);
}

/** The audit trail's actor for `by`. */
function auditActor(by: By): Actor | { id: string; name: string } {
  return typeof by === "string" ? { id: by, name: by } : by;
}

/** A status change as requested: the request, and the operation queued once it is approved. */
export interface StatusChangeResult {
  request: ChangeRequestRow;
  /** Queued at once when the department needs no approval; else null until an approver approves. */
  operation: OperationRow | null;
}

/** How far back the periodic check of anchors looks (by batch creation): a day. */
const RECHECK_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface AcceptedCertificate {
  row: number;
  id: string;
  certificateNumber: string;
  /** Shown once: the candidate downloads the PDF and the credential with it. */
  claimCode: string;
}

export interface SubmitResult {
  uploadId: string;
  /** `awaiting-approval` until an approver releases it (maker-checker), else `released`. */
  state: "awaiting-approval" | "released";
  accepted: AcceptedCertificate[];
  errors: (ValidationIssue & { certificateId?: string })[];
  fileError?: { code: string; message: { en: string; "zh-HK": string }; columns?: string[] };
}

/**
 * Called inside the transaction that stores an upload or a status change, with the result: the API
 * stores its `Idempotency-Key` there, so the key and what it answers are committed together or not at all.
 */
export type ReserveHook<T> = (store: Store, result: T) => Promise<void>;

/** A batch step that failed this many times (for a reason other than an unreachable chain) is set aside. */
export const MAX_BATCH_ATTEMPTS = 3;
/** How long an issuer whose signer could not pay for gas waits before its chain steps are tried again (ms). */
export const FUNDS_WAIT_MS = 5000;

/**
 * The issuer service: accepts certificates (validated, credentials made and stored at once), groups
 * them into batches, anchors each batch's Merkle root, renders and signs the PDFs, and applies status
 * changes on chain. Every step is a stored state (see `server/db/store.ts`): `tick()` resumes whatever
 * a crash interrupted, and asks the chain before anchoring, so a root is anchored exactly once. What the
 * API reads (certificates, uploads, PDFs, credentials, claim codes) is {@link IssuanceService.reads}.
 */
export class IssuanceService {
  readonly #p: IssuanceServiceParameters;
  readonly #workers = new Map<string, DocumentWorkers>();
  /** Merkle trees of recent batches: a closed batch's members never change. */
  readonly #trees: BatchTrees;
  /** The read queries the API answers with. */
  readonly reads: IssuanceReads;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;
  #stopped = false;
  /** Failed passes in a row (an unreachable chain, a busy database), and no new pass before this time. */
  #failures = 0;
  #backoffUntil = 0;
  /**
   * The leases this instance holds: per chain signer (its one anchoring writer among the instances),
   * per batch and per status change being worked on.
   */
  readonly #leases: InstanceLeases;
  /** Per signer lease, the epoch in which the anchors of its issuers' batches were checked against the chain. */
  readonly #reconciledEpochs = new Map<string, number>();
  /** Per signer lease, when its issuers' recent anchors are next checked against the chain. */
  readonly #nextRecheck = new Map<string, number>();
  /** Logs a repeated failure at once, then at most once a minute per key, with the count of repeats. */
  readonly #logThrottled: ThrottledLog;
  /** Issuers whose signer could not pay for gas, and until when their chain steps wait. */
  readonly #unfunded = new Map<string, number>();

  constructor(parameters: IssuanceServiceParameters) {
    this.#p = parameters;
    this.#logThrottled = createThrottledLog(parameters.log, 60_000);
    this.#trees = new BatchTrees(parameters.store);
    this.#leases = new InstanceLeases(parameters.store, {
      holder: parameters.instanceId,
      ttlMs: parameters.leaseTtlMs,
      log: parameters.log,
    });
    const { store, chainId, registry, issuers } = parameters;
    this.reads = new IssuanceReads({ store, chainId, registry, issuers, trees: this.#trees });
  }

  #now(): Date {
    return this.#p.now?.() ?? new Date();
  }

  /** This instance's name among those sharing the database (the holder of its leases). */
  get instanceId(): string {
    return this.#leases.holder;
  }

  /** The lease of the one instance that sends an issuer's chain transactions (per signer). */
  #writerLease(issuerId: string): string {
    const address = this.#p.signerAddresses?.[issuerId];
    return address ? `signer:${address.toLowerCase()}` : `issuer:${issuerId}`;
  }

  /**
   * Inside a transaction of `store`: fails with `LEASE_LOST` unless this instance holds each lease at
   * its epoch (the signer lease at the epoch held now), so a step of an instance that lost a lease to
   * another writes nothing.
   */
  async #fence(store: Store, ...leases: { name: string; epoch: number | undefined }[]): Promise<void> {
    for (const { name, epoch } of leases) {
      if (epoch === undefined)
        throw new StoreError("LEASE_LOST", `lease ${name} is no longer held by ${this.#leases.holder}`);
      await this.#leases.fence(store, name, epoch);
    }
  }

  /** The signer lease of `issuerId` as a fence: the epoch this instance holds now, if any. */
  #writer(issuerId: string): { name: string; epoch: number | undefined } {
    const name = this.#writerLease(issuerId);
    return { name, epoch: this.#leases.epoch(name) };
  }

  /** Validates and accepts certificates from a CSV file or JSON objects (keyed by CSV column names). */
  async submit(input: {
    issuerId: string;
    typeId: string;
    csv?: Uint8Array;
    records?: unknown[];
    actor: By;
    /** The client's address, for the audit trail. */
    source?: string | null;
    supersedes?: CertificateRow;
    reserve?: ReserveHook<SubmitResult>;
  }): Promise<SubmitResult> {
    const { issuerId, typeId } = input;
    const actor = byId(input.actor);
    const state = this.#p.approvals?.(issuerId) ? ("awaiting-approval" as const) : ("released" as const);
    const uploadRow = (rowCount: number, errorsJson: string, createdAt: string) => ({
      id: uploadId,
      issuerId,
      typeId,
      rowCount,
      errorsJson,
      createdAt,
      state,
      requestedBy: actor,
      requestedByName: byName(input.actor),
    });
    const audit = (store: Store, result: SubmitResult) =>
      recordAudit(store, {
        issuerId,
        actor: auditActor(input.actor),
        action: input.supersedes ? "renewal-requested" : "upload",
        source: input.source,
        certificateId: input.supersedes?.id ?? null,
        uploadId,
        at: createdAt,
        detail: {
          typeId,
          rows: rowCount,
          accepted: result.accepted.length,
          errors: result.errors.length,
          ...(result.fileError ? { fileError: result.fileError.code } : {}),
          state,
        },
      });
    let schema;
    try {
      schema = getCertificateType(typeId);
    } catch {
      throw new ServiceError("UNKNOWN_TYPE", `Unknown certificate type: ${String(typeId).slice(0, 40)}`);
    }
    if (schema.issuer !== issuerId) {
      throw new ServiceError(
        "WRONG_ISSUER",
        `Certificates of type ${typeId} are issued by ${schema.issuer}, not ${issuerId}`,
      );
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
        if (result.record)
          rows.push({ ...result.record, row: i + 1, ...(result.email ? { email: result.email } : {}) });
        errors.push(...result.errors);
      });
      rowCount = input.records?.length ?? 0;
    }
    const uploadId = randomUUID();
    const createdAt = this.#now().toISOString();
    /** An upload with nothing accepted is stored too (with its errors), and answered. */
    const acceptNone = async (): Promise<SubmitResult> => {
      const result: SubmitResult = { uploadId, state, accepted: [], errors, ...(fileError ? { fileError } : {}) };
      await this.#p.store.transaction(async (store) => {
        await store.insertUpload(uploadRow(rowCount, JSON.stringify(errors), createdAt), []);
        await audit(store, result);
        await input.reserve?.(store, result);
      });
      return result;
    };
    if (fileError || rows.length === 0) return acceptNone();
    const { json, digests, unfit } = await this.#documents(issuerId, typeId).createCredentials(rows, this.#now());
    // Every credential must be its own row's before anything is stored (the workers' answers are
    // checked, not trusted), and every digest (Merkle leaf) must be new.
    rows.forEach((record, i) => {
      const problem = credentialMismatch(json[i], {
        typeId,
        issuerId,
        certificateNumber: String(record.subject.certificateNumber),
      });
      if (problem) throw this.#integrityFailure(`row ${record.row}: ${problem}`, { issuerId, typeId });
    });
    if (new Set(digests).size !== digests.length)
      throw this.#integrityFailure("two credentials of the upload have the same digest", { issuerId, typeId });
    // A row whose QR code could not be printed could never be issued: refused now, not failed later.
    for (const [i, problem] of unfit) {
      errors.push({
        row: rows[i].row,
        column: null,
        code: "TOO_LARGE_FOR_QR",
        message: {
          en: `Row ${rows[i].row} cannot be issued: ${problem}; shorten its longest values`,
          "zh-HK": `第 ${rows[i].row} 列無法簽發：其數值製成證書後，一個 QR 碼容納不下；請縮短最長的數值。`,
        },
      });
    }
    if (unfit.size > 0) errors.sort((a, b) => a.row - b.row);
    const fit = rows.map((_, i) => i).filter((i) => !unfit.has(i));
    if (fit.length === 0) return acceptNone();
    const accepted: AcceptedCertificate[] = [];
    const certificates: NewCertificate[] = fit.map((i) => {
      const record = rows[i];
      const id = randomUUID();
      const claimCode = newClaimCode();
      const certificateNumber = String(record.subject.certificateNumber);
      accepted.push({ row: record.row, id, certificateNumber, claimCode });
      return {
        id,
        issuerId,
        typeId,
        uploadId,
        row: record.row,
        certificateNumber,
        recordJson: JSON.stringify({
          subject: record.subject,
          validFrom: record.validFrom,
          validUntil: record.validUntil,
        }),
        credentialJson: json[i],
        digest: digests[i],
        claimCodeHash: claimCodeHash(claimCode),
        supersedes: input.supersedes?.id ?? null,
        searchJson: searchJson(schema, record.subject as Record<string, unknown>),
        // The candidate's address goes to the outbox only (never into the credential or the search).
        email: emailOf(record) ? { toAddress: emailOf(record)!, claimCode } : null,
      };
    });
    const numberColumn = schema.columns.find((c) => c.path === "/certificateNumber")?.column ?? schema.keyColumn;
    const result = await this.#p.store.transaction(async (store) => {
      // A renewal that keeps the number replaces the old certificate: mark it, so both can be stored.
      const old = input.supersedes;
      if (old && certificates[0].certificateNumber === old.certificateNumber)
        await store.markRenewing(old.id, certificates[0].id);
      const { refused } = await store.insertUpload(
        uploadRow(rowCount, JSON.stringify(errors), createdAt),
        certificates,
      );
      const holders = new Map(refused.map((r) => [r.id, r.existingId]));
      const duplicates: SubmitResult["errors"] = certificates
        .filter((c) => holders.has(c.id))
        .map((c) => ({
          row: c.row,
          column: numberColumn,
          code: "DUPLICATE_CERTIFICATE",
          message: {
            en: `Certificate number ${c.certificateNumber} already belongs to certificate ${holders.get(c.id)}, which is live; to replace it, renew it (or revoke it first)`,
            "zh-HK": `證書編號 ${c.certificateNumber} 已屬於仍然有效的證書 ${holders.get(c.id)}；如要取代該證書，請為其續期（或先將其撤銷）。`,
          },
          certificateId: holders.get(c.id),
        }));
      const allErrors = duplicates.length > 0 ? [...errors, ...duplicates].sort((a, b) => a.row - b.row) : errors;
      if (duplicates.length > 0) await store.setUploadErrors(uploadId, JSON.stringify(allErrors));
      await store.insertEvents(
        certificates
          .filter((c) => !holders.has(c.id))
          .map((c) => ({
            issuerId,
            certificateId: c.id,
            batchId: null,
            type: "accepted",
            actor,
            actorName: byName(input.actor),
            detailJson: JSON.stringify({ uploadId, row: c.row }),
            at: createdAt,
          })),
      );
      const result: SubmitResult = {
        uploadId,
        state,
        accepted: accepted.filter((a) => !holders.has(a.id)),
        errors: allErrors,
      };
      await audit(store, result);
      await input.reserve?.(store, result);
      return result;
    });
    this.#p.log.info(
      { issuerId, typeId, uploadId, accepted: result.accepted.length, rejected: rowCount - result.accepted.length },
      "certificates accepted",
    );
    crashPoint("accepted");
    if (result.accepted.length > 0 && state === "released") this.#kick();
    return result;
  }

  /**
   * Releases (to be batched and anchored) or rejects an upload awaiting approval: by an approver who
   * did not upload it. A rejection needs a reason; its certificates become `failed`.
   */
  async decideUpload(
    issuerId: string,
    uploadId: string,
    decision: "release" | "reject",
    by: By,
    options: { reason?: string | null; source?: string | null } = {},
  ): Promise<void> {
    const reason = options.reason?.trim() || null;
    if (decision === "reject" && !reason)
      throw new ServiceError("INVALID_STATUS", "A rejection needs a reason", {
        details: { message: { en: "Give a reason for the rejection.", "zh-HK": "請填寫拒絕的理由。" } },
      });
    const at = this.#now().toISOString();
    await this.#decided(
      this.#p.store.transaction(async (store) => {
        const done = await store.decideUpload(issuerId, uploadId, {
          state: decision === "release" ? "released" : "rejected",
          by: byId(by),
          byName: byName(by),
          at,
          reason,
        });
        if (done)
          await recordAudit(store, {
            issuerId,
            actor: auditActor(by),
            action: decision === "release" ? "upload-released" : "upload-rejected",
            source: options.source,
            uploadId,
            at,
            detail: reason ? { reason } : {},
          });
        return done;
      }),
      `batch ${uploadId}`,
    );
    this.#p.log.info({ issuerId, uploadId, decision }, "upload decided");
    if (decision === "release") this.#kick();
  }

  /** Maps a decision's store refusals to the service's errors (and "no longer awaiting" to one). */
  async #decided(decision: Promise<boolean>, what: string): Promise<void> {
    let done: boolean;
    try {
      done = await decision;
    } catch (error) {
      if (isStoreError(error, "SELF_APPROVAL"))
        throw new ServiceError("SELF_APPROVAL", `You requested ${what}: another officer must approve it`, {
          cause: error,
          details: {
            message: {
              en: "You made this request: another officer must approve it.",
              "zh-HK": "這項申請由你提出，須由另一名人員批核。",
            },
          },
        });
      if (isStoreError(error, "NOT_FOUND"))
        throw new ServiceError("NOT_FOUND", `No ${what}`, {
          cause: error,
          details: { message: { en: `There is no ${what} of your department.`, "zh-HK": "你的部門沒有這項記錄。" } },
        });
      if (isStoreError(error, "INVALID_STATE"))
        throw new ServiceError("INVALID_STATUS", `${what} cannot be approved now: ${error.message}`, {
          cause: error,
          details: {
            message: {
              en: `This change cannot be approved now: ${error.message}`,
              "zh-HK": "此變更現時未能批核：證書的狀態已改變，或另一項狀態變更正在處理中，請稍後再試。",
            },
          },
        });
      throw error;
    }
    if (!done)
      throw new ServiceError("NOT_AWAITING_APPROVAL", `${what} is not awaiting approval`, {
        details: {
          message: {
            en: "This is no longer awaiting approval: another officer has decided it.",
            "zh-HK": "這項申請已不在待批核狀態：另一名人員已作出決定。",
          },
        },
      });
  }

  /** Logs and returns an error that stops a step because stored data would not be its holder's. */
  #integrityFailure(message: string, context: object): ServiceError {
    this.#p.log.error({ ...context, problem: message }, "integrity check failed: nothing was stored");
    return new ServiceError("INTEGRITY", `Integrity check failed, nothing was stored: ${message}`);
  }

  /** The department behind an API key: {@link IssuanceReads.issuer} (kept here for the service's callers). */
  issuer(issuerId: string): ReturnType<IssuanceReads["issuer"]> {
    return this.reads.issuer(issuerId);
  }

  /**
   * Requests a status change of an issued certificate, with a case note (kept here, never on chain).
   * Where the department needs approvals it waits for another officer's ({@link decideStatusChange});
   * else its operation is queued at once. The pipeline sends queued operations to the chain.
   */
  async changeStatus(
    issuerId: string,
    id: string,
    kind: "revoke" | "suspend" | "reinstate",
    reason: number,
    by: By,
    reserve?: ReserveHook<StatusChangeResult>,
    options: { note?: string | null; source?: string | null } = {},
  ): Promise<StatusChangeResult> {
    const row = await this.reads.certificate(issuerId, id);
    assertChangeAllowed(row, kind);
    const at = this.#now().toISOString();
    const approvals = this.#p.approvals?.(issuerId) ?? false;
    const operation = approvals ? null : this.#operationRow(issuerId, kind, row.id, null, reason, null, at);
    const request: ChangeRequestRow = {
      id: randomUUID(),
      issuerId,
      certificateId: row.id,
      kind,
      reason,
      note: options.note?.trim() || null,
      state: approvals ? "awaiting-approval" : "approved",
      requestedBy: byId(by),
      requestedByName: byName(by),
      requestedAt: at,
      // Without maker-checker the request is approved by the department's policy, at once.
      decidedBy: approvals ? null : "policy:no-approval-required",
      decidedByName: approvals ? null : "(no approval required)",
      decidedAt: approvals ? null : at,
      decisionReason: null,
      operationId: operation?.id ?? null,
    };
    const result: StatusChangeResult = { request, operation };
    try {
      await this.#p.store.transaction(async (store) => {
        if (operation) await store.insertOperation(operation);
        await store.insertChangeRequest(request);
        await store.insertEvent({
          issuerId,
          certificateId: row.id,
          batchId: null,
          type: `${kind}-requested`,
          actor: byId(by),
          actorName: byName(by),
          detailJson: JSON.stringify({
            reason,
            requestId: request.id,
            ...(operation ? { operationId: operation.id } : {}),
          }),
          at,
        });
        await recordAudit(store, {
          issuerId,
          actor: auditActor(by),
          action: "status-change-requested",
          source: options.source,
          certificateId: row.id,
          at,
          detail: {
            kind,
            reason,
            requestId: request.id,
            approval: approvals ? "required" : "not required",
            // The note stays with the request (it may be corrected or erased); the trail holds its hash,
            // which shows it unchanged since.
            ...(request.note
              ? { noteSha256: createHash("sha256").update(request.note).digest("hex"), noteLength: request.note.length }
              : {}),
          },
        });
        await reserve?.(store, result);
      });
    } catch (error) {
      if (isStoreError(error, "DUPLICATE"))
        throw new ServiceError("INVALID_STATUS", `Certificate ${id} has a status change awaiting approval already`, {
          cause: error,
          details: {
            message: {
              en: "This certificate has a status change awaiting approval already: it must be decided first.",
              "zh-HK": "此證書已有一項待批核的狀態變更，須先就該項作出決定。",
            },
          },
        });
      throw error;
    }
    if (operation) this.#kick();
    return result;
  }

  /**
   * Approves (its operation is queued) or rejects (a reason is required) a requested status change:
   * by an approver who did not request it.
   */
  async decideStatusChange(
    issuerId: string,
    requestId: string,
    decision: "approve" | "reject",
    by: By,
    options: { reason?: string | null; source?: string | null } = {},
  ): Promise<ChangeRequestRow> {
    const reason = options.reason?.trim() || null;
    if (decision === "reject" && !reason)
      throw new ServiceError("INVALID_STATUS", "A rejection needs a reason", {
        details: { message: { en: "Give a reason for the rejection.", "zh-HK": "請填寫拒絕的理由。" } },
      });
    const request = await this.#p.store.findChangeRequest(issuerId, requestId);
    if (!request) throw new ServiceError("NOT_FOUND", `No change request ${requestId.slice(0, 40)}`);
    const at = this.#now().toISOString();
    let operation: OperationRow | null = null;
    if (decision === "approve") {
      // The certificate may have changed since the request (another change applied, a renewal).
      assertChangeAllowed(await this.reads.certificate(issuerId, request.certificateId), request.kind);
      operation = this.#operationRow(issuerId, request.kind, request.certificateId, null, request.reason, null, at);
    }
    await this.#decided(
      this.#p.store.transaction(async (store) => {
        const done = await store.decideChangeRequest(
          issuerId,
          requestId,
          { state: decision === "approve" ? "approved" : "rejected", by: byId(by), byName: byName(by), at, reason },
          operation,
        );
        if (!done) return false;
        await store.insertEvent({
          issuerId,
          certificateId: request.certificateId,
          batchId: null,
          type: decision === "approve" ? `${request.kind}-approved` : `${request.kind}-rejected`,
          actor: byId(by),
          actorName: byName(by),
          detailJson: JSON.stringify({
            requestId,
            ...(operation ? { operationId: operation.id } : {}),
            ...(reason ? { reason: request.reason, rejection: reason } : { reason: request.reason }),
          }),
          at,
        });
        await recordAudit(store, {
          issuerId,
          actor: auditActor(by),
          action: decision === "approve" ? "status-change-approved" : "status-change-rejected",
          source: options.source,
          certificateId: request.certificateId,
          at,
          detail: {
            kind: request.kind,
            requestId,
            requestedBy: request.requestedByName,
            ...(reason ? { reason } : {}),
          },
        });
        return true;
      }),
      `change request ${requestId}`,
    );
    if (operation) this.#kick();
    return (await this.#p.store.findChangeRequest(issuerId, requestId))!;
  }

  /** Issues a renewal of `id` from new field values: when issued, it supersedes the old one. */
  async renew(
    issuerId: string,
    id: string,
    record: unknown,
    actor: By,
    reserve?: ReserveHook<SubmitResult>,
    source?: string | null,
  ): Promise<SubmitResult> {
    const row = await this.reads.certificate(issuerId, id);
    if (row.status !== "issued" && row.status !== "suspended") {
      throw new ServiceError("INVALID_STATUS", `Cannot renew certificate ${id}: it is ${row.status}`);
    }
    try {
      return await this.submit({
        issuerId,
        typeId: row.typeId,
        records: [record],
        actor,
        source,
        supersedes: row,
        reserve,
      });
    } catch (error) {
      if (isStoreError(error, "INVALID_STATE"))
        throw new ServiceError("INVALID_STATUS", `Cannot renew certificate ${id}: ${error.message}`, { cause: error });
      throw error;
    }
  }

  /** A new operation, `queued`, as the pipeline sends it to the chain. */
  #operationRow(
    issuerId: string,
    kind: OperationKind,
    certificateId: string | null,
    batchId: string | null,
    reason: number,
    successorId: string | null,
    at: string,
  ): OperationRow {
    return {
      id: randomUUID(),
      issuerId,
      kind,
      certificateId,
      batchId,
      reason,
      successorId,
      status: "queued",
      txHash: null,
      error: null,
      createdAt: at,
      updatedAt: at,
    };
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
    // Given up, so the other instances take this one's work at once rather than when the leases expire.
    await this.#leases.close();
    await Promise.all([...this.#workers.values()].map((w) => w.close()));
    this.#workers.clear();
  }

  /**
   * Runs a pass now, unless one is running or the pipeline is backing off after a failed pass (then the
   * pass already scheduled picks the new work up; `scheduled` is that pass, which always runs).
   */
  #kick(scheduled = false): void {
    if (this.#stopped || this.#running || (!scheduled && Date.now() < this.#backoffUntil)) return;
    clearTimeout(this.#timer);
    let delay = Math.max(250, this.#p.batchWaitMs / 2);
    this.#running = this.tick()
      .then(() => {
        if (this.#failures > 0) this.#p.log.info({ failures: this.#failures }, "pipeline recovered");
        this.#failures = 0;
      })
      .catch((error: unknown) => {
        this.#failures += 1;
        this.#p.metrics?.countError(error);
        // An unreachable chain or busy database: back off exponentially, with jitter, honouring Retry-After.
        delay = Math.max(
          delay,
          backoffDelay(this.#failures, { baseMs: 500, maxMs: 30_000, retryAfterMs: retryAfterMs(error) }),
        );
        this.#logThrottled(
          "pipeline",
          { err: error, failures: this.#failures, retryInMs: delay },
          "pipeline pass failed; retrying",
        );
      })
      .finally(() => {
        this.#running = undefined;
        this.#backoffUntil = this.#failures > 0 ? Date.now() + delay : 0;
        if (!this.#stopped) this.#timer = setTimeout(() => this.#kick(true), delay);
      });
  }

  /**
   * One pass of the pipeline: check the anchors of earlier batches (once after start), finish
   * unfinished batches, close due batches, apply status changes. Each step is on its own: a step that
   * fails does not stop the others. A batch whose step fails for a reason of its own (not an unreachable
   * chain or a busy database) counts an attempt, and is set aside after {@link MAX_BATCH_ATTEMPTS}, or at
   * once when what it would store is not its holder's. A transient failure (the chain or the database
   * out of reach) ends the pass: the other steps would only wait on the same outage (the rendering of
   * anchored batches, which runs beside the anchoring and needs no chain, goes on until it is done or
   * meets the outage too); the next pass backs off. A signer that cannot pay for gas makes its issuer's steps wait {@link FUNDS_WAIT_MS}
   * and try again, uncounted (the `ecert_signer_unfunded` metric and `/readyz` say so), until it is funded.
   */
  async tick(): Promise<void> {
    const { store } = this.#p;
    const step = async (
      fn: () => Promise<void>,
      context: { batchId?: string; operationId?: string; group?: string; issuerId?: string },
    ) => {
      const { issuerId } = context;
      // A signer that cannot pay for gas: the issuer's chain steps wait (not counted as failures).
      if (issuerId && (this.#unfunded.get(issuerId) ?? 0) > Date.now()) return;
      try {
        await fn();
        if (issuerId && this.#unfunded.delete(issuerId)) {
          this.#p.metrics?.signerUnfunded.set({ issuer: issuerId }, 0);
          this.#p.log.info({ issuerId }, "the signer can pay for gas again: the issuer's batches and changes go on");
        }
      } catch (error) {
        if (isTransient(error)) throw error;
        if (hasCode(error, "LEASE_LOST")) {
          // Another instance took the work over (this one was too slow to renew): nothing was written.
          this.#p.log.warn({ ...context, err: error }, "pipeline step stopped: its lease went to another instance");
          return;
        }
        if (issuerId && hasCode(error, "INSUFFICIENT_FUNDS")) {
          this.#unfunded.set(issuerId, Date.now() + FUNDS_WAIT_MS);
          this.#p.metrics?.signerUnfunded.set({ issuer: issuerId }, 1);
          this.#p.metrics?.countError(error);
          this.#logThrottled(
            `funds ${issuerId}`,
            { ...context, err: error },
            "the issuer's chain signer cannot pay for gas: its batches and status changes wait until it is funded",
          );
          return;
        }
        this.#p.metrics?.countError(error);
        if (context.batchId) await this.#batchFailed(context.batchId, error);
        else
          this.#logThrottled(
            `step ${JSON.stringify(context)}`,
            { ...context, err: error },
            "pipeline step failed; it is retried on the next pass",
          );
      }
    };
    // This instance is the anchoring writer of the signers whose lease it holds (renewed meanwhile);
    // on taking one over, it first checks its issuers' anchors against the chain.
    const writing = new Set<string>();
    for (const issuerId of Object.keys(this.#p.issuers)) {
      const name = this.#writerLease(issuerId);
      const tenure = await this.#leases.take(name);
      if (!tenure) continue;
      writing.add(issuerId);
      const issuerIds = Object.keys(this.#p.issuers).filter((id) => this.#writerLease(id) === name);
      const recheckMs = this.#p.anchorRecheckMs ?? 60_000;
      if (this.#reconciledEpochs.get(name) !== tenure.epoch) {
        await step(async () => {
          await this.reconcile(issuerIds);
          this.#reconciledEpochs.set(name, tenure.epoch);
          this.#nextRecheck.set(name, Date.now() + recheckMs);
        }, {});
      } else if (Date.now() >= (this.#nextRecheck.get(name) ?? 0)) {
        // Later, the last day's anchors again: a reorganisation deeper than CONFIRMATIONS (or a chain
        // that lost blocks) is noticed within `anchorRecheckMs`.
        this.#nextRecheck.set(name, Date.now() + recheckMs);
        await step(async () => {
          await this.reconcile(issuerIds, new Date(this.#now().getTime() - RECHECK_WINDOW_MS));
        }, {});
      }
    }
    const writes = (issuerId: string) =>
      writing.has(issuerId) && this.#reconciledEpochs.get(this.#writerLease(issuerId)) !== undefined;
    /** `fn` under the lease `name` (one instance at a time); skipped while another instance holds it. */
    const claimed = (name: string, fn: (epoch: number) => Promise<void>) => async () =>
      void (await this.#leases.with(name, fn));
    // Each batch is advanced by one instance at a time (its lease). The issuers' anchoring writer anchors
    // what is closed and closes and anchors every due batch; meanwhile any instance renders anchored
    // batches (the CPU's work), each as soon as it is anchored: a sitting of many batches is rendered
    // while its later batches are still being closed and anchored, and another instance can render one
    // batch while the writer anchors the next, or renders another.
    let anchoring = true;
    let wake = () => {};
    const rendering = (async () => {
      const tried = new Set<string>();
      for (;;) {
        const woken = new Promise<void>((resolve) => (wake = resolve));
        const wasAnchoring = anchoring;
        const batch = (await store.unfinishedBatches()).find((b) => b.status === "anchored" && !tried.has(b.id));
        if (!batch) {
          if (!wasAnchoring) return;
          await woken;
          continue;
        }
        tried.add(batch.id);
        await step(
          claimed(`batch:${batch.id}`, (epoch) => this.#advance(batch.id, epoch, "render")),
          { batchId: batch.id, issuerId: batch.issuerId },
        );
      }
    })();
    // Handled here (a failure is rethrown below, once the anchoring is done): never an unhandled rejection.
    rendering.catch(() => {});
    try {
      for (const batch of await store.unfinishedBatches()) {
        if (batch.status !== "closed" && batch.status !== "submitted") continue;
        if (!writes(batch.issuerId)) continue;
        await step(
          claimed(`batch:${batch.id}`, (epoch) => this.#advance(batch.id, epoch, "anchor")),
          { batchId: batch.id, issuerId: batch.issuerId },
        );
        wake();
      }
      for (const group of await store.pendingGroups()) {
        if (!writes(group.issuerId)) continue;
        // Every batch due: the rows of one upload waited as long as each other.
        for (let left = group.count; left > 0; left -= this.#p.batchSize) {
          const due =
            left >= this.#p.batchSize || this.#now().getTime() - Date.parse(group.oldest) >= this.#p.batchWaitMs;
          if (!due) break;
          let batchId: string | undefined;
          await step(async () => void (batchId = await this.#close(group.issuerId, group.typeId)), {
            group: `${group.issuerId}/${group.typeId}`,
          });
          if (!batchId) break;
          await step(
            claimed(`batch:${batchId}`, (epoch) => this.#advance(batchId!, epoch, "anchor")),
            { batchId, issuerId: group.issuerId },
          );
          wake();
        }
      }
    } finally {
      // The pass ends only once its rendering has (a failure of either is the pass's, after both).
      anchoring = false;
      wake();
      await rendering.catch(() => {});
    }
    await rendering;
    for (const operation of await store.unfinishedOperations()) {
      if (!writes(operation.issuerId)) continue;
      await step(
        claimed(`operation:${operation.id}`, (epoch) => this.#apply(operation.id, epoch)),
        {
          operationId: operation.id,
          issuerId: operation.issuerId,
        },
      );
    }
  }

  /**
   * Checks that every batch the database holds as anchored (or issued) has its root on chain, and
   * anchors again any root that is missing (a local chain whose journal lost its tail, a reorganisation):
   * the certificates' proofs name the root, not the transaction, so they verify again once it is back.
   * Runs for an issuer's batches whenever this instance becomes its anchoring writer (at start, or taking
   * over from an instance that stopped), before anything else is sent, and then every `anchorRecheckMs`
   * for the batches created `since`; `issuerIds` (default all) limits it. Returns the counts.
   */
  async reconcile(issuerIds?: readonly string[], since?: Date): Promise<{ checked: number; missing: number }> {
    const { store, chain, log } = this.#p;
    let checked = 0;
    let missing = 0;
    let after: { createdAt: string; id: string } | null = since ? { createdAt: since.toISOString(), id: "" } : null;
    for (;;) {
      const page = await store.anchoredBatches(after, 200);
      if (page.length === 0) break;
      for (const batch of page) {
        if (issuerIds && !issuerIds.includes(batch.issuerId)) continue;
        checked += 1;
        if (await chain.anchorOf(batch.issuerId, batch.root)) continue;
        missing += 1;
        log.warn(
          { batchId: batch.id, root: batch.root, block: batch.blockNumber },
          "an anchored batch's root is not on chain: anchoring it again",
        );
        // Sent only while this instance is still the issuer's anchoring writer (when it is one).
        const writer = this.#writer(batch.issuerId);
        const anchored = await chain.anchor(batch.issuerId, batch.root, batch.certificateCount, () =>
          writer.epoch === undefined ? Promise.resolve() : store.transaction((s) => this.#fence(s, writer)),
        );
        await store.insertEvent({
          issuerId: batch.issuerId,
          certificateId: null,
          batchId: batch.id,
          type: "re-anchored",
          actor: "system",
          detailJson: JSON.stringify({ root: batch.root, block: anchored.blockNumber, txHash: anchored.txHash }),
          at: this.#now().toISOString(),
        });
        log.warn({ batchId: batch.id, root: batch.root, block: anchored.blockNumber }, "batch anchored again");
      }
      const last = page[page.length - 1];
      after = { createdAt: last.createdAt, id: last.id };
    }
    if (checked > 0 && (!since || missing > 0)) log.info({ checked, missing }, "anchors reconciled with the chain");
    return { checked, missing };
  }

  /** Closes a batch of the oldest pending certificates of one issuer and type; returns its id. */
  async #close(issuerId: string, typeId: string): Promise<string | undefined> {
    const { store } = this.#p;
    const certificates = await store.pendingCertificates(issuerId, typeId, this.#p.batchSize);
    if (certificates.length === 0) return undefined;
    const tree = buildMerkleTree(certificates.map((c) => c.digest));
    const at = this.#now().toISOString();
    const batchId = randomUUID();
    await store.closeBatch(
      {
        id: batchId,
        issuerId,
        typeId,
        status: "closed",
        root: tree.root,
        certificateCount: certificates.length,
        txHash: null,
        txNonce: null,
        blockNumber: null,
        anchoredAt: null,
        createdAt: at,
        updatedAt: at,
      },
      certificates.map((c) => c.id),
    );
    this.#p.metrics?.batchSize.observe(certificates.length);
    this.#p.log.info({ batchId, issuerId, count: certificates.length, root: tree.root }, "batch closed");
    crashPoint("batch-closed");
    return batchId;
  }

  /** Counts a failed step of a batch; sets it aside after the last attempt, or at once for an integrity failure. */
  async #batchFailed(batchId: string, error: unknown): Promise<void> {
    const { store, log } = this.#p;
    const integrity = hasCode(error, "INTEGRITY");
    const message = String((error as Error)?.message ?? error).slice(0, 1000);
    const { attempts, setAside } = await store.recordBatchFailure(batchId, message, {
      maxAttempts: MAX_BATCH_ATTEMPTS,
      setAside: integrity,
    });
    if (!setAside) {
      log.error(
        { batchId, attempts, err: error },
        `batch step failed (attempt ${attempts} of ${MAX_BATCH_ATTEMPTS}); retrying`,
      );
      return;
    }
    const batch = (await store.findBatch(batchId))!;
    await store.insertEvent({
      issuerId: batch.issuerId,
      certificateId: null,
      batchId,
      type: "batch-failed",
      actor: "system",
      detailJson: JSON.stringify({ attempts, failure: message }),
      at: this.#now().toISOString(),
    });
    this.#trees.delete(batchId);
    log.error(
      { batchId, attempts, failure: message },
      "batch set aside as failed: its certificates are not issued (their numbers can be uploaded again)",
    );
  }

  /**
   * Moves one batch through one `stage`: "anchor" (by the issuer's anchoring writer: a closed batch
   * anchored) or "render" (by any instance: an anchored batch's PDFs rendered, checked and stored, then
   * its certificates issued). Runs holding the batch's lease at
   * `epoch`: each state it stores is fenced by it (and the anchor transaction, before it is sent, by the
   * signer's lease too), so an instance that lost the batch to another stores nothing more of it.
   */
  async #advance(batchId: string, epoch: number, stage: "anchor" | "render"): Promise<void> {
    const { store, chain, log } = this.#p;
    const claim = { name: `batch:${batchId}`, epoch };
    let batch = (await store.findBatch(batchId))!;
    if (batch.failure) return;
    if (stage === "anchor" && (batch.status === "closed" || batch.status === "submitted")) {
      const writer = this.#writer(batch.issuerId);
      if (writer.epoch === undefined) return; // another instance is the issuer's anchoring writer now
      const anchored = await chain.anchor(batch.issuerId, batch.root, batch.certificateCount, async (txHash, nonce) => {
        await store.transaction(async (s) => {
          await this.#fence(s, claim, writer);
          await s.markBatchSubmitted(batch.id, txHash, nonce);
        });
        crashPoint("anchor-recorded");
      });
      await store.transaction(async (s) => {
        await this.#fence(s, claim);
        await s.markBatchAnchored(batch.id, anchored.blockNumber, anchored.anchoredAt, anchored.txHash);
      });
      crashPoint("anchored");
      if (anchored.txHash !== null && this.#p.metrics) {
        // Anchored now (not found anchored by an earlier run): from the batch's close to its anchor.
        this.#p.metrics.anchorLatency.observe(Math.max(0, this.#now().getTime() - Date.parse(batch.createdAt)) / 1000);
        if (anchored.gasUsed !== undefined) this.#p.metrics.anchorGas.observe(Number(anchored.gasUsed));
      }
      await store.insertEvent({
        issuerId: batch.issuerId,
        certificateId: null,
        batchId,
        type: "anchored",
        actor: "system",
        detailJson: JSON.stringify({ root: batch.root, block: anchored.blockNumber }),
        at: this.#now().toISOString(),
      });
      log.info({ batchId, root: batch.root, block: anchored.blockNumber }, "batch anchored");
      batch = (await store.findBatch(batchId))!;
    }
    if (stage === "render" && batch.status === "anchored") {
      const members = await store.batchCertificates(batchId);
      const missing = members.filter((m) => m.pdfHash === null);
      if (missing.length > 0) {
        const tree = await this.#trees.get(batchId, members);
        if (tree.root !== batch.root)
          throw this.#integrityFailure(`the members of batch ${batchId} do not give its root`, { batchId });
        const anchor = { root: tree.root, chainId: this.#p.chainId, registry: this.#p.registry };
        // Stored in chunks, each in one transaction fenced by the batch's lease (a few round trips and one
        // commit a chunk, not a PDF): the first half (at the crash point) as soon as it is there.
        let unstored: PdfToStore[] = [];
        const storePdfs = async () => {
          const items = unstored;
          unstored = [];
          if (items.length > 0) await store.putPdfs(items, (s) => this.#fence(s, claim));
        };
        await this.#documents(batch.issuerId, batch.typeId).render(
          missing.map((m) => m.credentialJson),
          (i) => ({ ...anchor, path: tree.proof(missing[i].leafIndex!) }),
          async (i, pdf) => {
            // Each PDF must embed its own certificate's credential and proof before it is stored.
            const member = missing[i];
            const problem = pdfMismatch(pdf, {
              credentialJson: member.credentialJson,
              root: tree.root,
              path: tree.proof(member.leafIndex!),
            });
            if (problem)
              throw this.#integrityFailure(`certificate ${member.id} (${member.certificateNumber}): ${problem}`, {
                batchId,
              });
            unstored.push({ certificateId: member.id, pdf, pdfHash: sha256(pdf) });
            if (unstored.length >= 256) await storePdfs();
            if (i === Math.floor(missing.length / 2)) {
              await storePdfs();
              crashPoint("rendering");
            }
          },
        );
        await storePdfs();
      }
      await store.transaction(async (s) => {
        await this.#fence(s, claim);
        await s.markBatchRendered(batchId);
        for (const renewal of members.filter((m) => m.supersedes)) {
          const at = this.#now().toISOString();
          await s.insertOperation({
            id: randomUUID(),
            issuerId: batch.issuerId,
            kind: "supersede",
            certificateId: renewal.supersedes,
            batchId: null,
            reason: REVOCATION_REASONS.superseded.code,
            successorId: renewal.id,
            status: "queued",
            txHash: null,
            error: null,
            createdAt: at,
            updatedAt: at,
          });
        }
      });
      log.info({ batchId, count: members.length }, "batch issued");
    }
  }

  /**
   * Sends one status change to the chain and records the outcome, holding the operation's lease at
   * `epoch` (each state it stores is fenced by it, the transaction before it is sent by the signer's too).
   */
  async #apply(operationId: string, epoch: number): Promise<void> {
    const { store, chain } = this.#p;
    const claim = { name: `operation:${operationId}`, epoch };
    // Read again under the lease: another instance may have applied it since the list was read.
    const operation = await store.findOperation(operationId);
    if (!operation || (operation.status !== "queued" && operation.status !== "submitted")) return;
    const writer = this.#writer(operation.issuerId);
    if (writer.epoch === undefined) return;
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
      const txHash = await chain.changeStatus(operation.issuerId, call, (hash) =>
        store.transaction(async (s) => {
          await this.#fence(s, claim, writer);
          await s.markOperationSubmitted(operation.id, hash);
        }),
      );
      await store.transaction(async (s) => {
        await this.#fence(s, claim);
        await s.confirmOperation(operation.id, after, operation.kind === "reinstate" ? null : operation.reason);
        await s.insertEvent({
          issuerId: operation.issuerId,
          certificateId: operation.certificateId,
          batchId: operation.batchId,
          type: operation.kind === "revoke-batch" ? "batch-revoked" : after!,
          actor: "system",
          detailJson: JSON.stringify({ txHash, reason: operation.reason }),
          at: this.#now().toISOString(),
        });
      });
    } catch (error) {
      // A revert is final (the registry refused); anything else is retried on the next pass.
      if (isChainError(error, "REVERTED"))
        await store.transaction(async (s) => {
          await this.#fence(s, claim);
          await s.failOperation(operation.id, error.message.slice(0, 500));
        });
      else throw error;
    }
  }

  #documents(issuerId: string, typeId: string): DocumentWorkers {
    const key = `${issuerId}/${typeId}`;
    let workers = this.#workers.get(key);
    if (!workers) {
      const issuer = this.#p.issuers[issuerId];
      if (!issuer) throw new ServiceError("NO_IDENTITY", `No signing identity is configured for issuer ${issuerId}`);
      workers = new DocumentWorkers(
        { typeId, issuer, verifierUrl: this.#p.verifierUrl, identity: issuer.identity },
        this.#p.workers,
      );
      this.#workers.set(key, workers);
    }
    return workers;
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A failure that goes away by itself: an unreachable or throttling chain, a busy or unreachable database. */
function isTransient(error: unknown): boolean {
  return isStoreError(error, "BUSY") || isStoreError(error, "DATABASE_UNAVAILABLE") || isTransientChainError(error);
}

/** Whether `error`, or an error it was caused by, carries `code`. */
function hasCode(error: unknown, code: string): boolean {
  for (
    let e = error as { code?: unknown; cause?: unknown } | undefined, depth = 0;
    e && depth < 8;
    e = e.cause as typeof e, depth++
  ) {
    if (e.code === code) return true;
  }
  return false;
}

/** Refuses a status change the certificate's status does not allow. */
function assertChangeAllowed(row: CertificateRow, kind: "revoke" | "suspend" | "reinstate"): void {
  const allowed = { revoke: ["issued", "suspended"], suspend: ["issued"], reinstate: ["suspended"] }[kind];
  if (!allowed.includes(row.status))
    throw new ServiceError("INVALID_STATUS", `Cannot ${kind} certificate ${row.id}: it is ${row.status}`, {
      details: {
        message: {
          en: `This certificate cannot be ${{ revoke: "revoked", suspend: "suspended", reinstate: "reinstated" }[kind]}: it is ${row.status}.`,
          "zh-HK": `此證書現時的狀態為「${STATUS_ZH[row.status] ?? row.status}」，不能${{ revoke: "撤銷", suspend: "暫停", reinstate: "恢復" }[kind]}。`,
        },
      },
    });
}

/** Certificate statuses in Traditional Chinese, for messages. */
const STATUS_ZH: Record<string, string> = {
  pending: "待處理",
  anchoring: "錨定中",
  issued: "已簽發",
  revoked: "已撤銷",
  suspended: "已暫停",
  superseded: "已被取代",
  failed: "失敗",
};

/** The candidate's e-mail address of a validated row, if it carried one (never part of the credential). */
function emailOf(record: object): string | undefined {
  const email = (record as { email?: unknown }).email;
  return typeof email === "string" && email.length > 0 ? email : undefined;
}
