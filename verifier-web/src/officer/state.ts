/**
 * What the officer page's features share: the page language, the signed-in session, and the
 * certificate shown (the detail view and the renewal form both work on it). Each feature keeps the rest
 * of its state to itself.
 */
import type { CertificateDetail, CertificateSummary } from "./api.ts";
import { Portal } from "../portal.ts";

/** How often a batch or a status change is polled, in milliseconds. */
export const POLL_MS = 500;

const drawers: (() => void)[] = [];

/** The page language; after a switch, every feature's view is drawn again ({@link redrawOnSwitch}). */
export const portal = new Portal(() => {
  for (const draw of drawers) draw();
});

/** Draws these views again after each language switch, in this order. */
export function redrawOnSwitch(...draws: (() => void)[]): void {
  drawers.push(...draws);
}

/** An officer's roles (`server/auth/actor.ts`). */
export type Role = "clerk" | "approver" | "auditor";

/** What the signed-in officer (or system) may do: the server enforces it regardless, the page hides the rest. */
export type Permission = "read" | "issue" | "status" | "approve" | "audit";

const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  clerk: ["read", "issue", "status"],
  approver: ["read", "approve"],
  auditor: ["read", "audit"],
};

export const session = {
  /** A system's API key, once `GET /me` accepted it (the secondary sign-in). */
  key: undefined as string | undefined,
  /** The signed-in officer (`GET /session`): the session itself is the httpOnly cookie. */
  officer: undefined as { name: string; subject: string; issuerId: string; roles: Role[] } | undefined,
  /** The session's CSRF token, sent as `X-CSRF-Token` on every state-changing request. */
  csrfToken: undefined as string | undefined,
  /** An API key's scopes (from `GET /me`). */
  scopes: [] as string[],
  /** The certificate types the signed-in department issues (from `GET /me`). */
  types: [] as string[],
};

/** Whether the signed-in officer's roles (or the key's scopes) allow `permission`. */
export function can(permission: Permission): boolean {
  if (session.officer) return session.officer.roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
  return session.key !== undefined && session.scopes.includes(permission);
}

export const shown = {
  /** The last search's certificates. */
  results: undefined as CertificateSummary[] | undefined,
  /** The certificate open in the detail view. */
  detail: undefined as CertificateDetail | undefined,
};
