/**
 * The audit trail (issue 14): every department action, appended per department to a hash chain. An
 * entry's hash is SHA-256 over its predecessor's hash and the entry's fields in a fixed order (RFC 8785
 * canonical JSON), so changing, inserting or deleting an entry breaks every hash after it, and the
 * department's head (`audit_heads`) names the last one: `certs audit verify` recomputes the chain.
 */
import { createHash } from "node:crypto";
import canonicalize from "canonicalize";
import { actorId, actorName, type Actor } from "../auth/actor.ts";
import type { AuditRow, NewAuditEntry, Store } from "../db/store.ts";

/** Who an entry names: an actor of a request, or a named operator of a command ("cli:<user>"). */
export type AuditActor = Actor | { id: string; name: string };

export interface AuditInput {
  issuerId: string;
  actor: AuditActor;
  action: string;
  /** The client's address, or "cli". */
  source?: string | null;
  certificateId?: string | null;
  uploadId?: string | null;
  batchId?: string | null;
  detail?: Record<string, unknown>;
  at?: string;
}

/** The hash of entry `seq` of a department, after `prevHash`. */
export function auditHash(entry: NewAuditEntry, seq: number, prevHash: string): string {
  const fields = {
    v: 1,
    issuerId: entry.issuerId,
    seq,
    at: entry.at,
    actorId: entry.actorId,
    actorName: entry.actorName,
    action: entry.action,
    source: entry.source,
    certificateId: entry.certificateId,
    uploadId: entry.uploadId,
    batchId: entry.batchId,
    detail: JSON.parse(entry.detailJson) as unknown,
    prevHash,
  };
  return createHash("sha256")
    .update(String(canonicalize(fields)))
    .digest("hex");
}

/**
 * Appends an entry to its department's trail, in `store`'s transaction when it is one (so the entry
 * and the action it records are committed together).
 */
export async function recordAudit(store: Store, input: AuditInput): Promise<AuditRow> {
  const a = input.actor;
  const entry: NewAuditEntry = {
    issuerId: input.issuerId,
    at: input.at ?? new Date().toISOString(),
    actorId: "kind" in a ? actorId(a) : a.id,
    actorName: "kind" in a ? actorName(a) : a.name,
    action: input.action,
    source: input.source ?? null,
    certificateId: input.certificateId ?? null,
    uploadId: input.uploadId ?? null,
    batchId: input.batchId ?? null,
    detailJson: JSON.stringify(input.detail ?? {}),
  };
  return store.appendAudit(entry, (seq, prevHash) => auditHash(entry, seq, prevHash));
}
