/**
 * The API's request and response schemas (the handlers validate with them) and the OpenAPI 3.1 document
 * generated from them (`GET /api/v1/openapi.json`).
 */
import { z } from "zod";
import {
  CHECK_IDS,
  CHECK_STATUSES,
  REASON_CODES,
  DEPARTMENT_REASONS,
  REVOCATION_REASONS,
  VERIFICATION_STATUSES,
  type DepartmentReason,
  type RevocationReason,
} from "../../core/index.ts";

const fieldsSchema = z.record(z.string(), z.unknown()).describe("Fields keyed by the type's CSV column names");

/** A reason of a status change, by the name requests take (`core/revocationReasons.ts`). */
const revocationReason = z.enum(Object.keys(REVOCATION_REASONS) as [RevocationReason, ...RevocationReason[]]);

/** Words in English and Traditional Chinese (Hong Kong). */
const localized = z.object({ en: z.string(), "zh-HK": z.string() });

/** A certificate's status (`server/db/store.ts`'s `CertificateStatus`). */
const certificateStatus = z.enum(["pending", "anchoring", "issued", "revoked", "suspended", "superseded", "failed"]);

const rowError = z.object({
  row: z
    .number()
    .int()
    .nullable()
    .describe(
      "A CSV upload: the row as a spreadsheet shows it (the header is row 1, the first data row row 2). JSON rows: the 1-based index of the element in the array (1 for POST /certificates)",
    ),
  column: z.string().nullable().describe("The CSV column / JSON field name, or null for the whole row"),
  columnLabel: localized
    .optional()
    .describe("The column's label in both languages, when the column is one the type defines"),
  code: z.string().describe('For programs, e.g. "TOO_LONG" (core/errors.ts lists them)'),
  message: localized.describe(
    "For people, in both languages; it names the column by its label, with its name in brackets",
  ),
  certificateId: z.string().optional().describe("DUPLICATE_CERTIFICATE: the live certificate that holds the number"),
});

const uploadState = z.enum(["awaiting-approval", "released", "rejected"]);
const person = z.object({ id: z.string(), name: z.string() });

const changeRequest = z.object({
  id: z.string(),
  certificateId: z.string(),
  kind: z.enum(["revoke", "suspend", "reinstate"]),
  reason: revocationReason.nullable(),
  note: z.string().nullable().describe("The case note (never on chain)"),
  state: z.enum(["awaiting-approval", "approved", "rejected"]),
  requestedBy: person,
  requestedAt: z.string(),
  decidedBy: person.nullable(),
  decidedAt: z.string().nullable(),
  decisionReason: z.string().nullable(),
  operationId: z.string().nullable(),
});

const batchBody = z.object({
  id: z.string(),
  type: z.string(),
  rows: z.number().int().describe("Rows in the input, valid or not"),
  accepted: z.number().int().describe("Certificates accepted from it, whatever their status now"),
  progress: z.partialRecord(certificateStatus, z.number().int()).describe("Its certificates by status"),
  done: z.boolean().describe("Something was accepted and nothing is pending or anchoring any more"),
  errors: z.array(rowError),
  failures: z
    .array(z.object({ batch: z.string(), reason: z.string(), at: z.string() }))
    .describe("Batches set aside by the pipeline, with the reason: their certificates are failed"),
  createdAt: z.string(),
  state: uploadState.describe("awaiting-approval: nothing is anchored until an approver releases it"),
  requestedBy: person.nullable().describe("Who uploaded it"),
  decidedBy: person.nullable().describe("Who released or rejected it"),
  decidedAt: z.string().nullable(),
  decisionReason: z.string().nullable().describe("A rejection's reason"),
});

/** A candidate's e-mail as the department routes show it (`outbox-routes.ts`). */
const emailBody = z.object({
  certificateId: z.string(),
  status: z
    .enum(["waiting", "sent", "failed", "cancelled"])
    .describe("waiting (to be sent, or retried), sent, failed (given up after its last attempt), cancelled"),
  attempts: z.number().int().describe("Attempts so far"),
  lastError: z.string().nullable().describe("The SMTP server's answer to the last failed attempt"),
  nextAttemptAt: z.string().nullable().describe("When it is tried next (null once sent, failed or cancelled)"),
  sentAt: z.string().nullable(),
  createdAt: z.string(),
  toAddress: z.string().describe("The address, masked: its first character, then ***@ and the domain"),
});

/** A certificate as the department routes show it. */
const certificateSummary = z.object({
  id: z.string(),
  type: z.string(),
  certificateNumber: z.string(),
  status: certificateStatus,
  batchId: z.string().describe("The upload (batch) it came in"),
  row: z.number().int().describe("1-based row of the upload"),
  reason: z.number().int().nullable().describe("Reason code of the last status change (revoke, suspend)"),
  reasonName: revocationReason
    .nullable()
    .describe("The same reason by the name requests take (null when none, or a code with no name)"),
  supersedes: z.string().nullable().describe("The certificate this one renews"),
  search: z
    .object({
      name: z.unknown().optional().describe("The candidate's name: a string, or { en, zh-HK }"),
      candidateNumber: z.string().optional(),
    })
    .describe("The claims the officer's search reads; a field the certificate has no value for is left out"),
  createdAt: z.string().describe("When it was accepted"),
  updatedAt: z.string(),
  issuedAt: z.string().nullable().describe("When it was issued (its batch anchored); null before"),
});

/** An instant of an audit query: an ISO 8601 date or date-time (with Z or an offset). */
const auditInstant = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);

/** One entry of a department's audit trail (`server/audit/audit-trail.ts`). */
const auditEntry = z.object({
  seq: z.number().int().describe("1, 2, 3 ... per department"),
  at: z.string().describe("When (ISO 8601, UTC)"),
  actor: z
    .object({ id: z.string(), name: z.string() })
    .describe("Who: an officer, an API key (its label), or cli:<user>"),
  action: z
    .string()
    .describe('What, e.g. "sign-in", "upload", "upload-released", "status-requested", "audit-exported"'),
  source: z.string().nullable().describe('From where: the client\'s address, or "cli"'),
  certificateId: z.string().nullable(),
  uploadId: z.string().nullable(),
  batchId: z.string().nullable(),
  detail: z.record(z.string(), z.unknown()).describe("What else the entry says (counts, reason, note ...)"),
  hash: z.string().describe("SHA-256 (hex) over the previous hash and this entry's fields"),
  prevHash: z.string().describe("The previous entry's hash (64 zeros for the first)"),
});

/** The request and response bodies: the handlers validate with these, and the OpenAPI document is generated from them. */
export const schemas = {
  CertificateRequest: z.strictObject({ type: z.string().min(1).max(40), fields: fieldsSchema }),
  BatchRequest: z.strictObject({ type: z.string().min(1).max(40), rows: z.array(fieldsSchema).min(1).max(100_000) }),
  // "superseded" is the service's own reason, set by a renewal with its successor; a department cannot give it.
  StatusChangeRequest: z.strictObject({
    reason: z.enum(DEPARTMENT_REASONS as [DepartmentReason, ...DepartmentReason[]]).default("unspecified"),
    note: z.string().max(2000).optional().describe("The case note: kept by the service, never on chain"),
  }),
  /** `POST /certificates/{id}/revoke`: the reason is required (a revocation is final). */
  RevokeRequest: z.strictObject({
    reason: z
      .enum(DEPARTMENT_REASONS as [DepartmentReason, ...DepartmentReason[]])
      .describe("Why: required, for a revocation is final"),
    note: z.string().max(2000).optional().describe("The case note: kept by the service, never on chain"),
  }),
  /** `POST /batches/{id}/release|reject`, `POST /change-requests/{id}/approve|reject`. */
  DecisionRequest: z.strictObject({
    reason: z.string().trim().min(1).max(500).optional().describe("Why: required to reject"),
  }),
  /** `GET /batches`'s query. */
  BatchQuery: z.object({
    state: uploadState.optional().describe("Only uploads in this state"),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe("At most this many uploads"),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0).describe("Skip this many first"),
  }),
  /** `GET /change-requests`'s query. */
  ChangeRequestQuery: z.object({
    state: z.enum(["awaiting-approval", "approved", "rejected"]).optional().describe("Only requests in this state"),
    certificate: z.string().max(40).optional().describe("Only the requests of this certificate"),
    limit: z.coerce.number().int().min(1).max(200).default(50).describe("At most this many requests"),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0).describe("Skip this many first"),
  }),
  /** A requested status change (maker-checker): applied once another officer approves it. */
  ChangeRequest: changeRequest,
  /** `GET /change-requests`: newest first. */
  ChangeRequestList: z.object({ requests: z.array(changeRequest) }),
  RenewRequest: z.strictObject({ fields: fieldsSchema }),
  RowError: rowError,
  /** `POST /certificates`, `POST /batches`, `POST /certificates/{id}/renew`: 202, or 422 when nothing was accepted. */
  Accepted: z.object({
    batchId: z.string(),
    state: z
      .enum(["awaiting-approval", "released"])
      .describe("awaiting-approval: nothing is anchored until an approver releases it (POST /batches/{id}/release)"),
    certificates: z.array(
      z.object({
        row: z.number().int().describe("The same row number as the errors use (see RowError.row)"),
        id: z.string(),
        certificateNumber: z.string(),
        claimCode: z.string(),
      }),
    ),
    errors: z.array(rowError),
    fileError: z
      .object({
        code: z.string(),
        message: localized.describe("In both languages"),
        columns: z.array(z.string()).optional(),
        line: z.number().int().optional().describe("The 1-based line of the file (the header is line 1)"),
      })
      .optional()
      .describe("The whole file was refused (nothing accepted)"),
  }),
  /** `GET /batches/{id}`: an upload's progress, its refused rows and the batches of it set aside. */
  Batch: batchBody,
  /** `GET /batches`: the department's uploads, newest first, without their row errors. */
  BatchList: z.object({
    batches: z.array(batchBody.omit({ errors: true }).extend({ errorCount: z.number().int() })),
  }),
  /** One certificate of `GET /certificates`. */
  CertificateSummary: certificateSummary,
  /** `GET /certificates`: the department's certificates that match the query. */
  CertificateList: z.object({ certificates: z.array(certificateSummary) }),
  /** `GET /certificates/{id}`: the certificate and its history, oldest first. */
  Certificate: certificateSummary.extend({
    history: z.array(
      z.object({
        type: z.string().describe('e.g. "accepted", "anchored", "issued", "revoke-requested", "revoked"'),
        actor: z.string().describe('An API key ("api-key:<id>"), "system", or an officer ("officer:<subject>")'),
        actorName: z.string().nullable().describe("The officer's name or the key's label"),
        at: z.string(),
        detail: z
          .looseObject({
            reason: z.number().int().optional().describe("A status change: its reason code"),
            reasonName: revocationReason.optional().describe("The same reason by the name requests take"),
          })
          .describe("What the event records: a status change its reason (code and name)"),
      }),
    ),
    changeRequests: z.array(changeRequest).describe("Its requested status changes, newest first"),
  }),
  /** `GET /certificates`'s query. */
  CertificateQuery: z.object({
    q: z
      .string()
      .max(200)
      .optional()
      .describe(
        "A certificate or candidate number by its start (no space, a digit; letters, digits, - / .), else any part of a name; case-insensitive",
      ),
    status: certificateStatus.optional().describe("Only certificates with this status"),
    batch: z.string().max(40).optional().describe("Only the certificates of this upload (batch id)"),
    limit: z.coerce.number().int().min(1).max(500).default(50).describe("At most this many certificates"),
    offset: z.coerce.number().int().min(0).max(10_000_000).default(0).describe("Skip this many first"),
  }),
  /** `GET /session`: the signed-in officer of the session cookie (the officer console's sign-in, `/auth/login`). */
  Session: z.object({
    officer: z.object({
      name: z.string(),
      subject: z.string().describe("The provider's subject (sub) of the officer"),
      issuerId: z.string().describe("The officer's department"),
      roles: z.array(z.enum(["clerk", "approver", "auditor"])),
      email: z.string().nullable(),
    }),
    csrfToken: z.string().describe("Send it as X-CSRF-Token with every POST, PUT, PATCH and DELETE of this session"),
    expiresAt: z.string().describe("The session's absolute end (ISO 8601)"),
    idleTimeoutSeconds: z.number().int().describe("The session ends after this long without a request"),
  }),
  /** `GET /me`: the department an API key acts for. */
  Me: z.object({
    id: z.string(),
    name: localized,
    domain: z.string(),
    types: z.array(z.string()),
    actor: z
      .object({
        kind: z.enum(["officer", "api-key"]),
        name: z.string().describe("The officer's name, or the key's label"),
        roles: z.array(z.enum(["clerk", "approver", "auditor"])).optional(),
        scopes: z.array(z.enum(["issue", "read", "status"])).optional(),
      })
      .describe("Who is calling"),
  }),
  /** `POST /certificates/{id}/revoke`, `suspend`, `reinstate`: 202, the change is queued for the registry. */
  StatusChangeQueued: z.object({
    requestId: z.string().describe("The change request (GET /change-requests)"),
    state: z
      .enum(["awaiting-approval", "approved"])
      .describe("awaiting-approval: applied once another officer approves it"),
    operationId: z.string().nullable().describe("The queued operation, once approved"),
    certificateId: z.string().nullable(),
    kind: z.enum(["revoke", "suspend", "reinstate"]),
    status: z.string().describe('The operation\'s state, e.g. "pending"'),
  }),
  /** `POST /certificates/{id}/claim-code`: the certificate's new claim code, shown this once. */
  NewClaimCode: z.object({
    certificateId: z.string(),
    claimCode: z.string().describe("The new claim code (XXXX-XXXX-XXXX): shown only in this answer"),
    claimUrl: z.string().describe("The candidate's claim link: <verifier>/claim#<code>"),
    previousCodeRevoked: z.literal(true).describe("The old claim code no longer opens the certificate"),
    message: localized.describe("What to tell the officer, in both languages"),
  }),
  /** `GET /claim/{code}`: the certificate a claim code opens. */
  Claim: z.object({
    id: z.string(),
    type: z.string(),
    certificateNumber: z.string(),
    status: certificateStatus,
    reason: revocationReason
      .nullable()
      .describe("Why it was revoked or suspended, by name (null when it is neither, or a code with no name)"),
    reasonText: localized.nullable().describe("The same reason in words, in both languages"),
    issuer: z
      .object({ id: z.string(), name: localized })
      .describe("The department that issued it: whom the candidate contacts about a revocation or suspension"),
  }),
  /** `GET /certificates/{id}/email`: the candidate's e-mail of a certificate (issue 14: candidates are told). */
  Email: emailBody,
  /** `GET /outbox`'s query. */
  OutboxQuery: z.object({
    status: z.enum(["waiting", "sent", "failed", "cancelled"]).optional().describe("Only the e-mails in this status"),
    limit: z.coerce.number().int().min(1).max(500).default(50).describe("At most this many e-mails"),
    offset: z.coerce.number().int().min(0).max(1_000_000).default(0).describe("Skip this many first"),
  }),
  /** `GET /outbox`: the department's candidate e-mails, newest first. */
  EmailList: z.object({ emails: z.array(emailBody) }),
  /** A verifiable credential (`core/credential.ts`): its members the API relies on; the rest as issued. */
  Credential: z
    .looseObject({
      "@context": z.array(z.string()),
      type: z.array(z.string()),
      id: z.string(),
      issuer: z.string(),
      validFrom: z.string(),
      validUntil: z.string().optional(),
      credentialSchema: z.looseObject({ id: z.string(), type: z.string() }),
      credentialSubject: z.looseObject({}),
      proof: z.looseObject({}),
    })
    .describe("The W3C verifiable credential of a certificate, with its Merkle proof"),
  /** `POST /verify` with a verifier (QR) URL. */
  VerifyUrlRequest: z.strictObject({ url: z.string().min(1).describe("A verifier URL, as in the QR code") }),
  /** `POST /verify`: the core's result (`core/verify/types.ts`), the same as the CLI's and the page's. */
  VerificationResult: z.object({
    status: z.enum(VERIFICATION_STATUSES),
    reasons: z.array(z.enum(REASON_CODES)).describe("Empty when VALID; otherwise the reasons in check order"),
    checks: z.array(z.object({ id: z.enum(CHECK_IDS), status: z.enum(CHECK_STATUSES), message: localized })),
    certificate: z
      .object({
        id: z.string(),
        type: z.string(),
        fields: z.record(z.string(), z.unknown()),
        hidden: z.array(z.string()),
        validFrom: z.string(),
        validUntil: z.string().nullable(),
        successor: z.string().optional(),
      })
      .nullable()
      .describe("null when no credential could be read"),
    issuer: z.object({ id: z.string(), name: localized, domain: z.string() }).nullable(),
    anchor: z
      .object({
        chainId: z.number().int(),
        registry: z.string(),
        root: z.string(),
        txHash: z.string().nullable(),
        blockNumber: z.number().int(),
        anchoredAt: z.string(),
      })
      .nullable(),
  }),
  /** `GET /healthz` (`health-routes.ts`): the process is up. */
  Health: z.strictObject({ status: z.literal("ok") }),
  /** `GET /readyz` (`health-routes.ts`): 200 when every check passes, 503 otherwise, with the same body. */
  Readiness: z.strictObject({
    status: z.enum(["ready", "not ready"]),
    checks: z.array(
      z.strictObject({
        name: z.string().describe("database, chain, registry or signers"),
        ok: z.boolean(),
        error: z
          .string()
          .optional()
          .describe("Why it failed: the error's code, or the first line of the check's own message"),
      }),
    ),
  }),
  /** `GET /audit`'s query (`audit-routes.ts`). */
  AuditQuery: z.object({
    after: z.coerce
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe("Only entries after this seq (the previous page's next, oldest first)"),
    before: z.coerce
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe("Only entries before this seq (the previous page's next, newest first)"),
    order: z
      .enum(["oldest", "newest"])
      .default("oldest")
      .describe("oldest: seq ascending, page on with ?after=; newest: seq descending, page on with ?before="),
    action: z.string().min(1).max(64).optional().describe('Only entries of this action, e.g. "upload-released"'),
    actor: z.string().min(1).max(300).optional().describe('Only entries of this actor id, e.g. "officer:<sub>"'),
    certificate: z.string().min(1).max(100).optional().describe("Only entries about this certificate id"),
    upload: z.string().min(1).max(100).optional().describe("Only entries about this upload (batch) id"),
    from: auditInstant.optional().describe("Only entries at or after this instant (a date is midnight UTC)"),
    to: auditInstant.optional().describe("Only entries before this instant"),
    limit: z.coerce.number().int().min(1).max(1000).default(100).describe("At most this many entries"),
  }),
  /** `GET /audit.csv`'s query. */
  AuditCsvQuery: z.object({
    from: auditInstant.optional().describe("Only entries at or after this instant (a date is midnight UTC)"),
    to: auditInstant.optional().describe("Only entries before this instant"),
  }),
  /** One entry of a department's audit trail. */
  AuditEntry: auditEntry,
  /** `GET /audit`: a page of entries in seq order. */
  AuditPage: z.object({
    entries: z.array(auditEntry),
    next: z
      .number()
      .int()
      .nullable()
      .describe(
        "A full page: pass it as ?after= (oldest first) or ?before= (newest first) for the next page; null when this page is the last",
      ),
  }),
  /** `GET /audit/verify`: the department's hash chain recomputed (`server/audit/audit-trail.ts`). */
  AuditVerification: z.object({
    issuerId: z.string(),
    entries: z.number().int().describe("Entries read"),
    headSeq: z.number().int().describe("The seq of the last entry, as the trail's head names it"),
    ok: z.boolean().describe("No entry was changed, deleted or added outside the trail"),
    problems: z
      .array(
        z.object({
          seq: z.number().int().describe("The first entry concerned (of missing ones: the first missing)"),
          kind: z.enum(["changed", "missing", "broken-link", "not-in-head", "head-mismatch", "tail-missing"]),
          problem: localized,
        }),
      )
      .describe("In seq order, at most 100"),
  }),
  /** Every 4xx and 5xx answer (`errors.ts`). */
  Error: z.object({
    error: z.object({
      code: z.string().describe("A stable code, e.g. NOT_FOUND, INVALID_REQUEST, UNAVAILABLE"),
      message: z.string(),
      details: z.unknown().optional(),
      requestId: z.string().optional().describe("The request's id, as in the service's log"),
    }),
  }),
};

type SchemaName = keyof typeof schemas;

/** Request bodies: described as the handlers read them (defaults make members optional). */
const REQUEST_COMPONENTS = [
  "CertificateRequest",
  "BatchRequest",
  "StatusChangeRequest",
  "RevokeRequest",
  "RenewRequest",
  "VerifyUrlRequest",
  "DecisionRequest",
] as const satisfies SchemaName[];

/** Response bodies: described as the handlers write them (no member beyond those listed, unless loose). */
const RESPONSE_COMPONENTS = [
  "RowError",
  "Accepted",
  "Batch",
  "BatchList",
  "ChangeRequest",
  "ChangeRequestList",
  "CertificateSummary",
  "CertificateList",
  "Certificate",
  "Me",
  "Session",
  "StatusChangeQueued",
  "Claim",
  "NewClaimCode",
  "Email",
  "EmailList",
  "Credential",
  "VerificationResult",
  "AuditEntry",
  "AuditPage",
  "AuditVerification",
  "Health",
  "Readiness",
  "Error",
] as const satisfies SchemaName[];

/** JSON Schemas of `names`, a schema used inside another as a `$ref` to its component. */
function components(names: readonly SchemaName[], io: "input" | "output"): Record<string, object> {
  const registry = z.registry<{ id: string }>();
  for (const name of names) registry.add(schemas[name], { id: name });
  const generated = z.toJSONSchema(registry, {
    target: "draft-2020-12",
    io,
    unrepresentable: "any",
    uri: (id) => `#/components/schemas/${id}`,
  }).schemas;
  return Object.fromEntries(
    Object.entries(generated).map(([name, { $schema: _schema, $id: _id, ...schema }]) => [name, schema]),
  );
}

/** `GET /certificates`'s query parameters, from the schema the handler parses the query with. */
function queryParameters(schema: z.ZodObject): object[] {
  const json = z.toJSONSchema(schema, { target: "draft-2020-12", io: "output" }) as {
    properties: Record<string, { description?: string }>;
  };
  return Object.entries(json.properties).map(([name, { description, ...property }]) => ({
    name,
    in: "query",
    required: false,
    description,
    schema: property,
  }));
}

/** The OpenAPI 3.1 document, with request and response bodies generated from `schemas`. */
export function openApiDocument(): object {
  const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });
  const json = (description: string, schema: object, example?: unknown) => ({
    description,
    content: { "application/json": { schema, ...(example === undefined ? {} : { example }) } },
  });
  const error = (description: string) => json(description, ref("Error"));
  const pdf = {
    description: "The signed PDF (PAdES), as a download",
    content: { "application/pdf": { schema: { type: "string", contentMediaType: "application/pdf" } } },
  };
  // The rate limiter's refusal (express-rate-limit in app.ts), answered by the error handler: RATE_LIMITED.
  const tooMany = {
    ...error("Too many requests from this client (RATE_LIMITED): try again after the window of the RateLimit headers"),
    headers: {
      RateLimit: { description: "Limit, remaining and reset of this client's window", schema: { type: "string" } },
      "RateLimit-Policy": { description: "The limit and window", schema: { type: "string" } },
    },
  };
  const idempotencyKey = { $ref: "#/components/parameters/IdempotencyKey" };
  const idParam = {
    name: "id",
    in: "path",
    required: true,
    description: "The certificate id",
    schema: { type: "string" },
  };
  const codeParam = {
    name: "code",
    in: "path",
    required: true,
    description: "The candidate's claim code, e.g. ABCD-EFGH-JKLM (any case)",
    schema: { type: "string" },
  };
  // Every department route may refuse an actor without the permission it needs (FORBIDDEN), or a
  // session's state-changing request without its CSRF token.
  const department = <T extends { responses: Record<string, object> }>(operation: T) => ({
    tags: ["Department"],
    ...operation,
    responses: { ...operation.responses, ...("403" in operation.responses ? {} : { "403": forbidden }) },
  });
  const invalid = error("The request is not valid (the field is named in details.field)");
  // The audit trail: an officer with the auditor role, signed in (never an API key).
  const audit = (operation: object) => ({ tags: ["Audit"], security: [{ officerSession: [] }], ...operation });
  const notSignedIn = error("Not signed in, or the session ended");
  const notAuditor = error("Not an officer with the auditor role (an API key never is): FORBIDDEN");
  const unauthenticated = error("No API key, or one that is not valid");
  const notFound = error("No such certificate of the caller's department (another's is not revealed)");
  const tooLarge = error("The body is larger than the service takes");
  const unsupported = error("A body of a media type this route does not take");
  const rejectedOrReused = json("Nothing was accepted (see errors and fileError), or an Idempotency-Key reused", {
    anyOf: [ref("Accepted"), ref("Error")],
  });
  const accepted = json("Accepted: certificates are being issued", ref("Accepted"));
  // A row of examples/csb-cre.csv, keyed by its columns.
  const exampleFields = {
    candidate_number: "CRE2026000001",
    name_en: "CHAN Tai Man",
    name_zh: "陳大文",
    hkid_partial: "A123***(*)",
    sitting_date: "2026-09-12",
    uc_result: "L2",
    ue_result: "L1",
    at_result: "Pass",
  };
  const statusChange = (kind: "revoke" | "suspend" | "reinstate") => ({
    post: department({
      operationId: `${kind}Certificate`,
      summary: `${kind[0].toUpperCase()}${kind.slice(1)} an issued certificate`,
      description: "Queued (202) and applied on the registry by the service; GET /certificates/{id} follows it.",
      parameters: [idParam, idempotencyKey],
      requestBody: {
        content: {
          "application/json": {
            schema: ref(kind === "revoke" ? "RevokeRequest" : "StatusChangeRequest"),
            example: { reason: kind === "suspend" ? "under-investigation" : "issued-in-error" },
          },
        },
      },
      responses: {
        "202": json("Queued for the registry", ref("StatusChangeQueued")),
        "400": invalid,
        "401": unauthenticated,
        "404": notFound,
        "409": error("The certificate's status does not allow this change"),
        "413": tooLarge,
        "415": unsupported,
        "422": error("The Idempotency-Key was used with another request"),
      },
    }),
  });
  /** `?offset=&limit=` of a batch's zip and claim letters. */
  const documentRange = (max: number, what: string) => [
    {
      name: "offset",
      in: "query",
      required: false,
      description: `Skip this many of the batch's ${what} first (upload order)`,
      schema: { type: "integer", minimum: 0, default: 0 },
    },
    {
      name: "limit",
      in: "query",
      required: false,
      description: `At most this many certificates (at most ${max}; without it, the whole batch if it has at most ${max})`,
      schema: { type: "integer", minimum: 1, maximum: max },
    },
  ];
  const forbidden = error(
    "The caller's roles or scopes do not allow this (FORBIDDEN), or a session's CSRF token is missing",
  );
  /** An approver's decision on an upload or a change request (maker-checker). */
  const decide = (
    kind: "release" | "reject" | "approve",
    operationId: string,
    summary: string,
    answer: SchemaName,
  ) => ({
    post: department({
      operationId,
      summary,
      description:
        "By an officer with the approver role who did not make the request (never an API key). A rejection needs a reason.",
      parameters: [{ ...idParam, description: answer === "Batch" ? "The batch id" : "The change request id" }],
      requestBody: {
        content: {
          "application/json": {
            schema: ref("DecisionRequest"),
            example: kind === "reject" ? { reason: "Wrong sitting date in every row" } : {},
          },
        },
      },
      responses: {
        "200": json("Decided", ref(answer)),
        "400": invalid,
        "401": unauthenticated,
        "403": error("Not an approver, or the approver's own request (SELF_APPROVAL)"),
        "404": error("No such request of the caller's department"),
        "409": error("It is no longer awaiting approval (NOT_AWAITING_APPROVAL), or the certificate's status changed"),
        "413": tooLarge,
        "415": unsupported,
      },
    }),
  });
  const paths = {
    "/me": {
      get: department({
        operationId: "getMe",
        summary: "The department this API key acts for, and the certificate types it issues",
        responses: { "200": json("The department", ref("Me")), "401": unauthenticated },
      }),
    },
    "/session": {
      get: {
        tags: ["Department"],
        operationId: "getSession",
        summary: "The signed-in officer, the session's CSRF token and its time-outs",
        security: [{ officerSession: [] }],
        responses: { "200": json("The officer's session", ref("Session")), "401": notSignedIn },
      },
    },
    "/certificates": {
      post: department({
        operationId: "issueCertificate",
        summary: "Issue one certificate",
        parameters: [idempotencyKey],
        requestBody: {
          required: true,
          content: {
            "application/json": {
              schema: ref("CertificateRequest"),
              example: { type: "csb-cre", fields: exampleFields },
            },
          },
        },
        responses: {
          "202": accepted,
          "400": invalid,
          "401": unauthenticated,
          "403": error("The type is another department's"),
          "413": tooLarge,
          "415": unsupported,
          "422": rejectedOrReused,
        },
      }),
      get: department({
        operationId: "listCertificates",
        summary: "Find certificates of the caller's department",
        parameters: queryParameters(schemas.CertificateQuery),
        responses: {
          "200": json("The certificates that match, newest first", ref("CertificateList")),
          "400": invalid,
          "401": unauthenticated,
        },
      }),
    },
    "/batches": {
      post: department({
        operationId: "issueBatch",
        summary: "Issue many certificates: a CSV file (?type=...) or JSON rows",
        parameters: [
          {
            name: "type",
            in: "query",
            description: "The certificate type of a CSV upload",
            schema: { type: "string", minLength: 1, maxLength: 40 },
          },
          idempotencyKey,
        ],
        requestBody: {
          required: true,
          content: {
            "text/csv": { schema: { type: "string" } },
            "application/json": {
              schema: ref("BatchRequest"),
              example: { type: "csb-cre", rows: [exampleFields] },
            },
          },
        },
        responses: {
          "202": accepted,
          "400": invalid,
          "401": unauthenticated,
          "403": error("The type is another department's"),
          "413": tooLarge,
          "415": unsupported,
          "422": rejectedOrReused,
        },
      }),
      get: department({
        operationId: "listBatches",
        summary: "The caller's department's uploads, newest first, with their state and progress",
        parameters: queryParameters(schemas.BatchQuery),
        responses: {
          "200": json("The uploads", ref("BatchList")),
          "400": invalid,
          "401": unauthenticated,
          "403": forbidden,
        },
      }),
    },
    "/batches/{id}/release": decide(
      "release",
      "releaseBatch",
      "Release an upload awaiting approval: it is then batched and anchored",
      "Batch",
    ),
    "/batches/{id}/reject": decide(
      "reject",
      "rejectBatch",
      "Reject an upload awaiting approval: its certificates become failed",
      "Batch",
    ),
    "/change-requests": {
      get: department({
        operationId: "listChangeRequests",
        summary: "Requested status changes of the caller's department, newest first",
        parameters: queryParameters(schemas.ChangeRequestQuery),
        responses: {
          "200": json("The requests", ref("ChangeRequestList")),
          "400": invalid,
          "401": unauthenticated,
          "403": forbidden,
        },
      }),
    },
    "/change-requests/{id}/approve": decide(
      "approve",
      "approveChangeRequest",
      "Approve a requested status change: its operation is queued for the registry",
      "ChangeRequest",
    ),
    "/change-requests/{id}/reject": decide(
      "reject",
      "rejectChangeRequest",
      "Reject a requested status change",
      "ChangeRequest",
    ),
    "/batches/{id}": {
      get: department({
        operationId: "getBatch",
        summary: "Progress and per-row errors of a batch",
        parameters: [{ ...idParam, description: "The batch id (batchId of the upload's answer)" }],
        responses: {
          "200": json("The batch", ref("Batch")),
          "401": unauthenticated,
          "404": error("No such batch of the caller's department"),
        },
      }),
    },
    "/batches/{id}/pdfs.zip": {
      get: department({
        operationId: "getBatchPdfsZip",
        summary: "Every PDF of a batch in one zip, streamed",
        description:
          "The PDFs of the batch's issued, suspended, revoked and superseded certificates, in upload order, " +
          "named <row>-<certificate number>.pdf (only A-Z, a-z, 0-9, '.', '_' and '-'), stored uncompressed " +
          "(a PDF is compressed already). At most 10,000 certificates per zip: a larger batch is asked for in " +
          "parts with offset and limit. Recorded in the audit trail (pdfs-downloaded).",
        parameters: [
          { ...idParam, description: "The batch id (batchId of the upload's answer)" },
          ...documentRange(10_000, "certificates"),
        ],
        responses: {
          "200": {
            description: "The zip, as a download (written as it is read: no Content-Length)",
            content: { "application/zip": { schema: { type: "string", contentMediaType: "application/zip" } } },
          },
          "400": invalid,
          "401": unauthenticated,
          "403": forbidden,
          "404": error("No such batch of the caller's department"),
          "413": error(
            "More than 10,000 certificates: ask in parts with offset and limit (the message says how, in both languages)",
          ),
        },
      }),
    },
    "/batches/{id}/claim-letters": {
      post: department({
        operationId: "printClaimLetters",
        summary: "Claim letters of a batch: one PDF, a page per issued certificate, each with a NEW claim code",
        description:
          "Each issued certificate of the batch (in upload order, from offset, at most limit) gets a new claim " +
          "code: THE OLD CODES STOP WORKING (an e-mail still waiting with one is cancelled). The whole PDF is made " +
          "first and the new codes are stored only then, so a failed render changes nothing. Needs the status and " +
          "read permissions (a clerk; a key with both scopes). Each A4 page, " +
          "in Traditional Chinese and English: the department, the candidate's name, the certificate's type and " +
          "number, the claim code, the claim link (<verifier>/claim#<code>) and its QR code, and what to do. At " +
          "most 5,000 letters per request. Recorded in the audit trail (claim-letters-printed).",
        parameters: [
          { ...idParam, description: "The batch id (batchId of the upload's answer)" },
          ...documentRange(5_000, "issued certificates"),
        ],
        responses: {
          "200": {
            description: "The letters, as a download",
            headers: {
              "X-Claim-Codes-Replaced": {
                description: "How many certificates got a new claim code (their old codes no longer work)",
                schema: { type: "integer" },
              },
            },
            content: { "application/pdf": { schema: { type: "string", contentMediaType: "application/pdf" } } },
          },
          "400": invalid,
          "401": unauthenticated,
          "403": forbidden,
          "404": error("No such batch of the caller's department"),
          "409": error("No issued certificate in the batch (or from offset on)"),
          "413": error(
            "More than 5,000 issued certificates: ask in parts with offset and limit (the message says how, in both languages)",
          ),
        },
      }),
    },
    "/certificates/{id}/claim-code": {
      post: department({
        operationId: "replaceClaimCode",
        summary: "A new claim code for a candidate who lost theirs (the old one stops working)",
        description:
          "For an issued or suspended certificate; needs the status and read permissions. The new code is in this answer only (only its hash is " +
          "stored); the old code no longer opens the certificate, and an e-mail still waiting with it is " +
          "cancelled. Recorded in the audit trail (claim-code-replaced, without the code).",
        parameters: [idParam],
        responses: {
          "200": json("The new claim code and claim link", ref("NewClaimCode")),
          "401": unauthenticated,
          "403": forbidden,
          "404": notFound,
          "409": error("The certificate is not issued or suspended"),
        },
      }),
    },
    "/certificates/{id}": {
      get: department({
        operationId: "getCertificate",
        summary: "A certificate's status and history",
        parameters: [idParam],
        responses: {
          "200": json("The certificate", ref("Certificate")),
          "401": unauthenticated,
          "404": notFound,
        },
      }),
    },
    "/certificates/{id}/pdf": {
      get: department({
        operationId: "getCertificatePdf",
        summary: "The signed PDF",
        parameters: [idParam],
        responses: {
          "200": pdf,
          "401": unauthenticated,
          "404": notFound,
          "409": error("Not issued yet"),
        },
      }),
    },
    "/certificates/{id}/credential": {
      get: department({
        operationId: "getCertificateCredential",
        summary: "The verifiable credential (JSON)",
        parameters: [idParam],
        responses: {
          "200": json("The credential", ref("Credential")),
          "401": unauthenticated,
          "404": notFound,
          "409": error("Not issued yet"),
        },
      }),
    },
    "/certificates/{id}/revoke": statusChange("revoke"),
    "/certificates/{id}/suspend": statusChange("suspend"),
    "/certificates/{id}/reinstate": statusChange("reinstate"),
    "/certificates/{id}/renew": {
      post: department({
        operationId: "renewCertificate",
        summary: "Issue a renewal that supersedes this certificate",
        parameters: [idParam, idempotencyKey],
        requestBody: {
          required: true,
          content: { "application/json": { schema: ref("RenewRequest"), example: { fields: exampleFields } } },
        },
        responses: {
          "202": accepted,
          "400": invalid,
          "401": unauthenticated,
          "404": notFound,
          "409": error("The certificate's status does not allow a renewal"),
          "413": tooLarge,
          "415": unsupported,
          "422": rejectedOrReused,
        },
      }),
    },
    "/audit": {
      get: audit({
        operationId: "listAudit",
        summary: "A page of the department's audit trail, in seq order",
        description: "Reading the trail is recorded in it (audit-read).",
        parameters: queryParameters(schemas.AuditQuery),
        responses: {
          "200": json("The entries that match, oldest first", ref("AuditPage")),
          "400": invalid,
          "401": notSignedIn,
          "403": notAuditor,
        },
      }),
    },
    "/audit.csv": {
      get: audit({
        operationId: "exportAuditCsv",
        summary: "The department's audit trail as CSV (streamed)",
        description:
          "UTF-8 with a byte-order mark, CRLF line ends, every cell quoted; a cell that begins with = + - @, a tab or a carriage return is prefixed with a single quote. Columns: seq, at, actor_id, actor_name, action, source, certificate_id, upload_id, batch_id, detail (JSON), prev_hash, hash. The export is recorded in the trail (audit-exported).",
        parameters: queryParameters(schemas.AuditCsvQuery),
        responses: {
          "200": {
            description: "The entries as CSV, as a download",
            content: { "text/csv": { schema: { type: "string" } } },
          },
          "400": invalid,
          "401": notSignedIn,
          "403": notAuditor,
        },
      }),
    },
    "/audit/verify": {
      get: audit({
        operationId: "verifyAudit",
        summary: "The department's audit trail checked: every hash recomputed, no entry changed, deleted or added",
        description: "The check is recorded in the trail (audit-verified).",
        responses: {
          "200": json("The result (ok, or the problems by seq)", ref("AuditVerification")),
          "401": notSignedIn,
          "403": notAuditor,
        },
      }),
    },
    "/certificates/{id}/email": {
      get: department({
        operationId: "getCertificateEmail",
        summary: "The candidate's e-mail of a certificate: sent, waiting, retried or failed",
        description:
          "For certificates whose row carried an e-mail address. Failed attempts are retried after 1 minute, 2, 4 ... at most an hour, and given up after 8.",
        parameters: [idParam],
        responses: {
          "200": json("The e-mail's state (the address masked)", ref("Email")),
          "401": unauthenticated,
          "403": error("The caller may not read the department's certificates"),
          "404": error("No such certificate of the caller's department, or its row had no e-mail address"),
        },
      }),
    },
    "/outbox": {
      get: department({
        operationId: "listEmails",
        summary: "The department's candidate e-mails, newest first (e.g. ?status=failed)",
        parameters: queryParameters(schemas.OutboxQuery),
        responses: {
          "200": json("The e-mails (the addresses masked)", ref("EmailList")),
          "400": invalid,
          "401": unauthenticated,
          "403": error("The caller may not read the department's certificates"),
        },
      }),
    },
    "/claim/{code}": {
      get: {
        tags: ["Candidate"],
        operationId: "getClaim",
        summary: "The certificate a claim code opens",
        security: [],
        parameters: [codeParam],
        responses: {
          "200": json("The certificate", ref("Claim")),
          "404": error("No certificate has this claim code"),
          "429": tooMany,
        },
      },
    },
    "/claim/{code}/pdf": {
      get: {
        tags: ["Candidate"],
        operationId: "getClaimPdf",
        summary: "The candidate's download of the PDF",
        security: [],
        parameters: [codeParam],
        responses: {
          "200": pdf,
          "404": error("No certificate has this claim code"),
          "409": error("Not issued yet"),
          "429": tooMany,
        },
      },
    },
    "/claim/{code}/credential": {
      get: {
        tags: ["Candidate"],
        operationId: "getClaimCredential",
        summary: "The candidate's download of the credential",
        security: [],
        parameters: [codeParam],
        responses: {
          "200": json("The credential", ref("Credential")),
          "404": error("No certificate has this claim code"),
          "409": error("Not issued yet"),
          "429": tooMany,
        },
      },
    },
    "/verify": {
      post: {
        tags: ["Verification"],
        operationId: "verify",
        summary: "Verify a PDF, a credential or a verifier (QR) URL",
        description: "Public. The same result JSON as the core, `certs verify --json` and the verifier page.",
        security: [],
        requestBody: {
          required: true,
          content: {
            "application/pdf": { schema: { type: "string", contentMediaType: "application/pdf" } },
            "application/json": {
              schema: { anyOf: [ref("VerifyUrlRequest"), ref("Credential")] },
              example: { url: "https://verify.example.gov.hk/#v1:..." },
            },
          },
        },
        responses: {
          "200": json("The verification result (VALID, INVALID or UNABLE_TO_CHECK)", ref("VerificationResult")),
          "400": error("Neither a PDF nor a JSON object"),
          "413": tooLarge,
          "429": tooMany,
        },
      },
    },
  };
  // Every operation may fail inside (500) or meet a busy or unreachable database or chain (503).
  const unavailable = {
    description: "The database (or the chain) is busy or cannot be reached: try again after Retry-After seconds",
    headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
    content: { "application/json": { schema: ref("Error") } },
  };
  for (const operations of Object.values(paths) as Record<string, { responses: Record<string, unknown> }>[]) {
    for (const operation of Object.values(operations)) {
      operation.responses["500"] = error("Internal error (logged by the service)");
      operation.responses["503"] = unavailable;
    }
  }
  // Probes and metrics (`health-routes.ts`): at the service's root, not under /api/v1; public, not rate-limited.
  const root = [{ url: "/", description: "The service's root, for load balancers, orchestrators and Prometheus" }];
  const readiness = (description: string) => json(description, ref("Readiness"));
  // The one refusal a probe can meet: Node's HTTP server answers it before any route (no body).
  const headersTooLarge = { description: "The request's headers are larger than the server takes (no body)" };
  const operations = {
    "/healthz": {
      servers: root,
      get: {
        tags: ["Operations"],
        operationId: "getHealth",
        summary: "Whether the process is up (nothing else is checked)",
        security: [],
        responses: { "200": json("The process is up", ref("Health"), { status: "ok" }), "431": headersTooLarge },
      },
    },
    "/readyz": {
      servers: root,
      get: {
        tags: ["Operations"],
        operationId: "getReadiness",
        summary: "Whether the service can work: database, chain, registry and signers' gas funds",
        description:
          "Each check is bounded in time; one run of the checks at a time is shared by every probe that comes meanwhile.",
        security: [],
        responses: {
          "200": readiness("Every check passed"),
          "503": {
            ...readiness("A check failed: each check says why"),
            headers: { "Retry-After": { description: "Seconds to wait", schema: { type: "integer" } } },
          },
          "431": headersTooLarge,
        },
      },
    },
    "/metrics": {
      servers: root,
      get: {
        tags: ["Operations"],
        operationId: "getMetrics",
        summary: "Prometheus metrics (certificates by state, batches, anchoring, verification, errors)",
        security: [],
        responses: {
          "200": {
            description: "The Prometheus text exposition format",
            content: { "text/plain": { schema: { type: "string" } } },
          },
          "431": headersTooLarge,
        },
      },
    },
  };
  return {
    openapi: "3.1.0",
    info: {
      title: "HK e-Cert issuer API",
      version: "1.0.0",
      description:
        "Issue, follow, revoke and verify HK e-Cert certificates. Department routes take " +
        "`Authorization: Bearer <api key>` (systems) or an officer's session cookie (the officer console, with " +
        "`X-CSRF-Token` on every POST); the candidate and verification routes are public. This document: " +
        "`GET /api/v1/openapi.json`.",
      license: { name: "UNLICENSED", identifier: "LicenseRef-UNLICENSED" },
    },
    servers: [{ url: "/api/v1" }],
    security: [{ apiKey: [] }, { officerSession: [] }],
    tags: [
      {
        name: "Department",
        description: "A department's issuance and status changes (an API key, or a signed-in officer's session)",
      },
      { name: "Candidate", description: "A candidate's certificate by claim code (public, rate-limited)" },
      { name: "Verification", description: "Verification by anyone (public, rate-limited)" },
      { name: "Audit", description: "A department's audit trail (an officer with the auditor role)" },
      { name: "Operations", description: "Health, readiness and metrics, at the service's root (public)" },
    ],
    components: {
      securitySchemes: {
        apiKey: { type: "http", scheme: "bearer", description: "A department's API key" },
        officerSession: {
          type: "apiKey",
          in: "cookie",
          name: "ecert_session",
          description: "A signed-in officer's session (the officer console's sign-in)",
        },
      },
      parameters: {
        IdempotencyKey: {
          name: "Idempotency-Key",
          in: "header",
          description: "A retry with the same key gets the first answer again (another request: 422)",
          schema: { type: "string", maxLength: 200 },
        },
      },
      schemas: { ...components(REQUEST_COMPONENTS, "input"), ...components(RESPONSE_COMPONENTS, "output") },
    },
    paths: { ...paths, ...operations },
  };
}
