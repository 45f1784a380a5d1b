/**
 * Who is calling a department route (issue 14): a system with a scoped API key (`Authorization: Bearer
 * <key>`), or a signed-in officer (the session cookie, resolved by `sessions`, `server/auth/`). Each
 * route then names the permission it needs ({@link requirePermission}); an actor acts for its own
 * department only (`req.issuerId`).
 */
import type { NextFunction, Request, RequestHandler, Response } from "express";
import { KEY_SCOPES, can, rolesFor, type Actor, type KeyScope, type Permission } from "../auth/actor.ts";
import type { IssuanceReads } from "../issuance/issuance-reads.ts";
import { ApiError } from "./errors.ts";
import type { AuthedRequest } from "./request.ts";

/**
 * Resolves an officer's session from the request's cookie: the actor, or undefined when the request
 * carries no session cookie. Throws `SESSION_EXPIRED` for a session that ended, and
 * `CSRF_TOKEN_INVALID` for a state-changing request without the session's CSRF token.
 */
export type SessionResolver = (req: Request, res: Response) => Promise<Actor | undefined>;

export interface AuthParameters {
  reads: IssuanceReads;
  sessions?: SessionResolver;
  now?: () => Date;
}

/** The middleware that sets `req.actor` and `req.issuerId`, or refuses with 401. */
export function authenticate(parameters: AuthParameters): RequestHandler {
  const { reads, sessions } = parameters;
  return async (req: AuthedRequest, res: Response, next: NextFunction) => {
    const header = req.get("authorization");
    let actor: Actor | undefined;
    if (header !== undefined) {
      const match = /^Bearer\s+(\S+)$/i.exec(header);
      if (!match) throw new ApiError("UNAUTHENTICATED", "Send the department's API key: Authorization: Bearer <key>");
      const key = await reads.apiKey(match[1]);
      const now = (parameters.now?.() ?? new Date()).toISOString();
      if (!key || key.revokedAt) throw new ApiError("UNAUTHENTICATED", "This API key is not valid");
      if (key.expiresAt && key.expiresAt <= now)
        throw new ApiError("UNAUTHENTICATED", `This API key expired at ${key.expiresAt}`);
      actor = {
        kind: "api-key",
        issuerId: key.issuerId,
        keyId: key.id,
        label: key.label,
        scopes: (key.scopes ?? []).filter((s): s is KeyScope => (KEY_SCOPES as readonly string[]).includes(s)),
      };
    } else {
      actor = await sessions?.(req, res);
    }
    if (!actor)
      throw new ApiError(
        "UNAUTHENTICATED",
        sessions
          ? "Sign in to the officer console, or send an API key: Authorization: Bearer <key>"
          : "Send the department's API key: Authorization: Bearer <key>",
      );
    req.actor = actor;
    req.issuerId = actor.issuerId;
    next();
  };
}

/** The roles' names in Traditional Chinese, for the bilingual refusal. */
const ROLE_NAMES_ZH: Record<string, string> = { clerk: "文書", approver: "審批", auditor: "審計" };

/** Refuses (403) an actor whose roles or scopes do not grant `permission`. */
export function requirePermission(permission: Permission): RequestHandler {
  return (req: AuthedRequest, _res: Response, next: NextFunction) => {
    const actor = req.actor;
    if (!actor) throw new ApiError("UNAUTHENTICATED", "Not signed in");
    if (!can(actor, permission)) {
      const roles = rolesFor(permission);
      const who =
        actor.kind === "api-key"
          ? `an API key with the "${permission}" scope`
          : `an officer with the role ${roles.join(" or ")}`;
      const never = permission === "approve" || permission === "audit";
      throw new ApiError("FORBIDDEN", `This needs ${who}${never ? " (never an API key)" : ""}`, {
        details: {
          permission,
          message: {
            en: `You may not do this: it needs ${who}${never ? " (never an API key)" : ""}.`,
            "zh-HK":
              actor.kind === "api-key"
                ? `此 API 密鑰沒有「${permission}」權限，不能執行此操作。`
                : `你不能執行此操作：須由具有${roles.map((r) => ROLE_NAMES_ZH[r]).join("或")}角色的人員執行。`,
          },
        },
      });
    }
    next();
  };
}
