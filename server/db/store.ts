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
   * One issuer's certificates, oldest first (then by upload row). `query` matches, case-insensitively, a
   * substring of the certificate number or of a value in `searchJson` (name, candidate number).
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
