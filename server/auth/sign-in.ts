/**
 * Officers' sign-in as `startServer` sets it up from the configuration: the embedded default's own
 * provider and development officers, a department's provider (OIDC_ISSUER_URL), or none (production
 * without OIDC_ISSUER_URL: API keys only, said once in the log).
 */
import type { Logger } from "pino";
import type { SessionResolver } from "../api/auth.ts";
import type { SessionRoutesParameters } from "../api/session-routes.ts";
import type { Config } from "../config.ts";
import type { Store } from "../db/store.ts";
import { ensureDevOfficers, type DevOfficer } from "./dev-officers.ts";
import { createEmbeddedProvider, ensureProviderSecrets } from "./embedded-provider.ts";
import { RelyingParty } from "./relying-party.ts";
import { createSessionResolver } from "./sessions.ts";

export interface OfficerSignInParameters {
  config: Config;
  /** This server's URL. */
  serverUrl: string;
  store: Store;
  issuerIds: string[];
  log: Logger;
}

export interface OfficerSignIn {
  /** For `createApp`'s `sessions` (the department routes and `GET /api/v1/session`). */
  sessions: SessionResolver;
  /** For `createApp`'s `signIn` (`mountSessionRoutes`), less the rate limit. */
  routes: Omit<SessionRoutesParameters, "limit">;
  /** The embedded default's development officers, with their passwords. */
  officers?: DevOfficer[];
}

/** Sets up officers' sign-in (nothing is fetched from the provider until the first sign-in). */
export async function setUpOfficerSignIn(parameters: OfficerSignInParameters): Promise<OfficerSignIn> {
  const { config, serverUrl, store, issuerIds, log } = parameters;
  const sessions = createSessionResolver({ store, idleMinutes: config.session.idleMinutes });
  const common = {
    store,
    sessions,
    issuerIds,
    sessionHours: config.session.hours,
    idleMinutes: config.session.idleMinutes,
    log,
  };
  const oidc = config.oidc;
  if (oidc === undefined) {
    log.info("officer sign-in is off: no OIDC_ISSUER_URL is set (department routes take API keys only)");
    return { sessions, routes: { ...common, relyingParty: undefined } };
  }
  const redirectUrl =
    oidc !== "embedded" && oidc.redirectUrl ? oidc.redirectUrl : `${config.verifierUrl ?? serverUrl}/auth/callback`;
  if (oidc !== "embedded") {
    const relyingParty = new RelyingParty({ ...oidc, redirectUrl });
    log.info(
      { issuer: oidc.issuerUrl, clientId: oidc.clientId, redirectUrl },
      "officer sign-in through OpenID Connect",
    );
    return { sessions, routes: { ...common, relyingParty } };
  }
  const officers = await ensureDevOfficers(config.dataDir, issuerIds);
  const embedded = createEmbeddedProvider({
    serverUrl,
    redirectUrl: `${serverUrl}/auth/callback`,
    officers,
    secrets: await ensureProviderSecrets(config.dataDir),
    log,
  });
  const relyingParty = new RelyingParty({
    issuerUrl: embedded.issuerUrl,
    clientId: embedded.clientId,
    clientSecret: embedded.clientSecret,
    redirectUrl: `${serverUrl}/auth/callback`,
    departmentClaim: "ecert_department",
    rolesClaim: "ecert_roles",
    scopes: "openid profile email ecert",
    allowInsecure: /^http:\/\/(localhost|127\.0\.0\.1)(:\d+)?\//.test(embedded.issuerUrl),
  });
  return { sessions, routes: { ...common, relyingParty, embedded }, officers };
}
