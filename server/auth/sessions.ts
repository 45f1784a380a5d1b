/**
 * Officers' sessions (issue 14). A signed-in officer holds the cookie `ecert_session`: 32 random bytes
 * (base64url), HttpOnly, Secure, SameSite=Strict. Only its SHA-256 is stored (`officer_sessions`), so
 * the database never holds a usable session. A session ends at sign-out, at its absolute end
 * (`SESSION_HOURS`) or after `SESSION_IDLE_MINUTES` without a request. State-changing requests also
 * carry `X-CSRF-Token`, derived from the cookie (SHA-256 of "csrf:" and the cookie value), which the
 * console reads from `GET /api/v1/session` and a cross-site page cannot.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { Request, Response } from "express";
import { ApiError } from "../api/errors.ts";
import type { SessionResolver } from "../api/auth.ts";
import type { SessionRow, Store } from "../db/store.ts";
import { ROLES, type OfficerActor, type Role } from "./actor.ts";

/** The session cookie's name. */
export const SESSION_COOKIE = "ecert_session";

/** The header a state-changing request carries its CSRF token in. */
export const CSRF_HEADER = "x-csrf-token";

/** A session's last use is written at most this often (ms). */
const TOUCH_EVERY_MS = 60_000;

const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** A new session cookie value: 32 random bytes, base64url. */
export function newSessionCookie(): string {
  return randomBytes(32).toString("base64url");
}

/** What the store keeps of a cookie: its SHA-256 (hex). */
export function sessionHash(cookie: string): string {
  return createHash("sha256").update(cookie).digest("hex");
}

/** The session's CSRF token: SHA-256 of "csrf:" and the cookie (base64url); only the cookie's holder can know it. */
export function csrfToken(cookie: string): string {
  return createHash("sha256").update(`csrf:${cookie}`).digest("base64url");
}

/** The cookie's attributes (always Secure: browsers accept Secure cookies over http on localhost). */
export function sessionCookieOptions(maxAgeMs?: number) {
  return {
    httpOnly: true,
    secure: true,
    sameSite: "strict" as const,
    path: "/",
    ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
  };
}

/** The session cookie of a request, if it carries one of the right shape (43 base64url characters). */
export function sessionCookieOf(req: Request): string | undefined {
  const header = req.get("cookie");
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== SESSION_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{43}$/.test(value) ? value : undefined;
  }
  return undefined;
}

export interface SessionResolverParameters {
  store: Store;
  /** Idle time-out, minutes. */
  idleMinutes: number;
  now?: () => Date;
}

/** The officer a session names. */
export function officerOf(session: SessionRow): OfficerActor {
  return {
    kind: "officer",
    issuerId: session.issuerId,
    subject: session.subject,
    name: session.name,
    email: session.email,
    roles: session.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r)),
    sessionHash: session.idHash,
  };
}

const SIGN_IN_AGAIN = {
  en: "Your session has ended: sign in again.",
  "zh-HK": "你的工作階段已結束，請重新登入。",
};

/**
 * Why a session is no longer valid at `now`, or undefined while it is: ended, past its absolute end, or
 * idle longer than `idleMinutes`.
 */
export function sessionEnd(session: SessionRow, now: Date, idleMinutes: number): string | undefined {
  if (session.endedAt) return "the session was ended (signed out)";
  if (session.expiresAt <= now.toISOString()) return "the session reached its end";
  if (Date.parse(session.lastSeenAt) + idleMinutes * 60_000 <= now.getTime())
    return `the session was idle for more than ${idleMinutes} minutes`;
  return undefined;
}

/**
 * The {@link SessionResolver} of `authenticate` (`server/api/auth.ts`): no cookie, no officer
 * (undefined); an unknown, ended, expired or idle session is refused with `SESSION_EXPIRED` (and its
 * cookie cleared); a state-changing request without the session's `X-CSRF-Token` with
 * `CSRF_TOKEN_INVALID`. A valid session's last use is recorded at most once a minute.
 */
export function createSessionResolver(parameters: SessionResolverParameters): SessionResolver {
  const { store, idleMinutes } = parameters;
  return async (req: Request, res: Response) => {
    const cookie = sessionCookieOf(req);
    if (cookie === undefined) return undefined;
    const now = parameters.now?.() ?? new Date();
    const hash = sessionHash(cookie);
    const session = await store.findSession(hash);
    const ended = session ? sessionEnd(session, now, idleMinutes) : "there is no such session";
    if (!session || ended) {
      if (session && !session.endedAt) await store.endSession(hash, now.toISOString());
      res.clearCookie(SESSION_COOKIE, sessionCookieOptions());
      throw new ApiError("SESSION_EXPIRED", `Sign in again: ${ended}`, { details: { message: SIGN_IN_AGAIN } });
    }
    if (STATE_CHANGING.has(req.method) && !csrfMatches(req.get(CSRF_HEADER), cookie)) {
      throw new ApiError("CSRF_TOKEN_INVALID", "Send the session's CSRF token in the X-CSRF-Token header", {
        details: {
          message: {
            en: "This request lacks the page's security token: reload the page and try again.",
            "zh-HK": "此要求缺少頁面的保安權杖，請重新載入頁面再試。",
          },
        },
      });
    }
    if (now.getTime() - Date.parse(session.lastSeenAt) >= TOUCH_EVERY_MS)
      await store.touchSession(hash, now.toISOString());
    return officerOf(session);
  };
}

/** Whether `given` is the cookie's CSRF token (compared in constant time). */
export function csrfMatches(given: string | undefined, cookie: string): boolean {
  if (given === undefined) return false;
  const expected = Buffer.from(csrfToken(cookie));
  const actual = Buffer.from(given);
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}
