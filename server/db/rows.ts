/**
 * What both `Store` implementations share: the SELECT lists (aliased to the row types' property names,
 * quoted so PostgreSQL keeps their case), the mappers from driver rows to the row types (PostgreSQL
 * returns BIGINT columns and counts as strings), and the argument checks made before any SQL runs.
 */
import type {
  ApiKeyRow,
  AuditRow,
  BatchRow,
  ChangeRequestRow,
  EmailRow,
  SessionRow,
  CertificateRow,
  CertificateStatus,
  EventRow,
  IdempotencyRow,
  NewCertificate,
  OperationRow,
  UploadRow,
} from "./store.ts";
import { StoreError } from "./store-error.ts";

export const API_KEY_COLUMNS = `id, issuer_id AS "issuerId", label, key_hash AS "keyHash", created_at AS "createdAt",
  revoked_at AS "revokedAt", scopes_json AS "scopesJson", expires_at AS "expiresAt"`;

export const IDEMPOTENCY_COLUMNS = `issuer_id AS "issuerId", idempotency_key AS "key", request_hash AS "requestHash",
  status_code AS "statusCode", response_json AS "responseJson", created_at AS "createdAt"`;

export const UPLOAD_COLUMNS = `id, issuer_id AS "issuerId", type_id AS "typeId", row_count AS "rowCount",
  errors_json AS "errorsJson", created_at AS "createdAt", state, requested_by AS "requestedBy",
  requested_by_name AS "requestedByName", decided_by AS "decidedBy", decided_by_name AS "decidedByName",
  decided_at AS "decidedAt", decision_reason AS "decisionReason"`;

export const CHANGE_REQUEST_COLUMNS = `id, issuer_id AS "issuerId", certificate_id AS "certificateId", kind, reason, note,
  state, requested_by AS "requestedBy", requested_by_name AS "requestedByName", requested_at AS "requestedAt",
  decided_by AS "decidedBy", decided_by_name AS "decidedByName", decided_at AS "decidedAt",
  decision_reason AS "decisionReason", operation_id AS "operationId"`;

export const SESSION_COLUMNS = `id_hash AS "idHash", issuer_id AS "issuerId", subject, name, email, roles_json AS "rolesJson",
  created_at AS "createdAt", last_seen_at AS "lastSeenAt", expires_at AS "expiresAt", ended_at AS "endedAt"`;

export const AUDIT_COLUMNS = `issuer_id AS "issuerId", seq, at, actor_id AS "actorId", actor_name AS "actorName", action,
  source, certificate_id AS "certificateId", upload_id AS "uploadId", batch_id AS "batchId", detail_json AS "detailJson",
  prev_hash AS "prevHash", hash`;

export const EMAIL_COLUMNS = `e.id, e.issuer_id AS "issuerId", e.certificate_id AS "certificateId", e.to_address AS "toAddress",
  e.claim_code AS "claimCode", e.status, e.attempts, e.last_error AS "lastError", e.next_attempt_at AS "nextAttemptAt",
  e.created_at AS "createdAt", e.sent_at AS "sentAt"`;

/** Certificate columns of the table aliased `c`. */
export const CERTIFICATE_COLUMNS = `c.id, c.issuer_id AS "issuerId", c.type_id AS "typeId", c.upload_id AS "uploadId",
  c.upload_row AS "row", c.certificate_number AS "certificateNumber", c.record_json AS "recordJson",
  c.credential_json AS "credentialJson", c.digest, c.claim_code_hash AS "claimCodeHash", c.supersedes,
  c.search_json AS "searchJson", c.status, c.batch_id AS "batchId", c.leaf_index AS "leafIndex", c.pdf_hash AS "pdfHash",
  c.reason, c.created_at AS "createdAt", c.updated_at AS "updatedAt"`;

/** The order of `listCertificates` and `pendingCertificates`: oldest first, then upload row. */
export const CERTIFICATE_ORDER = "c.created_at, c.upload_id, c.upload_row, c.id";

export const BATCH_COLUMNS = `id, issuer_id AS "issuerId", type_id AS "typeId", status, root,
  certificate_count AS "certificateCount", tx_hash AS "txHash", tx_nonce AS "txNonce", block_number AS "blockNumber",
  anchored_at AS "anchoredAt", created_at AS "createdAt", updated_at AS "updatedAt", attempts, failure,
  failed_at AS "failedAt"`;

export const OPERATION_COLUMNS = `id, issuer_id AS "issuerId", kind, certificate_id AS "certificateId",
  batch_id AS "batchId", reason, successor_id AS "successorId", status, tx_hash AS "txHash", error,
  created_at AS "createdAt", updated_at AS "updatedAt"`;

export const EVENT_COLUMNS = `id, issuer_id AS "issuerId", certificate_id AS "certificateId", batch_id AS "batchId",
  type, actor, actor_name AS "actorName", detail_json AS "detailJson", at`;

/** A driver row: column alias to value. */
export type DbRow = Record<string, unknown>;

const num = (v: unknown): number => Number(v);
const numOrNull = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown): string => v as string;
const strOrNull = (v: unknown): string | null => (v === null || v === undefined ? null : (v as string));

export function toApiKey(r: DbRow): ApiKeyRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    label: str(r.label),
    keyHash: str(r.keyHash),
    createdAt: str(r.createdAt),
    revokedAt: strOrNull(r.revokedAt),
    scopes: JSON.parse(str(r.scopesJson)) as string[],
    expiresAt: strOrNull(r.expiresAt),
  };
}

export function toChangeRequest(r: DbRow): ChangeRequestRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    certificateId: str(r.certificateId),
    kind: str(r.kind) as ChangeRequestRow["kind"],
    reason: num(r.reason),
    note: strOrNull(r.note),
    state: str(r.state) as ChangeRequestRow["state"],
    requestedBy: str(r.requestedBy),
    requestedByName: str(r.requestedByName),
    requestedAt: str(r.requestedAt),
    decidedBy: strOrNull(r.decidedBy),
    decidedByName: strOrNull(r.decidedByName),
    decidedAt: strOrNull(r.decidedAt),
    decisionReason: strOrNull(r.decisionReason),
    operationId: strOrNull(r.operationId),
  };
}

export function toSession(r: DbRow): SessionRow {
  return {
    idHash: str(r.idHash),
    issuerId: str(r.issuerId),
    subject: str(r.subject),
    name: str(r.name),
    email: strOrNull(r.email),
    roles: JSON.parse(str(r.rolesJson)) as string[],
    createdAt: str(r.createdAt),
    lastSeenAt: str(r.lastSeenAt),
    expiresAt: str(r.expiresAt),
    endedAt: strOrNull(r.endedAt),
  };
}

export function toAudit(r: DbRow): AuditRow {
  return {
    issuerId: str(r.issuerId),
    seq: num(r.seq),
    at: str(r.at),
    actorId: str(r.actorId),
    actorName: str(r.actorName),
    action: str(r.action),
    source: strOrNull(r.source),
    certificateId: strOrNull(r.certificateId),
    uploadId: strOrNull(r.uploadId),
    batchId: strOrNull(r.batchId),
    detailJson: str(r.detailJson),
    prevHash: str(r.prevHash),
    hash: str(r.hash),
  };
}

export function toEmail(r: DbRow): EmailRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    certificateId: str(r.certificateId),
    toAddress: str(r.toAddress),
    claimCode: strOrNull(r.claimCode),
    status: str(r.status) as EmailRow["status"],
    attempts: num(r.attempts),
    lastError: strOrNull(r.lastError),
    nextAttemptAt: str(r.nextAttemptAt),
    createdAt: str(r.createdAt),
    sentAt: strOrNull(r.sentAt),
  };
}

export function toIdempotency(r: DbRow): IdempotencyRow {
  return {
    issuerId: str(r.issuerId),
    key: str(r.key),
    requestHash: str(r.requestHash),
    statusCode: num(r.statusCode),
    responseJson: str(r.responseJson),
    createdAt: str(r.createdAt),
  };
}

export function toUpload(r: DbRow): UploadRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    typeId: str(r.typeId),
    rowCount: num(r.rowCount),
    errorsJson: str(r.errorsJson),
    createdAt: str(r.createdAt),
    state: str(r.state) as NonNullable<UploadRow["state"]>,
    requestedBy: strOrNull(r.requestedBy),
    requestedByName: strOrNull(r.requestedByName),
    decidedBy: strOrNull(r.decidedBy),
    decidedByName: strOrNull(r.decidedByName),
    decidedAt: strOrNull(r.decidedAt),
    decisionReason: strOrNull(r.decisionReason),
  };
}

export function toCertificate(r: DbRow): CertificateRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    typeId: str(r.typeId),
    uploadId: str(r.uploadId),
    row: num(r.row),
    certificateNumber: str(r.certificateNumber),
    recordJson: str(r.recordJson),
    credentialJson: str(r.credentialJson),
    digest: str(r.digest),
    claimCodeHash: str(r.claimCodeHash),
    supersedes: strOrNull(r.supersedes),
    searchJson: str(r.searchJson),
    status: str(r.status) as CertificateStatus,
    batchId: strOrNull(r.batchId),
    leafIndex: numOrNull(r.leafIndex),
    pdfHash: strOrNull(r.pdfHash),
    reason: numOrNull(r.reason),
    createdAt: str(r.createdAt),
    updatedAt: str(r.updatedAt),
  };
}

export function toBatch(r: DbRow): BatchRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    typeId: str(r.typeId),
    status: str(r.status) as BatchRow["status"],
    root: str(r.root),
    certificateCount: num(r.certificateCount),
    txHash: strOrNull(r.txHash),
    txNonce: numOrNull(r.txNonce),
    blockNumber: numOrNull(r.blockNumber),
    anchoredAt: strOrNull(r.anchoredAt),
    createdAt: str(r.createdAt),
    updatedAt: str(r.updatedAt),
    attempts: num(r.attempts),
    failure: strOrNull(r.failure),
    failedAt: strOrNull(r.failedAt),
  };
}

export function toOperation(r: DbRow): OperationRow {
  return {
    id: str(r.id),
    issuerId: str(r.issuerId),
    kind: str(r.kind) as OperationRow["kind"],
    certificateId: strOrNull(r.certificateId),
    batchId: strOrNull(r.batchId),
    reason: num(r.reason),
    successorId: strOrNull(r.successorId),
    status: str(r.status) as OperationRow["status"],
    txHash: strOrNull(r.txHash),
    error: strOrNull(r.error),
    createdAt: str(r.createdAt),
    updatedAt: str(r.updatedAt),
  };
}

export function toEvent(r: DbRow): EventRow {
  return {
    id: num(r.id),
    issuerId: str(r.issuerId),
    certificateId: strOrNull(r.certificateId),
    batchId: strOrNull(r.batchId),
    type: str(r.type),
    actor: str(r.actor),
    actorName: strOrNull(r.actorName),
    detailJson: str(r.detailJson),
    at: str(r.at),
  };
}

/** Folds `{ status, count }` rows into `uploadProgress`'s record. */
export function toProgress(rows: DbRow[]): Partial<Record<CertificateStatus, number>> {
  const progress: Partial<Record<CertificateStatus, number>> = {};
  for (const r of rows) progress[str(r.status) as CertificateStatus] = num(r.count);
  return progress;
}

export function toPendingGroup(r: DbRow): { issuerId: string; typeId: string; count: number; oldest: string } {
  return { issuerId: str(r.issuerId), typeId: str(r.typeId), count: num(r.count), oldest: str(r.oldest) };
}

/**
 * Whether a search query (already lower-cased) is typed as a number, certificate or candidate: no space,
 * a digit, and only letters, digits, '-', '/' and '.'. Such a query matches numbers by their start; any
 * other query matches names by any part (see {@link certificateMatches}).
 *
 * @example
 * isNumberQuery("cre2026007053-00042") // true
 * isNumberQuery("chan tai man") // false
 */
export function isNumberQuery(needle: string): boolean {
  return /^[a-z0-9./-]+$/.test(needle) && /[0-9]/.test(needle);
}

/** `text` as a LIKE pattern matching itself (the escape character is LIKE's default, backslash). */
export function likeLiteral(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * The case-insensitive search of `listCertificates`, on `needle` (already lower-cased): a number query
 * ({@link isNumberQuery}) is the start of the certificate number or of the candidate number (a string or
 * number) in `searchJson`; any other query is a substring of a string under `name` in `searchJson` (an
 * English or Chinese name). Keys never match (a query "name" finds no one whose name is
 * not "name"). PostgreSQL does the same in SQL (postgres-store.ts), on indexes.
 */
export function certificateMatches(certificateNumber: string, searchJson: string, needle: string): boolean {
  let fields: unknown;
  try {
    fields = JSON.parse(searchJson);
  } catch {
    fields = undefined;
  }
  const member = (key: string): unknown =>
    fields !== null && typeof fields === "object" && !Array.isArray(fields)
      ? (fields as Record<string, unknown>)[key]
      : undefined;
  if (isNumberQuery(needle)) {
    if (certificateNumber.toLowerCase().startsWith(needle)) return true;
    const candidate = member("candidateNumber");
    return (
      (typeof candidate === "string" || typeof candidate === "number") &&
      String(candidate).toLowerCase().startsWith(needle)
    );
  }
  const stack: unknown[] = [member("name")];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "string") {
      if (String(v).toLowerCase().includes(needle)) return true;
    } else if (v !== null && typeof v === "object") {
      stack.push(...Object.values(v));
    }
  }
  return false;
}

/** Checks `listCertificates`' paging and returns the lower-cased query, or undefined for none. */
export function checkListFilter(filter: { query?: string; limit: number; offset: number }): string | undefined {
  if (!Number.isSafeInteger(filter.limit) || filter.limit < 0) {
    throw new StoreError("INVALID_ARGUMENT", `listCertificates: limit ${filter.limit} is not a non-negative integer`);
  }
  if (!Number.isSafeInteger(filter.offset) || filter.offset < 0) {
    throw new StoreError("INVALID_ARGUMENT", `listCertificates: offset ${filter.offset} is not a non-negative integer`);
  }
  const query = filter.query?.trim().toLowerCase();
  return query ? query : undefined;
}

export function checkLimit(method: string, limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new StoreError("INVALID_ARGUMENT", `${method}: limit ${limit} is not a non-negative integer`);
  }
}

/** Every certificate of an upload belongs to the upload's issuer, type and id. */
export function checkUpload(upload: UploadRow, certificates: readonly NewCertificate[]): void {
  if (certificates.length > upload.rowCount) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `upload ${upload.id}: ${certificates.length} certificates for ${upload.rowCount} rows`,
    );
  }
  for (const c of certificates) {
    if (c.uploadId !== upload.id || c.issuerId !== upload.issuerId || c.typeId !== upload.typeId) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `upload ${upload.id}: certificate ${c.id} (row ${c.row}) belongs to upload ${c.uploadId} of ${c.issuerId}/${c.typeId}, not ${upload.issuerId}/${upload.typeId}`,
      );
    }
  }
}

/** A batch names as many certificates as it has, at least one, none twice. */
export function checkBatch(batch: BatchRow, certificateIds: readonly string[]): void {
  if (certificateIds.length === 0) throw new StoreError("INVALID_ARGUMENT", `batch ${batch.id}: no certificates`);
  if (batch.certificateCount !== certificateIds.length) {
    throw new StoreError(
      "INVALID_ARGUMENT",
      `batch ${batch.id}: certificateCount ${batch.certificateCount} but ${certificateIds.length} certificates`,
    );
  }
  if (new Set(certificateIds).size !== certificateIds.length) {
    throw new StoreError("INVALID_ARGUMENT", `batch ${batch.id}: a certificate id appears twice`);
  }
}

/** The certificates `closeBatch` found, checked against the batch: all there, pending, same issuer and type. */
export function checkBatchMembers(
  batch: BatchRow,
  certificateIds: readonly string[],
  found: readonly { id: string; issuerId: string; typeId: string; status: string }[],
): void {
  const byId = new Map(found.map((c) => [c.id, c]));
  for (const id of certificateIds) {
    const c = byId.get(id);
    if (!c) throw new StoreError("NOT_FOUND", `batch ${batch.id}: certificate ${id} does not exist`);
    if (c.issuerId !== batch.issuerId || c.typeId !== batch.typeId) {
      throw new StoreError(
        "INVALID_ARGUMENT",
        `batch ${batch.id} of ${batch.issuerId}/${batch.typeId}: certificate ${id} is of ${c.issuerId}/${c.typeId}`,
      );
    }
    if (c.status !== "pending") {
      throw new StoreError("INVALID_STATE", `batch ${batch.id}: certificate ${id} is ${c.status}, no longer pending`);
    }
  }
}

/** The error of an UPDATE that changed no row: the row is missing, or its status refuses the step. */
export function refusedStep(what: string, id: string, status: string | undefined, step: string): StoreError {
  return status === undefined
    ? new StoreError("NOT_FOUND", `${what} ${id} does not exist`)
    : new StoreError("INVALID_STATE", `${what} ${id} is ${status}: cannot ${step}`);
}

/** `Uint8Array` to a `Buffer` over the same memory (both drivers bind Buffers as BLOB / BYTEA). */
export function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
