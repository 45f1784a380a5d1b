/**
 * The department routes of the issuer API as the officer page calls them, each with the key of the
 * signed-in officer ({@link session}). The request and answer types are the server's own (type-only
 * imports: nothing of the server is bundled): its zod `schemas` (`server/api/openapi.ts`, re-exported by
 * `server/api/app.ts`), which its OpenAPI document is generated from; `GET /me`'s is the service's
 * (`server/issuance/issuance-service.ts`).
 */
import type { z } from "zod";
import type { schemas } from "../../../server/api/app.ts";
import type { IssuanceService } from "../../../server/issuance/issuance-service.ts";
import type { Credential } from "../../../core/credential.ts";
import type { DepartmentReason } from "../../../core/revocationReasons.ts";
import { ApiError, callApi } from "../portal.ts";
import { session } from "./state.ts";

/** A refused row (or the file, `row` null) of an upload or a renewal. */
export type RowError = z.infer<typeof schemas.RowError>;

/** `POST /batches`, `POST /certificates/{id}/renew`: 202 with what was accepted, or 422 with nothing accepted. */
export type Accepted = z.infer<typeof schemas.Accepted>;

/** `GET /me`: the key's department and the certificate types it issues. */
export type Me = ReturnType<IssuanceService["issuer"]>;

/** `GET /batches/{id}`: an upload's progress, per-row errors and set-aside batches. */
export type BatchProgress = z.infer<typeof schemas.Batch>;

/** `GET /certificates`: one certificate (its `search` holds the claims the search reads). */
export type CertificateSummary = z.infer<typeof schemas.CertificateSummary>;

/** `GET /certificates/{id}`: the summary and the certificate's history, oldest first. */
export type CertificateDetail = z.infer<typeof schemas.Certificate>;

/** A status change an officer can ask for. */
export type StatusChange = "revoke" | "suspend" | "reinstate";

function authorised(init: RequestInit = {}): RequestInit {
  return {
    ...init,
    headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${session.key}` },
  };
}

function postJson(body: unknown): RequestInit {
  return authorised({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
}

/** An upload's answer: a 422 (nothing accepted) still lists the rows' errors (or the file's), so it is an answer too. */
async function accepted(call: Promise<Accepted>): Promise<Accepted> {
  try {
    return await call;
  } catch (error) {
    const body = error instanceof ApiError && error.status === 422 ? (error.body as Accepted | undefined) : undefined;
    if (!body || !Array.isArray(body.errors)) throw error;
    return body;
  }
}

/** `GET /me` with `key` (not yet the session's): rejects with a 401 {@link ApiError} for a wrong key. */
export function me(key: string): Promise<Me> {
  return callApi<Me>(`/me`, { headers: { authorization: `Bearer ${key}` } });
}

/** `POST /batches?type=` with a CSV file. */
export function uploadCsv(type: string, file: File): Promise<Accepted> {
  return accepted(
    callApi<Accepted>(
      `/batches?type=${encodeURIComponent(type)}`,
      authorised({ method: "POST", headers: { "content-type": "text/csv" }, body: file }),
    ),
  );
}

export function batchProgress(batchId: string): Promise<BatchProgress> {
  return callApi<BatchProgress>(`/batches/${encodeURIComponent(batchId)}`, authorised());
}

/** `GET /certificates?q=` (every certificate of the department without `q`). */
export async function searchCertificates(q: string): Promise<CertificateSummary[]> {
  const { certificates } = await callApi<z.infer<typeof schemas.CertificateList>>(
    `/certificates?${new URLSearchParams(q ? { q } : {})}`,
    authorised(),
  );
  return certificates;
}

export function certificate(id: string): Promise<CertificateDetail> {
  return callApi<CertificateDetail>(`/certificates/${encodeURIComponent(id)}`, authorised());
}

/** The certificate's credential (all claims disclosed): the renewal form's first values. */
export function credential(id: string): Promise<Credential> {
  return callApi<Credential>(`/certificates/${encodeURIComponent(id)}/credential`, authorised());
}

/** `POST /certificates/{id}/revoke|suspend|reinstate`: queued (202); the chain has it a little later. */
export async function changeStatus(id: string, kind: StatusChange, reason: DepartmentReason): Promise<void> {
  const body: z.input<typeof schemas.StatusChangeRequest> = { reason };
  await callApi(`/certificates/${encodeURIComponent(id)}/${kind}`, postJson(body));
}

/** `POST /certificates/{id}/renew` with the fields keyed by CSV column. */
export function renew(id: string, fields: Record<string, string | string[]>): Promise<Accepted> {
  const body: z.input<typeof schemas.RenewRequest> = { fields };
  return accepted(callApi<Accepted>(`/certificates/${encodeURIComponent(id)}/renew`, postJson(body)));
}
