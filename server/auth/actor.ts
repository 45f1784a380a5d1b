/**
 * Who acts on a department's certificates (issue 14): a named officer signed in through the department's
 * OpenID Connect provider, with roles, or a system holding a scoped API key. Every department route
 * names the permission it needs; {@link can} decides from the actor's roles or the key's scopes. An
 * actor acts only for its own department (`issuerId`).
 */

/** An officer's roles in their department. A person may hold several. */
export const ROLES = ["clerk", "approver", "auditor"] as const;
export type Role = (typeof ROLES)[number];

/** What an API key may do (a key never approves: approvals are people's). */
export const KEY_SCOPES = ["issue", "read", "status"] as const;
export type KeyScope = (typeof KEY_SCOPES)[number];

/**
 * What a department route needs:
 * - `read`: read certificates, uploads, batches, PDFs (any officer role; a key with `read`);
 * - `issue`: upload certificates, request a renewal (clerk; a key with `issue`);
 * - `status`: request a revocation, suspension or reinstatement, or a new claim code (clerk; a key with `status`);
 * - `approve`: release or reject an upload, approve or reject a status change (approver; never a key);
 * - `audit`: read and export the audit trail (auditor; never a key).
 */
export type Permission = "read" | "issue" | "status" | "approve" | "audit";

export interface OfficerActor {
  kind: "officer";
  issuerId: string;
  /** The provider's `sub`: stable, unique per officer. */
  subject: string;
  /** The name shown in histories and the audit trail. */
  name: string;
  email: string | null;
  roles: Role[];
  /** SHA-256 (hex) of the session cookie this request came with. */
  sessionHash: string;
}

export interface ApiKeyActor {
  kind: "api-key";
  issuerId: string;
  keyId: string;
  label: string;
  scopes: KeyScope[];
}

export type Actor = OfficerActor | ApiKeyActor;

/** The actor's stable id, as stored in events, approvals and the audit trail. */
export function actorId(actor: Actor): string {
  return actor.kind === "officer" ? `officer:${actor.subject}` : `api-key:${actor.keyId}`;
}

/** The actor as a person reads it: the officer's name, or the key's label. */
export function actorName(actor: Actor): string {
  return actor.kind === "officer" ? actor.name : `API key "${actor.label}"`;
}

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  clerk: ["read", "issue", "status"],
  approver: ["read", "approve"],
  auditor: ["read", "audit"],
};

/** Whether `actor` may do what `permission` names (for its own department). */
export function can(actor: Actor, permission: Permission): boolean {
  if (actor.kind === "api-key") return (actor.scopes as readonly string[]).includes(permission);
  return actor.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}

/** The roles that grant `permission` (for the error that says who may). */
export function rolesFor(permission: Permission): Role[] {
  return ROLES.filter((role) => ROLE_PERMISSIONS[role].includes(permission));
}
