/**
 * The schema of the issuer service's database, as numbered migrations of SQL text for both dialects
 * (SQLite through better-sqlite3, PostgreSQL through pg), and the runner that applies them.
 *
 * Each migration is applied once, in order, and recorded in `schema_migrations`; the runner works inside
 * the caller's transaction, so a migration that fails leaves neither its tables nor its record. On
 * PostgreSQL the runner first takes a transaction-scoped advisory lock, so several issuer instances
 * starting at once apply each migration once.
 *
 * The constraints carry the guarantees of DESIGN.md as far as a database can: a batch root is unique
 * (a root is anchored once), an idempotency key is unique per issuer, a claim code hash and an API key
 * hash are unique, statuses are closed lists, the links between a certificate and its upload, batch and
 * predecessor, and between an operation or event and what it acts on, are foreign keys that include the
 * issuer (so a row of one issuer can never point at another issuer's row), and every query of `Store`
 * has an index.
 *
 * Never edit a published migration: add the next number.
 */

import { StoreError } from "./store-error.ts";

export type Dialect = "sqlite" | "postgres";

export interface Migration {
  /** 1, 2, 3 ...: applied in this order, each once. */
  readonly version: number;
  /** What it does, recorded beside the version. */
  readonly name: string;
  /** The statements, separated by `;`, for the given dialect. */
  sql(dialect: Dialect): string;
}

/**
 * What the runner needs of a connection that is inside a transaction. `query` takes `?` placeholders on
 * SQLite and `$1, $2 ...` on PostgreSQL.
 */
export interface MigrationConnection {
  readonly dialect: Dialect;
  /** Runs statements without parameters. */
  exec(sql: string): Promise<void>;
  /** Runs one statement and returns its rows. */
  query<R>(sql: string, params: readonly unknown[]): Promise<R[]>;
}

/** The parts of the DDL that differ between the dialects. */
function dialectParts(d: Dialect) {
  const sqlite = d === "sqlite";
  return {
    /** Table option: SQLite checks column types only in STRICT tables. */
    strict: sqlite ? " STRICT" : "",
    blob: sqlite ? "BLOB" : "BYTEA",
    bigint: sqlite ? "INTEGER" : "BIGINT",
    serialKey: sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGSERIAL PRIMARY KEY",
    /** `0x` + 64 lower-case hex (digests, roots, transaction hashes). */
    hex32: (col: string) =>
      sqlite
        ? `(length(${col}) = 66 AND substr(${col}, 1, 2) = '0x' AND substr(${col}, 3) NOT GLOB '*[^0-9a-f]*')`
        : `(${col} ~ '^0x[0-9a-f]{64}$')`,
    /** SHA-256 as 64 lower-case hex (key hashes, claim code hashes, PDF hashes, request hashes). */
    sha256: (col: string) =>
      sqlite ? `(length(${col}) = 64 AND ${col} NOT GLOB '*[^0-9a-f]*')` : `(${col} ~ '^[0-9a-f]{64}$')`,
    /** The text is JSON (PostgreSQL refuses the cast with "invalid input syntax for type json"). */
    json: (col: string) => (sqlite ? `(json_valid(${col}))` : `((${col})::jsonb IS NOT NULL)`),
  };
}

const CERTIFICATE_STATUSES = `'pending', 'anchoring', 'issued', 'revoked', 'suspended', 'superseded', 'failed'`;

function initialSchema(dialect: Dialect): string {
  const { strict, blob, bigint, serialKey, hex32, sha256, json } = dialectParts(dialect);
  return `
CREATE TABLE api_keys (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  label TEXT NOT NULL,
  key_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  revoked_at TEXT,
  CONSTRAINT api_keys_key_hash_unique UNIQUE (key_hash),
  CONSTRAINT api_keys_key_hash_format CHECK ${sha256("key_hash")}
)${strict};
CREATE INDEX api_keys_issuer_idx ON api_keys (issuer_id, created_at);

CREATE TABLE idempotency_keys (
  issuer_id TEXT NOT NULL,
  idempotency_key TEXT NOT NULL,
  request_hash TEXT NOT NULL,
  status_code INTEGER NOT NULL,
  response_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CONSTRAINT idempotency_keys_pkey PRIMARY KEY (issuer_id, idempotency_key),
  CONSTRAINT idempotency_keys_request_hash_format CHECK ${sha256("request_hash")},
  CONSTRAINT idempotency_keys_status_code_range CHECK (status_code BETWEEN 100 AND 599)
)${strict};

CREATE TABLE uploads (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  row_count INTEGER NOT NULL,
  errors_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CONSTRAINT uploads_scope_unique UNIQUE (id, issuer_id, type_id),
  CONSTRAINT uploads_row_count_range CHECK (row_count >= 0),
  CONSTRAINT uploads_errors_json_valid CHECK ${json("errors_json")}
)${strict};
CREATE INDEX uploads_issuer_idx ON uploads (issuer_id, created_at);

CREATE TABLE batches (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  status TEXT NOT NULL,
  root TEXT NOT NULL,
  certificate_count INTEGER NOT NULL,
  tx_hash TEXT,
  tx_nonce ${bigint},
  block_number ${bigint},
  anchored_at TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CONSTRAINT batches_root_unique UNIQUE (root),
  CONSTRAINT batches_issuer_unique UNIQUE (id, issuer_id),
  CONSTRAINT batches_scope_unique UNIQUE (id, issuer_id, type_id),
  CONSTRAINT batches_status_check CHECK (status IN ('closed', 'submitted', 'anchored', 'rendered')),
  CONSTRAINT batches_root_format CHECK ${hex32("root")},
  CONSTRAINT batches_tx_hash_format CHECK (tx_hash IS NULL OR ${hex32("tx_hash")}),
  CONSTRAINT batches_certificate_count_range CHECK (certificate_count > 0),
  CONSTRAINT batches_tx_nonce_range CHECK (tx_nonce IS NULL OR tx_nonce >= 0),
  CONSTRAINT batches_block_number_range CHECK (block_number IS NULL OR block_number >= 0),
  CONSTRAINT batches_submitted_has_tx CHECK (status <> 'submitted' OR (tx_hash IS NOT NULL AND tx_nonce IS NOT NULL)),
  CONSTRAINT batches_anchored_has_block CHECK (status IN ('closed', 'submitted') OR (block_number IS NOT NULL AND anchored_at IS NOT NULL))
)${strict};
CREATE INDEX batches_unfinished_idx ON batches (created_at, id) WHERE status <> 'rendered';

CREATE TABLE certificates (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  type_id TEXT NOT NULL,
  upload_id TEXT NOT NULL,
  upload_row INTEGER NOT NULL,
  certificate_number TEXT NOT NULL,
  record_json TEXT NOT NULL,
  credential_json TEXT NOT NULL,
  digest TEXT NOT NULL,
  claim_code_hash TEXT NOT NULL,
  supersedes TEXT,
  search_json TEXT NOT NULL,
  status TEXT NOT NULL,
  batch_id TEXT,
  leaf_index INTEGER,
  pdf_hash TEXT,
  reason INTEGER,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CONSTRAINT certificates_issuer_unique UNIQUE (id, issuer_id),
  CONSTRAINT certificates_claim_code_hash_unique UNIQUE (claim_code_hash),
  CONSTRAINT certificates_upload_row_unique UNIQUE (upload_id, upload_row),
  CONSTRAINT certificates_batch_leaf_unique UNIQUE (batch_id, leaf_index),
  CONSTRAINT certificates_upload_fk FOREIGN KEY (upload_id, issuer_id, type_id) REFERENCES uploads (id, issuer_id, type_id),
  CONSTRAINT certificates_batch_fk FOREIGN KEY (batch_id, issuer_id, type_id) REFERENCES batches (id, issuer_id, type_id),
  CONSTRAINT certificates_supersedes_fk FOREIGN KEY (supersedes, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT certificates_status_check CHECK (status IN (${CERTIFICATE_STATUSES})),
  CONSTRAINT certificates_batch_by_status CHECK (
    (status = 'pending' AND batch_id IS NULL) OR status = 'failed' OR (status <> 'pending' AND batch_id IS NOT NULL)
  ),
  CONSTRAINT certificates_leaf_with_batch CHECK ((batch_id IS NULL) = (leaf_index IS NULL)),
  CONSTRAINT certificates_not_self_superseding CHECK (supersedes IS NULL OR supersedes <> id),
  CONSTRAINT certificates_upload_row_range CHECK (upload_row >= 1),
  CONSTRAINT certificates_leaf_index_range CHECK (leaf_index IS NULL OR leaf_index >= 0),
  CONSTRAINT certificates_reason_range CHECK (reason IS NULL OR reason >= 0),
  CONSTRAINT certificates_digest_format CHECK ${hex32("digest")},
  CONSTRAINT certificates_claim_code_hash_format CHECK ${sha256("claim_code_hash")},
  CONSTRAINT certificates_pdf_hash_format CHECK (pdf_hash IS NULL OR ${sha256("pdf_hash")}),
  CONSTRAINT certificates_search_json_valid CHECK ${json("search_json")}
)${strict};
CREATE INDEX certificates_issuer_idx ON certificates (issuer_id, created_at, upload_id, upload_row);
CREATE INDEX certificates_issuer_status_idx ON certificates (issuer_id, status, created_at, upload_id, upload_row);
CREATE INDEX certificates_upload_status_idx ON certificates (upload_id, status);
CREATE INDEX certificates_pending_idx ON certificates (issuer_id, type_id, created_at, upload_id, upload_row)
  WHERE status = 'pending';
CREATE INDEX certificates_supersedes_idx ON certificates (supersedes) WHERE supersedes IS NOT NULL;

CREATE TABLE certificate_pdfs (
  certificate_id TEXT PRIMARY KEY,
  pdf ${blob} NOT NULL,
  pdf_hash TEXT NOT NULL,
  created_at TEXT NOT NULL,
  CONSTRAINT certificate_pdfs_certificate_fk FOREIGN KEY (certificate_id) REFERENCES certificates (id),
  CONSTRAINT certificate_pdfs_pdf_hash_format CHECK ${sha256("pdf_hash")}
)${strict};
${dialect === "postgres" ? "-- PDFs are compressed already: store them out of line without trying to compress them again.\nALTER TABLE certificate_pdfs ALTER COLUMN pdf SET STORAGE EXTERNAL;" : ""}

CREATE TABLE operations (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  certificate_id TEXT,
  batch_id TEXT,
  reason INTEGER NOT NULL,
  successor_id TEXT,
  status TEXT NOT NULL,
  tx_hash TEXT,
  error TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  CONSTRAINT operations_certificate_fk FOREIGN KEY (certificate_id, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT operations_batch_fk FOREIGN KEY (batch_id, issuer_id) REFERENCES batches (id, issuer_id),
  CONSTRAINT operations_successor_fk FOREIGN KEY (successor_id, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT operations_kind_check CHECK (kind IN ('revoke', 'suspend', 'reinstate', 'supersede', 'revoke-batch')),
  CONSTRAINT operations_status_check CHECK (status IN ('queued', 'submitted', 'confirmed', 'failed')),
  CONSTRAINT operations_target CHECK (
    (kind = 'revoke-batch' AND batch_id IS NOT NULL) OR (kind <> 'revoke-batch' AND certificate_id IS NOT NULL)
  ),
  CONSTRAINT operations_supersede_has_successor CHECK (kind <> 'supersede' OR successor_id IS NOT NULL),
  CONSTRAINT operations_submitted_has_tx CHECK (status <> 'submitted' OR tx_hash IS NOT NULL),
  CONSTRAINT operations_failed_has_error CHECK (status <> 'failed' OR error IS NOT NULL),
  CONSTRAINT operations_reason_range CHECK (reason >= 0),
  CONSTRAINT operations_tx_hash_format CHECK (tx_hash IS NULL OR ${hex32("tx_hash")})
)${strict};
CREATE INDEX operations_unfinished_idx ON operations (created_at, id) WHERE status IN ('queued', 'submitted');
CREATE INDEX operations_certificate_idx ON operations (certificate_id) WHERE certificate_id IS NOT NULL;
CREATE INDEX operations_batch_idx ON operations (batch_id) WHERE batch_id IS NOT NULL;

CREATE TABLE events (
  id ${serialKey},
  issuer_id TEXT NOT NULL,
  certificate_id TEXT,
  batch_id TEXT,
  type TEXT NOT NULL,
  actor TEXT NOT NULL,
  detail_json TEXT NOT NULL,
  at TEXT NOT NULL,
  CONSTRAINT events_certificate_fk FOREIGN KEY (certificate_id, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT events_batch_fk FOREIGN KEY (batch_id, issuer_id) REFERENCES batches (id, issuer_id)
)${strict};
CREATE INDEX events_certificate_idx ON events (certificate_id, id) WHERE certificate_id IS NOT NULL;
CREATE INDEX events_batch_idx ON events (batch_id, id) WHERE batch_id IS NOT NULL;
`;
}

/**
 * The text the PostgreSQL search index holds (migration 4): the certificate number and the search
 * fields' JSON, lowercased, apart by a character no search can hold (U+0001).
 */
export const SEARCH_TEXT = "lower(certificate_number || chr(1) || search_json)";

/**
 * The search text of a certificate's names (migration 6's generated column `search_names`): the strings
 * under `name` in its search fields, as a JSON array's text, lowercased (`["chan tai man", "陳大文"]`): no
 * member names, no certificate or candidate number.
 */
export const NAME_TEXT = `lower(jsonb_path_query_array(search_json::jsonb, 'strict $.name.** ? (@.type() == "string")')::text)`;

/** The candidate number in a certificate's search fields, lowercased (migration 6's `search_candidate`). */
export const CANDIDATE_NUMBER_TEXT = "lower(search_json::jsonb ->> 'candidateNumber')";

/** The certificate statuses in which a certificate number is taken (DESIGN.md "Guarantees"). */
export const LIVE_STATUSES = `'pending', 'anchoring', 'issued', 'suspended'`;

/**
 * The predicate of `certificates_live_number_unique`, repeated as the conflict target of
 * `insertUpload` (both dialects need the exact predicate there to use the partial index).
 */
export const LIVE_NUMBER_PREDICATE = `status IN (${LIVE_STATUSES}) AND renewed_by IS NULL`;

/**
 * Issue 9: every certificate is its holder's.
 * - A certificate number is live at most once per issuer. A renewal that keeps the number marks the
 *   certificate it replaces with `renewed_by` while it is on its way (so both can be stored), and the
 *   old one leaves the live set when it is superseded.
 * - A credential digest is unique: two certificates with one digest (one Merkle leaf) would share a root.
 * - A batch that keeps failing is set aside: `attempts` counts its failed steps, `failure` says why it
 *   was set aside (and when, `failed_at`), and the pipeline no longer works on it.
 */
function everyCertificateItsHolders(dialect: Dialect): string {
  void dialect; // the same SQL on both
  return `
ALTER TABLE certificates ADD COLUMN renewed_by TEXT;
CREATE UNIQUE INDEX certificates_live_number_unique ON certificates (issuer_id, certificate_number)
  WHERE ${LIVE_NUMBER_PREDICATE};
CREATE UNIQUE INDEX certificates_digest_unique ON certificates (digest);
ALTER TABLE batches ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE batches ADD COLUMN failure TEXT;
ALTER TABLE batches ADD COLUMN failed_at TEXT;
DROP INDEX batches_unfinished_idx;
CREATE INDEX batches_unfinished_idx ON batches (created_at, id) WHERE status <> 'rendered' AND failure IS NULL;
CREATE INDEX certificates_upload_batch_idx ON certificates (upload_id, batch_id);
`;
}

/**
 * Issue 13: several issuer instances on one database. A lease names one writer among them (the
 * anchoring writer of a signer, the instance advancing a batch or applying a status change): its holder,
 * its epoch (the fencing token, incremented each time it changes hands, never reused) and when it
 * expires (ms since 1970, the database's clock) unless renewed.
 */
function leases(dialect: Dialect): string {
  const { bigint, strict } = dialectParts(dialect);
  return `
CREATE TABLE leases (
  name TEXT PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 200),
  holder TEXT NOT NULL CHECK (length(holder) BETWEEN 1 AND 200),
  epoch ${bigint} NOT NULL CHECK (epoch >= 1),
  expires_at ${bigint} NOT NULL CHECK (expires_at >= 0)
)${strict};
`;
}

/**
 * Issue 13: the officer's search at a registry's size (a million certificates). On PostgreSQL, a trigram
 * index (the `pg_trgm` extension, shipped with PostgreSQL and trusted: a database owner may create it) on
 * the lowercased certificate number and search fields, as text: `SEARCH_TEXT`, the expression the search's
 * `LIKE` prefilter names (`postgres-store.ts`). Created in `public` when this role may, else in the
 * current schema; where the extension cannot be created at all, the search scans the table as before
 * (a NOTICE says so). Taken under a database-wide lock: the extension is one per database. On SQLite
 * (the zero-configuration default of smaller departments) the search scans, in process.
 */
function searchIndex(dialect: Dialect): string {
  if (dialect === "sqlite") return "-- SQLite: the certificate search scans the table in process.";
  return `
SELECT pg_advisory_xact_lock(hashtext('ecert: CREATE EXTENSION pg_trgm'));
DO $$
DECLARE trgm_schema text;
BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm') THEN
    BEGIN
      CREATE EXTENSION pg_trgm WITH SCHEMA public;
    EXCEPTION WHEN OTHERS THEN
      BEGIN
        CREATE EXTENSION pg_trgm;
      EXCEPTION WHEN OTHERS THEN
        RAISE NOTICE 'pg_trgm cannot be created (%): the certificate search scans the table', SQLERRM;
      END;
    END;
  END IF;
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX certificates_search_trgm_idx ON certificates USING gin ((${SEARCH_TEXT}) %I.gin_trgm_ops)', trgm_schema);
  END IF;
END $$;
`;
}

/**
 * Issue 13: the search at a million certificates, by what a clerk types. A number (certificate or
 * candidate) is typed whole or by its start: B-tree indexes on the lowercased certificate number and
 * candidate number (`text_pattern_ops`, so a `LIKE 'start%'` is a range of the index), issuer first. A
 * name is typed by any part: a trigram index on the names alone, which replaces migration 4's on the
 * number and every field (that one read posting lists as long as the table for a number: the type's
 * prefix and the sitting date are in every certificate number). The names' text and the candidate
 * number are stored generated columns (`search_names`, `search_candidate`: {@link NAME_TEXT},
 * {@link CANDIDATE_NUMBER_TEXT}), so that a scan in the listing's order reads them instead of parsing
 * the JSON of every row it passes; adding them rewrites the table once (minutes at a million
 * certificates). The names' statistics are finer (1,000), so that the planner tells a rare name (the
 * trigram index, then sorted) from a common one (the listing's order, stopping after `limit` rows). Where pg_trgm is missing, names are searched by scanning as before. On SQLite the
 * search scans, in process.
 */
function searchByWhatIsTyped(dialect: Dialect): string {
  if (dialect === "sqlite") return "-- SQLite: the certificate search scans the table in process.";
  return `
DROP INDEX IF EXISTS certificates_search_trgm_idx;
ALTER TABLE certificates
  ADD COLUMN search_names TEXT GENERATED ALWAYS AS (${NAME_TEXT}) STORED,
  ADD COLUMN search_candidate TEXT GENERATED ALWAYS AS (${CANDIDATE_NUMBER_TEXT}) STORED;
ALTER TABLE certificates ALTER COLUMN search_names SET STATISTICS 1000;
CREATE INDEX certificates_number_prefix_idx ON certificates (issuer_id, lower(certificate_number) text_pattern_ops);
CREATE INDEX certificates_candidate_prefix_idx ON certificates (issuer_id, search_candidate text_pattern_ops);
DO $$
DECLARE trgm_schema text;
BEGIN
  SELECT n.nspname INTO trgm_schema FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  IF trgm_schema IS NOT NULL THEN
    EXECUTE format('CREATE INDEX certificates_name_trgm_idx ON certificates USING gin (search_names %I.gin_trgm_ops)', trgm_schema);
  ELSE
    RAISE NOTICE 'pg_trgm is missing: the search of names scans the table';
  END IF;
END $$;
`;
}

/**
 * Issue 14: people, not API keys.
 * - API keys are scoped (`scopes_json`: a JSON array of "issue", "read", "status") and may expire.
 * - An upload waits as `awaiting-approval` until an approver (not its requester) releases or rejects it;
 *   the batcher takes only pending certificates of released uploads. Uploads stored before this
 *   migration are released.
 * - A status change is a `change_requests` row: requested by one officer, applied (an operation queued)
 *   only once another approves it; at most one request per certificate is open at a time. The case note
 *   is kept here, never on chain.
 * - Officers' sessions (the cookie's SHA-256, never the cookie) and sign-ins under way (OIDC state, PKCE
 *   verifier, nonce), so several instances share them.
 * - The audit trail: per department an append-only list whose entries are hash-chained (`prev_hash`,
 *   `hash`); `audit_heads` holds each department's last entry, and its row lock orders appends.
 * - The e-mail outbox: one row per certificate whose row carried an address (never in the credential);
 *   the claim code is kept only until the message is sent.
 * - `events.actor_name`: the person (or key label) behind an event, for the history by person.
 */
function people(dialect: Dialect): string {
  const { strict, bigint, sha256, json } = dialectParts(dialect);
  return `
ALTER TABLE api_keys ADD COLUMN scopes_json TEXT NOT NULL DEFAULT '["issue","read","status"]';
ALTER TABLE api_keys ADD COLUMN expires_at TEXT;
ALTER TABLE events ADD COLUMN actor_name TEXT;
ALTER TABLE uploads ADD COLUMN state TEXT NOT NULL DEFAULT 'released'
  CONSTRAINT uploads_state_check CHECK (state IN ('awaiting-approval', 'released', 'rejected'));
ALTER TABLE uploads ADD COLUMN requested_by TEXT;
ALTER TABLE uploads ADD COLUMN requested_by_name TEXT;
ALTER TABLE uploads ADD COLUMN decided_by TEXT;
ALTER TABLE uploads ADD COLUMN decided_by_name TEXT;
ALTER TABLE uploads ADD COLUMN decided_at TEXT;
ALTER TABLE uploads ADD COLUMN decision_reason TEXT;
CREATE INDEX uploads_issuer_state_idx ON uploads (issuer_id, state, created_at);

CREATE TABLE change_requests (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  kind TEXT NOT NULL,
  reason INTEGER NOT NULL,
  note TEXT,
  state TEXT NOT NULL,
  requested_by TEXT NOT NULL,
  requested_by_name TEXT NOT NULL,
  requested_at TEXT NOT NULL,
  decided_by TEXT,
  decided_by_name TEXT,
  decided_at TEXT,
  decision_reason TEXT,
  operation_id TEXT,
  CONSTRAINT change_requests_certificate_fk FOREIGN KEY (certificate_id, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT change_requests_operation_fk FOREIGN KEY (operation_id) REFERENCES operations (id),
  CONSTRAINT change_requests_kind_check CHECK (kind IN ('revoke', 'suspend', 'reinstate')),
  CONSTRAINT change_requests_state_check CHECK (state IN ('awaiting-approval', 'approved', 'rejected')),
  CONSTRAINT change_requests_reason_range CHECK (reason >= 0),
  CONSTRAINT change_requests_note_length CHECK (note IS NULL OR length(note) <= 2000),
  CONSTRAINT change_requests_decision_reason_length CHECK (decision_reason IS NULL OR length(decision_reason) <= 500),
  CONSTRAINT change_requests_decided CHECK (state = 'awaiting-approval' OR (decided_by IS NOT NULL AND decided_at IS NOT NULL)),
  CONSTRAINT change_requests_rejected_has_reason CHECK (state <> 'rejected' OR decision_reason IS NOT NULL),
  CONSTRAINT change_requests_approved_has_operation CHECK (state <> 'approved' OR operation_id IS NOT NULL)
)${strict};
CREATE UNIQUE INDEX change_requests_open_unique ON change_requests (certificate_id) WHERE state = 'awaiting-approval';
CREATE INDEX change_requests_issuer_idx ON change_requests (issuer_id, state, requested_at);
CREATE INDEX change_requests_certificate_idx ON change_requests (certificate_id, requested_at);

CREATE TABLE officer_sessions (
  id_hash TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  subject TEXT NOT NULL,
  name TEXT NOT NULL,
  email TEXT,
  roles_json TEXT NOT NULL,
  created_at TEXT NOT NULL,
  last_seen_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  ended_at TEXT,
  CONSTRAINT officer_sessions_id_hash_format CHECK ${sha256("id_hash")},
  CONSTRAINT officer_sessions_roles_json_valid CHECK ${json("roles_json")}
)${strict};
CREATE INDEX officer_sessions_expiry_idx ON officer_sessions (expires_at);

CREATE TABLE login_attempts (
  state TEXT PRIMARY KEY,
  code_verifier TEXT NOT NULL,
  nonce TEXT NOT NULL,
  return_to TEXT NOT NULL,
  created_at TEXT NOT NULL
)${strict};
CREATE INDEX login_attempts_created_idx ON login_attempts (created_at);

CREATE TABLE audit_heads (
  issuer_id TEXT PRIMARY KEY,
  seq ${bigint} NOT NULL CHECK (seq >= 0),
  hash TEXT NOT NULL,
  CONSTRAINT audit_heads_hash_format CHECK ${sha256("hash")}
)${strict};

CREATE TABLE audit_log (
  issuer_id TEXT NOT NULL,
  seq ${bigint} NOT NULL,
  at TEXT NOT NULL,
  actor_id TEXT NOT NULL,
  actor_name TEXT NOT NULL,
  action TEXT NOT NULL,
  source TEXT,
  certificate_id TEXT,
  upload_id TEXT,
  batch_id TEXT,
  detail_json TEXT NOT NULL,
  prev_hash TEXT NOT NULL,
  hash TEXT NOT NULL,
  CONSTRAINT audit_log_pkey PRIMARY KEY (issuer_id, seq),
  CONSTRAINT audit_log_seq_range CHECK (seq >= 1),
  CONSTRAINT audit_log_hash_format CHECK ${sha256("hash")},
  CONSTRAINT audit_log_prev_hash_format CHECK ${sha256("prev_hash")},
  CONSTRAINT audit_log_detail_json_valid CHECK ${json("detail_json")}
)${strict};
CREATE INDEX audit_log_action_idx ON audit_log (issuer_id, action, seq);
CREATE INDEX audit_log_actor_idx ON audit_log (issuer_id, actor_id, seq);
CREATE INDEX audit_log_certificate_idx ON audit_log (certificate_id, seq) WHERE certificate_id IS NOT NULL;
CREATE INDEX audit_log_upload_idx ON audit_log (upload_id, seq) WHERE upload_id IS NOT NULL;

CREATE TABLE email_outbox (
  id TEXT PRIMARY KEY,
  issuer_id TEXT NOT NULL,
  certificate_id TEXT NOT NULL,
  to_address TEXT NOT NULL,
  claim_code TEXT,
  status TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  last_error TEXT,
  next_attempt_at TEXT NOT NULL,
  created_at TEXT NOT NULL,
  sent_at TEXT,
  CONSTRAINT email_outbox_certificate_unique UNIQUE (certificate_id),
  CONSTRAINT email_outbox_certificate_fk FOREIGN KEY (certificate_id, issuer_id) REFERENCES certificates (id, issuer_id),
  CONSTRAINT email_outbox_status_check CHECK (status IN ('waiting', 'sent', 'failed', 'cancelled')),
  CONSTRAINT email_outbox_address_length CHECK (length(to_address) BETWEEN 3 AND 254),
  CONSTRAINT email_outbox_attempts_range CHECK (attempts >= 0),
  CONSTRAINT email_outbox_code_until_sent CHECK (status = 'waiting' OR claim_code IS NULL)
)${strict};
CREATE INDEX email_outbox_due_idx ON email_outbox (next_attempt_at) WHERE status = 'waiting';
${uploadDecisionChecks(dialect)}`;
}

/**
 * An upload's decision as a change request's: a rejection carries its reason, of at most 500
 * characters. SQLite cannot add a CHECK to a table after the fact, so there two triggers refuse it.
 */
function uploadDecisionChecks(dialect: Dialect): string {
  const valid = `(decision_reason IS NULL OR length(decision_reason) <= 500) AND (state <> 'rejected' OR decision_reason IS NOT NULL)`;
  if (dialect === "postgres") {
    return `ALTER TABLE uploads ADD CONSTRAINT uploads_decision_check CHECK (${valid});\n`;
  }
  return ["INSERT", "UPDATE"]
    .map(
      (event) => `CREATE TRIGGER uploads_decision_check_${event.toLowerCase()} BEFORE ${event} ON uploads
WHEN NOT (${valid.replace(/\b(decision_reason|state)\b/g, "NEW.$1")})
BEGIN SELECT RAISE(ABORT, 'CHECK constraint failed: uploads_decision_check'); END;
`,
    )
    .join("");
}

/** Every migration of this build, in order. Only ever append. */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "api keys, idempotency, uploads, batches, certificates, PDFs, operations, events",
    sql: initialSchema,
  },
  {
    version: 2,
    name: "one live certificate number per issuer, unique digests, failed batches set aside",
    sql: everyCertificateItsHolders,
  },
  { version: 3, name: "leases: one writer among several instances, with a fencing epoch", sql: leases },
  { version: 4, name: "a trigram index for the certificate search (PostgreSQL)", sql: searchIndex },
  {
    version: 5,
    name: "officers: scoped keys, approvals, change requests, sessions, the audit trail, the e-mail outbox",
    sql: people,
  },
  {
    version: 6,
    name: "the search: numbers by their start on B-tree indexes, names by any part on a trigram index (PostgreSQL)",
    sql: searchByWhatIsTyped,
  },
];

/** The newest schema version this build knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

export type MigrationResult = {
  /** Versions applied by this call, in order (empty when the schema was up to date). */
  applied: number[];
  /** The schema version after the call. */
  version: number;
};

/**
 * Applies the migrations the database has not recorded yet, in order, each followed by its record in
 * `schema_migrations`. Must run inside a transaction the caller commits (or rolls back on a throw).
 *
 * @param connection a connection inside a transaction
 * @param migrations the migrations to apply (default {@link MIGRATIONS}); versions must be 1, 2, 3 ...
 * @param now the time recorded as `applied_at`
 * @returns the versions applied and the resulting version
 * @throws StoreError `SCHEMA_TOO_NEW` when the database records a version that is not in `migrations`
 *
 * @example
 * ```ts
 * db.exec("BEGIN IMMEDIATE");
 * const { applied } = await applyMigrations(connection);
 * db.exec("COMMIT");
 * ```
 */
export async function applyMigrations(
  connection: MigrationConnection,
  migrations: readonly Migration[] = MIGRATIONS,
  now: Date = new Date(),
): Promise<MigrationResult> {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${i + 1} has version ${m.version}: versions must be 1, 2, 3 ...`);
  });
  const postgres = connection.dialect === "postgres";
  if (postgres) {
    // One issuer instance at a time migrates this schema; the lock ends with the transaction.
    await connection.exec(`SELECT pg_advisory_xact_lock(hashtext(current_schema() || '.schema_migrations'))`);
  }
  await connection.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version INTEGER PRIMARY KEY,
       name TEXT NOT NULL,
       applied_at TEXT NOT NULL
     )${postgres ? "" : " STRICT"}`,
  );
  const rows = await connection.query<{ version: number | string }>(
    "SELECT version FROM schema_migrations ORDER BY version",
    [],
  );
  const done = new Set(rows.map((r) => Number(r.version)));
  const newest = Math.max(0, ...done);
  if (newest > migrations.length) {
    throw new StoreError(
      "SCHEMA_TOO_NEW",
      `the database schema is at version ${newest}, newer than this build knows (${migrations.length}): run a build that knows it`,
    );
  }
  const insert = postgres
    ? "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)"
    : "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)";
  const applied: number[] = [];
  for (const migration of migrations) {
    if (done.has(migration.version)) continue;
    await connection.exec(migration.sql(connection.dialect));
    await connection.query(insert, [migration.version, migration.name, now.toISOString()]);
    applied.push(migration.version);
  }
  return { applied, version: Math.max(newest, ...applied) };
}
