/**
 * The department routes of the issuer API as the officer page calls them: with the officer's session
 * cookie (httpOnly, sent by the browser; every state-changing request with the session's CSRF token in
 * `X-CSRF-Token`), or a system's API key ({@link session}). The request and answer types are the
 * server's own (type-only imports: nothing of the server is bundled): its zod `schemas`
 * (`server/api/openapi.ts`, re-exported by `server/api/app.ts`), which its OpenAPI document is
 * generated from.
 */
import type { z } from "zod";
import type { schemas } from "../../../server/api/app.ts";
import type { Credential } from "../../../core/credential.ts";
import type { DepartmentReason } from "../../../core/revocationReasons.ts";
import { ApiError } from "../portal.ts";
import { session } from "./state.ts";
import type { Role } from "./state.ts";

/** A refused row (or the file, `row` null) of an upload or a renewal. */
export type RowError = z.infer<typeof schemas.RowError>;

/** `POST /batches`, `POST /certificates/{id}/renew`: 202 with what was accepted, or 422 with nothing accepted. */
export type Accepted = z.infer<typeof schemas.Accepted>;

/** `GET /me`: the key's department and the certificate types it issues. */
export type Me = z.infer<typeof schemas.Me>;

/** `GET /batches/{id}`: an upload's progress, per-row errors and set-aside batches. */
export type BatchProgress = z.infer<typeof schemas.Batch>;

/** One upload of `GET /batches`. */
export type BatchSummary = z.infer<typeof schemas.BatchList>["batches"][number];

/** A requested status change (maker-checker). */
export type ChangeRequest = z.infer<typeof schemas.ChangeRequest>;

/** `GET /certificates`: one certificate (its `search` holds the claims the search reads). */
export type CertificateSummary = z.infer<typeof schemas.CertificateSummary>;

/** `GET /certificates/{id}`: the summary and the certificate's history, oldest first. */
export type CertificateDetail = z.infer<typeof schemas.Certificate>;

/** `GET /audit`: a page of the department's audit trail. */
export type AuditPage = z.infer<typeof schemas.AuditPage>;

/** `GET /audit/verify`. */
export type AuditVerification = z.infer<typeof schemas.AuditVerification>;

/** `GET /certificates/{id}/email`: the candidate's e-mail. */
export type EmailStatus = {
  status: "waiting" | "sent" | "failed" | "cancelled";
  attempts: number;
  lastError: string | null;
  toAddress: string;
};

/** `GET /session`: the signed-in officer. */
export type OfficerSession = {
  officer: { name: string; subject: string; issuerId: string; roles: Role[]; email: string | null };
  csrfToken: string;
  expiresAt: string;
  idleTimeoutSeconds: number;
};

/** A status change an officer can ask for. */
export type StatusChange = "revoke" | "suspend" | "reinstate";

/** Called when the server says the officer's session has ended (401 SESSION_EXPIRED, or no session). */
let onExpired: () => void = () => {};

/** Sets what happens when the session expires (the sign-in card is shown again). */
export function whenExpired(hook: () => void): void {
  onExpired = hook;
}

function url(route: string): URL {
  return new URL(`api/v1${route}`, new URL("/", location.href));
}

/** The request with the key (a system) or the CSRF token (an officer, state-changing requests). */
function authorised(init: RequestInit = {}, key = session.key): RequestInit {
  const headers: Record<string, string> = { ...(init.headers as Record<string, string> | undefined) };
  if (key) headers.authorization = `Bearer ${key}`;
  else if (init.method && init.method !== "GET" && session.csrfToken) headers["x-csrf-token"] = session.csrfToken;
  return {
    ...init,
    headers,
    credentials: key ? "omit" : "same-origin",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  };
}

/** An answer that is not 2xx as an {@link ApiError}, its bilingual message (if any) kept in the body. */
async function failure(response: Response): Promise<ApiError> {
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    body = undefined;
  }
  const error = (body as { error?: { code?: string; message?: string } } | undefined)?.error;
  const code = error?.code ?? `HTTP_${response.status}`;
  // SESSION_EXPIRED, or no session any more (its cookie gone): the officer must sign in again.
  if (response.status === 401 && session.officer) onExpired();
  return new ApiError(response.status, code, error?.message ?? `HTTP ${response.status}`, body);
}

async function call<T>(route: string, init: RequestInit = {}, key?: string): Promise<T> {
  const response = await fetch(url(route), authorised(init, key ?? session.key));
  if (!response.ok) throw await failure(response);
  if (response.status === 204) return undefined as T;
  return (await response.json()) as T;
}

function postJson(body: unknown = {}): RequestInit {
  return { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) };
}

/** An upload's answer: a 422 (nothing accepted) still lists the rows' errors (or the file's), so it is an answer too. */
async function accepted(request: Promise<Accepted>): Promise<Accepted> {
  try {
    return await request;
  } catch (error) {
    const body = error instanceof ApiError && error.status === 422 ? (error.body as Accepted | undefined) : undefined;
    if (!body || !Array.isArray(body.errors)) throw error;
    return body;
  }
}

/** `GET /session`: the officer signed in with this browser's cookie; rejects with a 401 when none is. */
export function officerSession(): Promise<OfficerSession> {
  return call<OfficerSession>(`/session`, {}, "");
}

/** `POST /auth/logout` (with the CSRF token): ends the session and clears its cookie. */
export async function logout(): Promise<void> {
  await fetch(new URL("/auth/logout", location.href), authorised({ method: "POST" }, ""));
}

/** `GET /me` with `key` (a system's, not yet the session's) or the officer's cookie. */
export function me(key?: string): Promise<Me> {
  return call<Me>(`/me`, {}, key ?? "");
}

/** `POST /batches?type=` with a CSV file. */
export function uploadCsv(type: string, file: File): Promise<Accepted> {
  return accepted(
    call<Accepted>(`/batches?type=${encodeURIComponent(type)}`, {
      method: "POST",
      headers: { "content-type": "text/csv" },
      body: file,
    }),
  );
}

export function batchProgress(batchId: string): Promise<BatchProgress> {
  return call<BatchProgress>(`/batches/${encodeURIComponent(batchId)}`);
}

/** `GET /batches?state=`: the department's uploads, newest first. */
export async function listBatches(state?: string): Promise<BatchSummary[]> {
  const { batches } = await call<z.infer<typeof schemas.BatchList>>(
    `/batches?${new URLSearchParams(state ? { state, limit: "50" } : { limit: "50" })}`,
  );
  return batches;
}

/** `POST /batches/{id}/release|reject` (a rejection with its reason). */
export async function decideBatch(id: string, decision: "release" | "reject", reason?: string): Promise<void> {
  await call(`/batches/${encodeURIComponent(id)}/${decision}`, postJson(reason ? { reason } : {}));
}

/** `GET /change-requests?state=&certificate=`. */
export async function listChangeRequests(query: { state?: string; certificate?: string }): Promise<ChangeRequest[]> {
  const params = new URLSearchParams();
  if (query.state) params.set("state", query.state);
  if (query.certificate) params.set("certificate", query.certificate);
  const { requests } = await call<z.infer<typeof schemas.ChangeRequestList>>(`/change-requests?${params}`);
  return requests;
}

/** `POST /change-requests/{id}/approve|reject`. */
export async function decideRequest(id: string, decision: "approve" | "reject", reason?: string): Promise<void> {
  await call(`/change-requests/${encodeURIComponent(id)}/${decision}`, postJson(reason ? { reason } : {}));
}

/** `GET /certificates?q=&batch=` (every certificate of the department without either). */
export async function searchCertificates(q: string, batch?: string): Promise<CertificateSummary[]> {
  const params = new URLSearchParams();
  if (q) params.set("q", q);
  if (batch) params.set("batch", batch);
  const { certificates } = await call<z.infer<typeof schemas.CertificateList>>(`/certificates?${params}`);
  return certificates;
}

/** `GET /certificates?batch=&limit=&offset=`: a page of an upload's certificates, in upload order. */
export async function batchCertificates(batch: string, limit: number, offset = 0): Promise<CertificateSummary[]> {
  const params = new URLSearchParams({ batch, limit: String(limit), offset: String(offset) });
  const { certificates } = await call<z.infer<typeof schemas.CertificateList>>(`/certificates?${params}`);
  return certificates;
}

export function certificate(id: string): Promise<CertificateDetail> {
  return call<CertificateDetail>(`/certificates/${encodeURIComponent(id)}`);
}

/** The certificate's credential (all claims disclosed): the renewal form's first values. */
export function credential(id: string): Promise<Credential> {
  return call<Credential>(`/certificates/${encodeURIComponent(id)}/credential`);
}

/** `GET /certificates/{id}/email`: undefined when the certificate has none (404). */
export async function emailStatus(id: string): Promise<EmailStatus | undefined> {
  try {
    return await call<EmailStatus>(`/certificates/${encodeURIComponent(id)}/email`);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** `POST /certificates/{id}/revoke|suspend|reinstate`: a request (202) another officer approves. */
export function changeStatus(
  id: string,
  kind: StatusChange,
  reason: DepartmentReason,
  note?: string,
): Promise<z.infer<typeof schemas.StatusChangeQueued>> {
  const body: z.input<typeof schemas.StatusChangeRequest> = note ? { reason, note } : { reason };
  return call(`/certificates/${encodeURIComponent(id)}/${kind}`, postJson(body));
}

/** `POST /certificates/{id}/claim-code`: a new claim code (the old one stops working). */
export function newClaimCode(id: string): Promise<z.infer<typeof schemas.NewClaimCode>> {
  return call(`/certificates/${encodeURIComponent(id)}/claim-code`, postJson());
}

/** `POST /batches/{id}/claim-letters`: one PDF, a page per candidate, each with a NEW claim code. */
export async function claimLetters(id: string): Promise<Blob> {
  const response = await fetch(url(`/batches/${encodeURIComponent(id)}/claim-letters`), authorised({ method: "POST" }));
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** `GET /audit?action=&after=`: a page of the department's trail (oldest first). */
/** The newest `limit` entries of the department's audit trail (optionally of one action). */
export function auditPage(action?: string, limit = 200): Promise<AuditPage> {
  const params = new URLSearchParams({ limit: String(limit), order: "newest" });
  if (action) params.set("action", action);
  return call<AuditPage>(`/audit?${params}`);
}

export function auditVerify(): Promise<AuditVerification> {
  return call<AuditVerification>(`/audit/verify`);
}

/** `POST /certificates/{id}/renew` with the fields keyed by CSV column. */
export function renew(id: string, fields: Record<string, string | string[]>): Promise<Accepted> {
  const body: z.input<typeof schemas.RenewRequest> = { fields };
  return accepted(call<Accepted>(`/certificates/${encodeURIComponent(id)}/renew`, postJson(body)));
}
