/**
 * An officer's session stored as the sign-in stores one (`server/api/session-routes.ts`), for tests of
 * what officers do: the headers to send (the session cookie, and its CSRF token for state-changing
 * requests). The sign-in itself is tested through the embedded provider in test/server/auth/.
 */
import { csrfToken, newSessionCookie, sessionHash } from "../../server/auth/sessions.ts";
import type { Store } from "../../server/db/store.ts";

export interface OfficerSession {
  cookie: string;
  /** `cookie` and `x-csrf-token`, as the console sends them. */
  headers: Record<string, string>;
}

export async function officerSession(
  store: Store,
  officer: { issuerId: string; subject: string; name: string; roles: string[] },
): Promise<OfficerSession> {
  const cookie = newSessionCookie();
  const now = new Date();
  await store.insertSession({
    idHash: sessionHash(cookie),
    issuerId: officer.issuerId,
    subject: officer.subject,
    name: officer.name,
    email: null,
    roles: officer.roles,
    createdAt: now.toISOString(),
    lastSeenAt: now.toISOString(),
    expiresAt: new Date(now.getTime() + 3_600_000).toISOString(),
    endedAt: null,
  });
  return { cookie, headers: { cookie: `ecert_session=${cookie}`, "x-csrf-token": csrfToken(cookie) } };
}
