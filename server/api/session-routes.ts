/**
 * Officers' sign-in and sessions (issue 14):
 *
 *   GET  /auth/login?returnTo=/officer.html   starts an OpenID Connect sign-in (state, nonce and PKCE
 *                                             verifier kept in `login_attempts`, used once, 10 minutes)
 *   GET  /auth/callback                       the provider's answer: the code exchanged, the department
 *                                             and roles read, a session made (cookie `ecert_session`)
 *   POST /auth/logout                         ends the session (with `X-CSRF-Token`), clears the cookie
 *   GET  /api/v1/session                      the signed-in officer, the CSRF token and the time-outs
 *
 * Sign-in and sign-out are in the department's audit trail. With officer sign-in off (production
 * without OIDC_ISSUER_URL) the pages say so and `GET /api/v1/session` is 401.
 */
import { timingSafeEqual } from "node:crypto";
import type express from "express";
import type { RequestHandler, Response, Router } from "express";
import type { Logger } from "pino";
import { recordAudit } from "../audit/audit-trail.ts";
import type { EmbeddedProvider } from "../auth/embedded-provider.ts";
import { AUTH_CSS, messagePage, type Bilingual } from "../auth/pages.ts";
import type { RelyingParty } from "../auth/relying-party.ts";
import {
  CSRF_HEADER,
  SESSION_COOKIE,
  csrfMatches,
  csrfToken,
  newSessionCookie,
  officerOf,
  sessionCookieOf,
  sessionCookieOptions,
  sessionEnd,
  sessionHash,
} from "../auth/sessions.ts";
import type { Store } from "../db/store.ts";
import type { SessionResolver } from "./auth.ts";
import { ApiError } from "./errors.ts";

/** How long a sign-in may take between the redirect to the provider and its callback. */
export const LOGIN_ATTEMPT_TTL_MS = 10 * 60_000;

/** Where a sign-in returns to when it names no (acceptable) page. */
export const DEFAULT_RETURN_TO = "/officer.html";

export interface SessionRoutesParameters {
  store: Store;
  /** Undefined: officer sign-in is off (API keys only). */
  relyingParty: RelyingParty | undefined;
  /** The embedded default's provider, mounted at `/oidc`. */
  embedded?: EmbeddedProvider;
  /** Resolves the session cookie (`server/auth/sessions.ts`). */
  sessions: SessionResolver;
  /** The departments this service issues for: a sign-in naming another is refused. */
  issuerIds: string[];
  /** A session's absolute lifetime, hours. */
  sessionHours: number;
  /** A session's idle time-out, minutes. */
  idleMinutes: number;
  /** Rate limit of the sign-in routes (per client). */
  limit?: RequestHandler;
  log: Logger;
  now?: () => Date;
}

const SIGN_IN: Bilingual = { en: "Officer sign-in", "zh-HK": "職員登入" };
const TRY_AGAIN = (returnTo: string) => ({
  href: `/auth/login?returnTo=${encodeURIComponent(returnTo)}`,
  text: { en: "Sign in again", "zh-HK": "重新登入" },
});

/** `returnTo` when it is a path of this site, else {@link DEFAULT_RETURN_TO}. */
export function safeReturnTo(returnTo: unknown): string {
  if (typeof returnTo !== "string" || returnTo.length > 500 || !/^\/(?![/\\])[\x21-\x7e]*$/.test(returnTo))
    return DEFAULT_RETURN_TO;
  const base = "http://return.invalid";
  const url = new URL(returnTo, base);
  // Dot segments are resolved by URL: "/.//evil.example" becomes the path "//evil.example", which a
  // browser reads as another host. Only a path that is still one of this site's after that is taken.
  if (url.origin !== base || url.pathname.startsWith("/auth/") || /^\/[/\\]/.test(url.pathname))
    return DEFAULT_RETURN_TO;
  return `${url.pathname}${url.search}${url.hash}`;
}

/**
 * The cookie that ties a sign-in to the browser that started it: its value is the sign-in's `state`, so
 * a callback URL (code and state) taken from one browser signs no one in elsewhere (login CSRF). Lax,
 * because the provider's redirect back is a navigation from another site; only under /auth/.
 */
const LOGIN_COOKIE = "ecert_login";
const loginCookieOptions = (maxAgeMs?: number) => ({
  httpOnly: true,
  secure: true,
  sameSite: "lax" as const,
  path: "/auth/",
  ...(maxAgeMs === undefined ? {} : { maxAge: maxAgeMs }),
});

/** The request's login cookie, if it has one of a sane shape. */
function loginCookieOf(req: { get(name: string): string | undefined }): string | undefined {
  const header = req.get("cookie");
  if (!header || header.length > 8192) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0 || part.slice(0, eq).trim() !== LOGIN_COOKIE) continue;
    const value = part.slice(eq + 1).trim();
    return /^[A-Za-z0-9_-]{16,200}$/.test(value) ? value : undefined;
  }
  return undefined;
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Mounts the sign-in routes on `app` and `GET /session` on the API router. */
export function mountSessionRoutes(app: express.Express, api: Router, parameters: SessionRoutesParameters): void {
  const { store, relyingParty, sessions, log } = parameters;
  const now = () => parameters.now?.() ?? new Date();
  const limit: RequestHandler[] = parameters.limit ? [parameters.limit] : [];
  let prunedAt = 0;

  const page = (res: Response, status: number, message: Bilingual, again?: { href: string; text: Bilingual }) => {
    res.status(status).setHeader("cache-control", "no-store");
    res.type("html").send(messagePage(SIGN_IN, message, again));
  };

  app.get("/auth/auth.css", (_req, res) => {
    res.setHeader("cache-control", "public, max-age=3600");
    res.type("text/css").send(AUTH_CSS);
  });

  app.get("/auth/login", ...limit, async (req, res) => {
    if (!relyingParty) return void signInOff(res);
    const at = now();
    if (at.getTime() - prunedAt > 60_000) {
      prunedAt = at.getTime();
      await store.pruneSessions(new Date(at.getTime() - LOGIN_ATTEMPT_TTL_MS).toISOString());
    }
    const returnTo = safeReturnTo(req.query.returnTo);
    let start;
    try {
      start = await relyingParty.start();
    } catch (error) {
      log.warn({ err: error }, "officer sign-in: the OpenID Connect provider cannot be reached");
      return void page(
        res,
        503,
        {
          en: "The sign-in service cannot be reached just now: try again shortly.",
          "zh-HK": "暫時未能連接登入服務，請稍後再試。",
        },
        TRY_AGAIN(returnTo),
      );
    }
    await store.insertLoginAttempt({
      state: start.state,
      nonce: start.nonce,
      codeVerifier: start.codeVerifier,
      returnTo,
      createdAt: at.toISOString(),
    });
    res.cookie(LOGIN_COOKIE, start.state, loginCookieOptions(LOGIN_ATTEMPT_TTL_MS));
    res.setHeader("cache-control", "no-store");
    res.redirect(303, start.url.href);
  });

  app.get("/auth/callback", ...limit, async (req, res) => {
    if (!relyingParty) return void signInOff(res);
    const state = req.query.state;
    // Only the browser that started this sign-in may finish it (its login cookie holds the state).
    const started = loginCookieOf(req);
    res.clearCookie(LOGIN_COOKIE, loginCookieOptions());
    const attempt =
      typeof state === "string" && state.length > 0 && state.length <= 200 && started && sameText(started, state)
        ? await store.takeLoginAttempt(state)
        : undefined;
    const at = now();
    if (!attempt || Date.parse(attempt.createdAt) + LOGIN_ATTEMPT_TTL_MS <= at.getTime()) {
      return void page(
        res,
        400,
        {
          en: "This sign-in was already used or has expired.",
          "zh-HK": "此登入已使用或已過期。",
        },
        TRY_AGAIN(attempt?.returnTo ?? DEFAULT_RETURN_TO),
      );
    }
    const again = TRY_AGAIN(attempt.returnTo);
    if (typeof req.query.error === "string") {
      return void page(
        res,
        400,
        { en: "The sign-in service did not sign you in.", "zh-HK": "登入服務未有讓你登入。" },
        again,
      );
    }
    const query = req.originalUrl.includes("?") ? req.originalUrl.slice(req.originalUrl.indexOf("?")) : "";
    let officer;
    try {
      officer = await relyingParty.finish(query, attempt);
    } catch (error) {
      // The error's code and message only: never the request's code or tokens.
      const e = error as { code?: unknown; message?: unknown };
      log.warn({ code: e.code, reason: String(e.message).slice(0, 200) }, "officer sign-in refused by the checks");
      return void page(res, 400, { en: "The sign-in could not be completed.", "zh-HK": "未能完成登入。" }, again);
    }
    const issuerId = parameters.issuerIds.find((id) => id.toUpperCase() === officer.department?.toUpperCase());
    if (!issuerId) {
      return void page(res, 403, {
        en: "Your account names no department this service issues for: ask your administrator.",
        "zh-HK": "你的帳戶未有列明本服務所簽發證書的部門，請聯絡你的系統管理員。",
      });
    }
    if (officer.roles.length === 0) {
      return void page(res, 403, {
        en: "Your account has no role in this service (clerk, approver or auditor): ask your administrator.",
        "zh-HK": "你的帳戶在本服務中沒有任何角色（文書、審批或審計），請聯絡你的系統管理員。",
      });
    }
    const cookie = newSessionCookie();
    const hours = parameters.sessionHours;
    const session = {
      idHash: sessionHash(cookie),
      issuerId,
      subject: officer.subject,
      name: officer.name,
      email: officer.email,
      roles: officer.roles,
      createdAt: at.toISOString(),
      lastSeenAt: at.toISOString(),
      expiresAt: new Date(at.getTime() + hours * 3_600_000).toISOString(),
      endedAt: null,
    };
    await store.transaction(async (tx) => {
      await tx.insertSession(session);
      await recordAudit(tx, {
        issuerId,
        actor: officerOf(session),
        action: "sign-in",
        source: req.ip ?? null,
        detail: { roles: officer.roles },
        at: at.toISOString(),
      });
    });
    res.cookie(SESSION_COOKIE, cookie, sessionCookieOptions(hours * 3_600_000));
    res.setHeader("cache-control", "no-store");
    res.redirect(303, attempt.returnTo);
  });

  app.post("/auth/logout", async (req, res) => {
    const cookie = sessionCookieOf(req);
    const session = cookie === undefined ? undefined : await store.findSession(sessionHash(cookie));
    if (cookie !== undefined && session && !sessionEnd(session, now(), parameters.idleMinutes)) {
      if (!csrfMatches(req.get(CSRF_HEADER), cookie))
        throw new ApiError("CSRF_TOKEN_INVALID", "Send the session's CSRF token in the X-CSRF-Token header", {
          details: {
            message: {
              en: "This request lacks the page's security token: reload the page and try again.",
              "zh-HK": "此要求缺少頁面的保安權杖，請重新載入頁面再試。",
            },
          },
        });
      const at = now().toISOString();
      await store.transaction(async (tx) => {
        await tx.endSession(session.idHash, at);
        await recordAudit(tx, {
          issuerId: session.issuerId,
          actor: officerOf(session),
          action: "sign-out",
          source: req.ip ?? null,
          at,
        });
      });
    }
    res.clearCookie(SESSION_COOKIE, sessionCookieOptions());
    res.setHeader("cache-control", "no-store");
    res.status(204).end();
  });

  api.get("/session", async (req, res) => {
    const actor = await sessions(req, res);
    const cookie = sessionCookieOf(req);
    const session = actor?.kind === "officer" ? await store.findSession(actor.sessionHash) : undefined;
    if (!actor || actor.kind !== "officer" || !session || cookie === undefined)
      throw new ApiError("UNAUTHENTICATED", relyingParty ? "Not signed in" : "Officer sign-in is off: use an API key", {
        details: {
          message: relyingParty
            ? { en: "You are not signed in.", "zh-HK": "你尚未登入。" }
            : { en: "Officer sign-in is not set up on this service.", "zh-HK": "本服務未有設定職員登入。" },
        },
      });
    res.setHeader("cache-control", "no-store");
    res.json({
      officer: {
        name: actor.name,
        subject: actor.subject,
        issuerId: actor.issuerId,
        roles: actor.roles,
        email: actor.email,
      },
      csrfToken: csrfToken(cookie),
      expiresAt: session.expiresAt,
      idleTimeoutSeconds: parameters.idleMinutes * 60,
    });
  });

  parameters.embedded?.mount(app);

  function signInOff(res: Response): void {
    page(res, 404, {
      en: "Officer sign-in is not set up on this service: systems use an API key.",
      "zh-HK": "本服務未有設定職員登入；系統請使用 API 金鑰。",
    });
  }
}
