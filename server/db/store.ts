/**
 * The issuer service's persistence: one interface, two implementations (SQLite through better-sqlite3,
 * the zero-configuration default; PostgreSQL through pg, for several issuer instances sharing one
 * database). Every method is one atomic step of the issuance state machine, so a crash between two
 * calls loses nothing and a restart resumes from what is stored.
 *
 * State machine (DESIGN.md "Guarantees"):
 *
 * - A certificate is `pending` when accepted (its validated record, credential JSON and digest are
 *   stored at once: salts are never regenerated, so a batch's root can always be rebuilt). `closeBatch`
 *   groups pending certificates of one issuer and type into a batch: the batch stores its root and each
 *   certificate its index (leaf position) in it, and the certificates become `anchoring`.
 * - A batch goes `closed` -> `submitted` (anchor transaction sent: hash and nonce stored before sending
 *   is retried) -> `anchored` (confirmed; block and time stored) -> `rendered` (every PDF stored; its
 *   certificates become `issued`). Recovery after a crash asks the chain whether the root is anchored
 *   before sending anything again: a root is never anchored twice.
 * - Status changes after issuance (revoke, suspend, reinstate, supersede) are `operations`:
 *   `queued` -> `submitted` (transaction hash stored) -> `confirmed` (the certificate's status changes
 *   then) or `failed` (with the chain's error).
 *
 * Times are ISO 8601 strings (UTC). Ids are strings (UUIDs made by the caller). JSON columns hold
 * strings the caller serialised. Nothing here hashes or generates secrets: callers pass hashes.
 */

export type CertificateStatus = "pending" | "anchoring" | "issued" | "revoked" | "suspended" | "superseded" | "failed";

export type BatchStatus = "closed" | "submitted" | "anchored" | "rendered";

export type OperationKind = "revoke" | "suspend" | "reinstate" | "supersede" | "revoke-batch";
export type OperationStatus = "queued" | "submitted" | "confirmed" | "failed";

export interface ApiKeyRow {
  id: string;
  issuerId: string;
  label: string;
  /** SHA-256 (hex) of the key: the key itself is never stored. */
  keyHash: string;
  createdAt: string;
  revokedAt: string | null;
  /** What the key may do: any of "issue", "read", "status" (`server/auth/actor.ts`); on insert, default all three. */
  scopes?: string[];
  /** After this time the key is refused; null or absent: no expiry. */
  expiresAt?: string | null;
}

/** An upload's approval state: it is batched and anchored only once `released`. */
export type UploadState = "awaiting-approval" | "released" | "rejected";

/** Who decided an upload or a change request, and why (a rejection's reason is required). */
export interface Decision {
  state: "released" | "approved" | "rejected";
  /** The decider's actor id (`server/auth/actor.ts` `actorId`): never the requester's. */
  by: string;
  byName: string;
  at: string;
  reason: string | null;
}

/** A requested revocation, suspension or reinstatement, applied only once another officer approves it. */
export interface ChangeRequestRow {
  id: string;
  issuerId: string;
  certificateId: string;
  kind: "revoke" | "suspend" | "reinstate";
  reason: number;
  /** The case note (free text, at most 2,000 characters; never on chain). */
  note: string | null;
  state: "awaiting-approval" | "approved" | "rejected";
  requestedBy: string;
  requestedByName: string;
  requestedAt: string;
  decidedBy: string | null;
  decidedByName: string | null;
  decidedAt: string | null;
  decisionReason: string | null;
  /** The operation queued when it was approved. */
  operationId: string | null;
}

/** A signed-in officer's session. The cookie is never stored: `idHash` is its SHA-256 (hex). */
export interface SessionRow {
  idHash: string;
  issuerId: string;
  subject: string;
  name: string;
  email: string | null;
  roles: string[];
  createdAt: string;
  lastSeenAt: string;
  /** The absolute end of the session (the idle time-out is checked against `lastSeenAt`). */
  expiresAt: string;
  endedAt: string | null;
}

/** An OpenID Connect sign-in under way (between the redirect to the provider and its callback). */
export interface LoginAttemptRow {
  state: string;
  codeVerifier: string;
  nonce: string;
  /** The console path to return to after signing in. */
  returnTo: string;
  createdAt: string;
}

/** One entry of a department's audit trail, as appended (the store sets `seq`, `prevHash` and `hash`). */
export interface NewAuditEntry {
  issuerId: string;
  at: string;
  actorId: string;
  actorName: string;
  /** e.g. "sign-in", "upload", "upload-released", "upload-rejected", "status-requested", "pdf-downloaded". */
  action: string;
  /** Where from: the client's IP address, or "cli". */
  source: string | null;
  certificateId: string | null;
  uploadId: string | null;
  batchId: string | null;
  /** JSON text of what else the entry says (counts, reason, note ...). */
  detailJson: string;
}

export interface AuditRow extends NewAuditEntry {
  /** 1, 2, 3 ... per department. */
  seq: number;
  /** The previous entry's hash (64 zeros for the first). */
  prevHash: string;
  hash: string;
}

/** The hash of the first entry's predecessor. */
export const AUDIT_GENESIS_HASH = "0".repeat(64);

/** One e-mail to a candidate (their certificate's claim link), kept until sent or given up. */
export interface EmailRow {
  id: string;
  issuerId: string;
  certificateId: string;
  toAddress: string;
  /** The claim code, only until the message is sent (then null). */
  claimCode: string | null;
  status: "waiting" | "sent" | "failed" | "cancelled";
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string;
  createdAt: string;
  sentAt: string | null;
}

/** A lease as {@link Store.acquireLease} granted it. */
export interface LeaseRow {
  name: string;
  holder: string;
  /** 1, 2, 3 ...: incremented each time the lease changes hands (or is taken again after it expired). */
  epoch: number;
  /** When it expires unless renewed (ms since 1970, the database's clock). */
  expiresAt: number;
}

/** One upload (`POST /batches` or a single `POST /certificates`) as the department sees it. */
export interface UploadRow {
  id: string;
  issuerId: string;
  typeId: string;
  /** Rows in the input, valid or not. */
  rowCount: number;
  /** Per-row errors, JSON text of `[{ row, column, code, message }]`. */
  errorsJson: string;
  createdAt: string;
  /** Absent on insert: `released`. */
  state?: UploadState;
  /** The actor id and name of who uploaded it (absent: unknown, before issue 14). */
  requestedBy?: string | null;
  requestedByName?: string | null;
  decidedBy?: string | null;
  decidedByName?: string | null;
  decidedAt?: string | null;
  decisionReason?: string | null;
}

export interface NewCertificate {
  id: string;
  issuerId: string;
  typeId: string;
  uploadId: string;
  /** 1-based row of the upload. */
  row: number;
  certificateNumber: string;
  /** The validated record, JSON text (what a renewal starts from). */
  recordJson: string;
  /** The full credential (all salts), JSON text, without its Merkle proof. */
  credentialJson: string;
  /** Credential digest: `0x` + 64 hex. */
  digest: string;
  /** SHA-256 (hex) of the candidate's claim code. */
  claimCodeHash: string;
  /** The certificate this one renews, if any: it becomes `superseded` when this one is issued. */
  supersedes: string | null;
  /** Candidate name etc. for the officer's search: JSON text of `{ name?, candidateNumber? }`. */
  searchJson: string;
  /**
   * Only on insert (never stored on the certificate): the candidate's e-mail address and claim code,
   * queued in the outbox (status `waiting`) to be sent once the certificate is issued.
   */
  email?: { toAddress: string; claimCode: string } | null;
}

export interface CertificateRow extends NewCertificate {
  status: CertificateStatus;
  batchId: string | null;
  /** Leaf index in the batch's tree. */
  leafIndex: number | null;
  /** SHA-256 (hex) of the stored PDF, once rendered. */
  pdfHash: string | null;
  /** Reason code of the last status change (revoke, suspend). */
  reason: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface BatchRow {
  id: string;
  issuerId: string;
  typeId: string;
  status: BatchStatus;
  /** Merkle root, `0x` + 64 hex. Unique. */
  root: string;
  certificateCount: number;
  txHash: string | null;
  txNonce: number | null;
  blockNumber: number | null;
  anchoredAt: string | null;
  createdAt: string;
  updatedAt: string;
  /** Failed steps so far (read only: set by `recordBatchFailure`). */
  attempts?: number;
  /** Why the batch was set aside, once it has been (read only); it is then no longer worked on. */
  failure?: string | null;
  failedAt?: string | null;
}

/** An accepted row that `insertUpload` did not store: its certificate number is live already. */
export interface RefusedCertificate {
  /** The id the refused certificate would have had. */
  id: string;
  /** The live certificate of the issuer that holds the number. */
  existingId: string;
}

export interface OperationRow {
  id: string;
  issuerId: string;
  kind: OperationKind;
  /** The certificate acted on (or, for revoke-batch, null). */
  certificateId: string | null;
  batchId: string | null;
  reason: number;
  /** For supersede: the renewal's certificate id. */
  successorId: string | null;
  status: OperationStatus;
  txHash: string | null;
  error: string | null;
  createdAt: string;
  updatedAt: string;
}

/** One event of a certificate's history (audit log): who did what, when. */
export interface EventRow {
  id: number;
  issuerId: string;
  certificateId: string | null;
  batchId: string | null;
  /** e.g. "accepted", "batched", "anchor-submitted", "anchored", "issued", "revoke-requested", "revoked". */
  type: string;
  /** The actor: an API key id, "system", or an officer id. */
  actor: string;
  /** The person (or the key's label) behind `actor`, when known. */
  actorName?: string | null;
  detailJson: string;
  at: string;
}

export interface IdempotencyRow {
  issuerId: string;
  key: string;
  /** SHA-256 (hex) of the request (method, path, body): the same key with another request is refused. */
  requestHash: string;
  statusCode: number;
  responseJson: string;
  createdAt: string;
}

export interface Store {
  /** Creates or upgrades the schema (numbered migrations, each applied once, recorded in a table). */
  migrate(): Promise<void>;
  close(): Promise<void>;
  /**
   * Runs `fn` in one transaction (serialisable enough that two instances never take the same rows).
   * Inside `fn`, use the store passed in: it belongs to the transaction (and refuses calls once it has
   * ended); calls on the outer store are outside it (on SQLite they wait until it ends). `transaction`
   * on the store passed in nests as a savepoint: its failure undoes only its own writes.
   */
  transaction<T>(fn: (store: Store) => Promise<T>): Promise<T>;
  /** One trivial query (`SELECT 1`): resolves when the database answers (the readiness check, `GET /readyz`). */
  ping(): Promise<void>;

  // Leases (one writer among several instances; DESIGN.md "Several instances")
  /**
   * Takes lease `name` for `holder` until `ttlMs` from now (the database's clock, so instances on hosts
   * whose clocks differ agree): granted when it is free, expired, or already `holder`'s. A renewal of a
   * live lease keeps its epoch; any other grant increments it, so an epoch names one tenure (the
   * fencing token of {@link Store.assertLease}). Undefined when another holder's lease is live.
   */
  acquireLease(name: string, holder: string, ttlMs: number): Promise<LeaseRow | undefined>;
  /** Gives lease `name` up at once (if `holder` still holds it at `epoch`); its epoch is kept, never reused. */
  releaseLease(name: string, holder: string, epoch: number): Promise<void>;
  /**
   * Fails with `LEASE_LOST` unless `holder` holds lease `name` at `epoch` and it has not expired. Called
   * inside a transaction before the writes it fences: on PostgreSQL the lease row stays locked until the
   * transaction ends, so a takeover waits for it, and a step of a holder that lost its lease writes nothing.
   */
  assertLease(name: string, holder: string, epoch: number): Promise<void>;

  // API keys
  insertApiKey(row: ApiKeyRow): Promise<void>;
  findApiKeyByHash(keyHash: string): Promise<ApiKeyRow | undefined>;
  listApiKeys(issuerId: string): Promise<ApiKeyRow[]>;
  /** Revokes a key of the issuer at `at`; false when there is no such live key. */
  revokeApiKey(issuerId: string, id: string, at: string): Promise<boolean>;

  // Officers' sessions and sign-ins (issue 14)
  insertSession(row: SessionRow): Promise<void>;
  findSession(idHash: string): Promise<SessionRow | undefined>;
  /** Records the session's last use (its idle time-out counts from here). */
  touchSession(idHash: string, at: string): Promise<void>;
  endSession(idHash: string, at: string): Promise<void>;
  insertLoginAttempt(row: LoginAttemptRow): Promise<void>;
  /** Takes (reads and deletes, atomically: a state is used once) a sign-in under way. */
  takeLoginAttempt(state: string): Promise<LoginAttemptRow | undefined>;
  /** Deletes sign-ins started before `before` and sessions that ended or expired before it. */
  pruneSessions(before: string): Promise<void>;

  // Approvals (issue 14: maker-checker)
  /**
   * Releases or rejects an upload that is `awaiting-approval`, atomically, unless `decision.by` is who
   * uploaded it. A rejection makes its pending certificates `failed` (their numbers are free again) and
   * unmarks what they were renewing. False when the upload is no longer awaiting approval.
   * @throws StoreError `SELF_APPROVAL` when the decider is the requester
   */
  decideUpload(issuerId: string, uploadId: string, decision: Decision): Promise<boolean>;
  /** One issuer's uploads, newest first, optionally in one state. */
  listUploads(issuerId: string, filter: { state?: UploadState; limit: number; offset: number }): Promise<UploadRow[]>;
  /** @throws StoreError `DUPLICATE` when the certificate has an open request already */
  insertChangeRequest(row: ChangeRequestRow): Promise<void>;
  findChangeRequest(issuerId: string, id: string): Promise<ChangeRequestRow | undefined>;
  listChangeRequests(
    issuerId: string,
    filter: { state?: ChangeRequestRow["state"]; certificateId?: string; limit: number; offset: number },
  ): Promise<ChangeRequestRow[]>;
  /**
   * Approves (queuing `operation` in the same transaction) or rejects a request that is awaiting
   * approval, unless `decision.by` requested it. False when it is no longer awaiting approval.
   * @throws StoreError `SELF_APPROVAL` when the decider is the requester
   */
  decideChangeRequest(
    issuerId: string,
    id: string,
    decision: Decision,
    operation: OperationRow | null,
  ): Promise<boolean>;
  /** Gives a certificate a new claim code (the old one stops working at once). */
  replaceClaimCode(issuerId: string, certificateId: string, claimCodeHash: string): Promise<void>;

  // Audit trail (issue 14)
  /**
   * Appends an entry to its department's hash chain: `hash(seq, prevHash)` computes the entry's hash
   * from its number and its predecessor's; appends of one department are serialised (the head row's lock).
   */
  appendAudit(entry: NewAuditEntry, hash: (seq: number, prevHash: string) => string): Promise<AuditRow>;
  /** A department's entries in `seq` order after `afterSeq`, filtered, at most `limit`. */
  listAudit(
    issuerId: string,
    filter: {
      afterSeq?: number;
      /** Only entries before this seq (with `newestFirst`, the previous page's last). */
      beforeSeq?: number;
      /** Newest first (seq descending) instead of oldest first. */
      newestFirst?: boolean;
      action?: string;
      actorId?: string;
      certificateId?: string;
      uploadId?: string;
      from?: string;
      to?: string;
      limit: number;
    },
  ): Promise<AuditRow[]>;
  /** A department's last entry's number and hash (seq 0 and the genesis hash when it has none). */
  auditHead(issuerId: string): Promise<{ seq: number; hash: string }>;
  /** Departments that have an audit trail. */
  auditIssuers(): Promise<string[]>;

  // E-mail outbox (issue 14)
  /** Waiting e-mails due at `now` whose certificate is issued (or failed: to be cancelled), oldest first. */
  dueEmails(now: string, limit: number): Promise<(EmailRow & { certificateStatus: CertificateStatus })[]>;
  /**
   * Takes a due e-mail for sending, atomically: if it is still waiting and due at `now`, it is made due
   * again only at `until` (so no other sender takes it meanwhile; a sender that stops before marking it
   * sent or attempted leaves it to be sent again then), and returned as it is now, with its certificate's
   * status now. Undefined when it is no longer waiting (cancelled: a new claim code, a rejected upload) or
   * no longer due (another sender took it). The sender sends what this returns, never an earlier read.
   */
  claimEmail(
    id: string,
    now: string,
    until: string,
  ): Promise<(EmailRow & { certificateStatus: CertificateStatus }) | undefined>;
  /** Sent: the claim code is forgotten. */
  markEmailSent(id: string, at: string): Promise<void>;
  /** A failed attempt: tried again at `nextAttemptAt`, or given up (`failed`) when `giveUp`. */
  markEmailAttempt(id: string, error: string, nextAttemptAt: string, giveUp: boolean): Promise<void>;
  cancelEmail(id: string): Promise<void>;
  findEmail(certificateId: string): Promise<EmailRow | undefined>;
  listEmails(
    issuerId: string,
    filter: { status?: EmailRow["status"]; limit: number; offset: number },
  ): Promise<EmailRow[]>;

  // Idempotency (`Idempotency-Key` header)
  findIdempotency(issuerId: string, key: string): Promise<IdempotencyRow | undefined>;
  /** Returns false (and stores nothing) when the key is already taken. */
  insertIdempotency(row: IdempotencyRow): Promise<boolean>;

  // Uploads and certificates
  /**
   * Inserts an upload and its valid certificates (status `pending`) atomically, except those whose
   * certificate number is live already for the issuer (pending, anchoring, issued or suspended, and not
   * being renewed), in the database or earlier in `certificates`: the database's unique index decides,
   * so two uploads racing for one number store it once. Those are returned, with the certificate that
   * holds the number. A duplicate digest fails the whole call (`DUPLICATE`).
   */
  insertUpload(upload: UploadRow, certificates: NewCertificate[]): Promise<{ refused: RefusedCertificate[] }>;
  /** Replaces the per-row errors of an upload (JSON text), e.g. with the rows `insertUpload` refused. */
  setUploadErrors(uploadId: string, errorsJson: string): Promise<void>;
  /**
   * Marks `certificateId` (issued or suspended, not already being renewed) as being renewed by
   * `renewalId` with the same certificate number, so the renewal can be stored beside it.
   * @throws StoreError `INVALID_STATE` when it is not issued or suspended, or is being renewed already
   */
  markRenewing(certificateId: string, renewalId: string): Promise<void>;
  /** Batches of the upload's certificates that were set aside, with the reason. */
  uploadFailures(uploadId: string): Promise<{ batchId: string; failure: string; failedAt: string }[]>;
  findUpload(issuerId: string, id: string): Promise<UploadRow | undefined>;
  /** Counts of the upload's certificates by status. */
  uploadProgress(uploadId: string): Promise<Partial<Record<CertificateStatus, number>>>;
  /** Counts of all certificates by status (one `COUNT ... GROUP BY`: the metrics' gauge, read at scrape time). */
  certificateCounts(): Promise<Partial<Record<CertificateStatus, number>>>;
  findCertificate(id: string): Promise<CertificateRow | undefined>;
  findCertificateByClaimHash(claimCodeHash: string): Promise<CertificateRow | undefined>;
  /**
   * One issuer's certificates, oldest first (then by upload row). `query` (trimmed) matches
   * case-insensitively, by what a clerk types: a number (no space, a digit, only letters, digits, '-',
   * '/', '.') is the START of the certificate number or of the candidate number in `searchJson`; anything
   * else is any part of a name in `searchJson` (English or Chinese). LIKE's `%`, `_` and `\` are literal.
   */
  listCertificates(
    issuerId: string,
    filter: { uploadId?: string; status?: CertificateStatus; query?: string; limit: number; offset: number },
  ): Promise<CertificateRow[]>;
  /** Issuers and types with pending certificates: how many, and when the oldest was accepted. */
  pendingGroups(): Promise<{ issuerId: string; typeId: string; count: number; oldest: string }[]>;
  /** The oldest pending certificates of one issuer and type (for the batcher), at most `limit`. */
  pendingCertificates(issuerId: string, typeId: string, limit: number): Promise<CertificateRow[]>;

  // Batches
  /**
   * Atomically: creates the batch (status `closed`) and moves the given pending certificates into it
   * (status `anchoring`, their leaf indexes set in the given order). Fails if any is no longer pending.
   */
  closeBatch(batch: BatchRow, certificateIds: string[]): Promise<void>;
  findBatch(id: string): Promise<BatchRow | undefined>;
  findBatchByRoot(root: string): Promise<BatchRow | undefined>;
  /** Batches not yet `rendered` and not set aside, oldest first (what recovery and the pipeline work on). */
  unfinishedBatches(): Promise<BatchRow[]>;
  /**
   * Counts one failed step of a batch, with its error. At `maxAttempts` failed steps (or at once with
   * `setAside`), the batch is set aside atomically: `failure` and `failedAt` are set, its certificates
   * that are not issued become `failed` (their numbers are free again), and any certificate they were
   * renewing is no longer marked as being renewed.
   */
  recordBatchFailure(
    batchId: string,
    error: string,
    options: { maxAttempts: number; setAside?: boolean },
  ): Promise<{ attempts: number; setAside: boolean }>;
  /** Anchored or rendered batches (not set aside), oldest first, after `afterId` in that order: for reconciliation. */
  anchoredBatches(after: { createdAt: string; id: string } | null, limit: number): Promise<BatchRow[]>;
  batchCertificates(batchId: string): Promise<CertificateRow[]>;
  /** Records the anchor transaction (before waiting for it): status `submitted`. */
  markBatchSubmitted(batchId: string, txHash: string, txNonce: number): Promise<void>;
  markBatchAnchored(batchId: string, blockNumber: number, anchoredAt: string, txHash: string | null): Promise<void>;
  /**
   * Stores one rendered PDF (bytes and hash), unless the certificate has one already (another instance
   * rendered it first): the first PDF stored is the one served, ever.
   */
  putPdf(certificateId: string, pdf: Uint8Array, pdfHash: string): Promise<void>;
  /**
   * `putPdf` for many certificates at once, atomically (in a new transaction, or a savepoint of the
   * caller's): `fence`, when given, runs first inside that transaction (the pipeline asserts its batch
   * lease there, so an instance that lost the batch stores nothing), then the PDFs are written in
   * chunks (on PostgreSQL one multi-row statement per chunk of at most {@link PUT_PDFS_CHUNK_ROWS} rows
   * and {@link PUT_PDFS_CHUNK_BYTES} bytes of PDF; on SQLite one statement pair per PDF in the same
   * transaction). A certificate that has a PDF already keeps it, as with `putPdf`. Returns how many PDFs
   * were stored (the ones kept are not counted).
   * @throws StoreError `INVALID_ARGUMENT` when a certificate appears twice; `NOT_FOUND` or
   *   `INVALID_STATE` (as `putPdf`) when one is unknown or not anchoring: then nothing is stored
   */
  putPdfs(items: readonly PdfToStore[], fence?: (store: Store) => Promise<void>): Promise<number>;
  getPdf(certificateId: string): Promise<Uint8Array | undefined>;
  /**
   * Atomically: batch `rendered`, its certificates `issued`, and the certificates they supersede
   * `superseded`. Only when every certificate of the batch has its PDF.
   */
  markBatchRendered(batchId: string): Promise<void>;

  // Status changes
  insertOperation(row: OperationRow): Promise<void>;
  unfinishedOperations(): Promise<OperationRow[]>;
  findOperation(id: string): Promise<OperationRow | undefined>;
  markOperationSubmitted(id: string, txHash: string): Promise<void>;
  /** Atomically: operation `confirmed` and the certificate's status and reason set. */
  confirmOperation(id: string, certificateStatus: CertificateStatus | null, reason: number | null): Promise<void>;
  failOperation(id: string, error: string): Promise<void>;

  // Audit
  insertEvent(event: Omit<EventRow, "id">): Promise<void>;
  /** {@link insertEvent} for many at once, in their order (a few multi-row statements, not one a row). */
  insertEvents(events: readonly Omit<EventRow, "id">[]): Promise<void>;
  certificateEvents(certificateId: string): Promise<EventRow[]>;

  // Integrity check (`certs check`, server/integrity/): read-only, paged, for databases of any size
  /** Every certificate, in id order, `limit` at a time after `afterId` (keyset paging; null: from the start). */
  scanCertificates(afterId: string | null, limit: number): Promise<CertificateRow[]>;
  /** Every batch, in id order, `limit` at a time after `afterId` (keyset paging; null: from the start). */
  listBatches(afterId: string | null, limit: number): Promise<BatchRow[]>;
  /** The leaves of a batch: its certificates' ids and digests, in leaf order (no credentials, no PDFs). */
  batchLeaves(batchId: string): Promise<BatchLeaf[]>;
  /**
   * A batch's certificates in leaf order with their stored PDFs (null where none is stored), `limit` at a
   * time after leaf `afterLeafIndex` (null: from the first leaf).
   */
  batchPdfs(batchId: string, afterLeafIndex: number | null, limit: number): Promise<BatchMemberPdf[]>;
  /**
   * Digests held by more than one certificate: how many certificates share a digest (`total`), and the
   * first `limit` such digests (in digest order) with their count and first 10 certificate ids.
   */
  duplicateDigests(limit: number): Promise<{ total: number; groups: DuplicateDigest[] }>;
  /**
   * Certificate numbers live more than once for one issuer (live: `pending`, `anchoring`, `issued`,
   * `suspended`, except a certificate whose pending or anchoring renewal of the same number is on its way):
   * how many live certificates share a number (`total`), and the first `limit` such numbers (by issuer,
   * number) with their count and first 10 certificate ids.
   */
  duplicateLiveNumbers(limit: number): Promise<{ total: number; groups: DuplicateLiveNumber[] }>;
}

/** One leaf of a batch's Merkle tree (`batchLeaves`). */
/** One rendered PDF for {@link Store.putPdfs}. */
export interface PdfToStore {
  certificateId: string;
  pdf: Uint8Array;
  /** The PDF's SHA-256, lowercase hex. */
  pdfHash: string;
}

/** Most rows in one statement of `putPdfs` on PostgreSQL (three parameters each, well under 65,535). */
export const PUT_PDFS_CHUNK_ROWS = 256;
/** Most PDF bytes in one statement of `putPdfs` on PostgreSQL (a larger PDF goes alone). */
export const PUT_PDFS_CHUNK_BYTES = 32 * 1024 * 1024;

export interface BatchLeaf {
  certificateId: string;
  leafIndex: number;
  digest: string;
  status: CertificateStatus;
}

/** One certificate of a batch with its stored PDF (`batchPdfs`). */
export interface BatchMemberPdf {
  certificateId: string;
  leafIndex: number;
  status: CertificateStatus;
  credentialJson: string;
  /** The certificate row's `pdfHash` (set when its PDF was stored). */
  pdfHash: string | null;
  /** The stored PDF, or null when the certificate has none. */
  pdf: Uint8Array | null;
  /** The hash stored beside the PDF, or null when there is none. */
  storedPdfHash: string | null;
}

/** A digest that several certificates hold (`duplicateDigests`). */
export interface DuplicateDigest {
  digest: string;
  count: number;
  /** The first 10, in id order. */
  certificateIds: string[];
}

/** A certificate number live several times for one issuer (`duplicateLiveNumbers`). */
export interface DuplicateLiveNumber {
  issuerId: string;
  certificateNumber: string;
  count: number;
  /** The first 10, in id order. */
  certificateIds: string[];
}
