/**
 * The officer console as an OpenID Connect relying party (`openid-client`): the authorization code
 * flow with PKCE (S256), state and nonce, against the department's provider (or the embedded one).
 * Discovery is lazy (the embedded provider is served by this very server, which is not listening yet
 * when this is built) and retried after a failure.
 */
import * as client from "openid-client";
import { ROLES, type Role } from "./actor.ts";

export interface RelyingPartyParameters {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  redirectUrl: string;
  /** The claim naming the department, e.g. "ecert_department". */
  departmentClaim: string;
  /** The claim listing the roles, e.g. "ecert_roles". */
  rolesClaim: string;
  /** Space-separated, with "openid". */
  scopes: string;
  /** Plain http to the provider (a local one only). */
  allowInsecure: boolean;
}

/** What the authorization request needs remembered until the callback (`login_attempts`). */
export interface LoginStart {
  url: URL;
  state: string;
  nonce: string;
  codeVerifier: string;
}

/** Who signed in, from the ID token and (for what it lacks) the UserInfo endpoint. */
export interface SignedInOfficer {
  subject: string;
  name: string;
  email: string | null;
  /** The department claim as given (not yet checked against this service's departments). */
  department: string | null;
  /** The known roles the roles claim lists (unknown ones dropped). */
  roles: Role[];
}

export class RelyingParty {
  readonly #parameters: RelyingPartyParameters;
  #configuration: Promise<client.Configuration> | undefined;

  constructor(parameters: RelyingPartyParameters) {
    this.#parameters = parameters;
  }

  /** The provider's configuration, discovered on first use. */
  async configuration(): Promise<client.Configuration> {
    const p = this.#parameters;
    this.#configuration ??= client
      .discovery(
        new URL(p.issuerUrl),
        p.clientId,
        { redirect_uris: [p.redirectUrl], response_types: ["code"] },
        client.ClientSecretBasic(p.clientSecret),
        p.allowInsecure ? { execute: [client.allowInsecureRequests] } : undefined,
      )
      .catch((error: unknown) => {
        this.#configuration = undefined;
        throw error;
      });
    return this.#configuration;
  }

  /** A new authorization request: where to send the browser, and what to keep for the callback. */
  async start(): Promise<LoginStart> {
    const configuration = await this.configuration();
    const codeVerifier = client.randomPKCECodeVerifier();
    const state = client.randomState();
    const nonce = client.randomNonce();
    const url = client.buildAuthorizationUrl(configuration, {
      redirect_uri: this.#parameters.redirectUrl,
      scope: this.#parameters.scopes,
      response_type: "code",
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: "S256",
      state,
      nonce,
    });
    return { url, state, nonce, codeVerifier };
  }

  /**
   * Exchanges the callback's code (checking state, nonce and the PKCE verifier) and reads who signed in.
   *
   * @param query the callback's query string (`?code=...&state=...`)
   */
  async finish(
    query: string,
    attempt: { state: string; nonce: string; codeVerifier: string },
  ): Promise<SignedInOfficer> {
    const configuration = await this.configuration();
    const p = this.#parameters;
    const currentUrl = new URL(p.redirectUrl);
    currentUrl.search = query;
    const tokens = await client.authorizationCodeGrant(configuration, currentUrl, {
      pkceCodeVerifier: attempt.codeVerifier,
      expectedState: attempt.state,
      expectedNonce: attempt.nonce,
      idTokenExpected: true,
    });
    const idToken = tokens.claims();
    if (!idToken) throw new Error("the provider returned no ID token");
    let claims: Record<string, unknown> = { ...idToken };
    const lacking = [p.departmentClaim, p.rolesClaim, "name", "email"].some((c) => claims[c] === undefined);
    if (lacking && configuration.serverMetadata().userinfo_endpoint) {
      const info = await client.fetchUserInfo(configuration, tokens.access_token, idToken.sub);
      // The ID token's claims win; UserInfo fills in what it lacks.
      claims = { ...info, ...claims };
    }
    return officerFromClaims(claims, p.departmentClaim, p.rolesClaim);
  }
}

/** The officer the claims name; roles from an array or a space- or comma-separated string. */
export function officerFromClaims(
  claims: Record<string, unknown>,
  departmentClaim: string,
  rolesClaim: string,
): SignedInOfficer {
  const text = (v: unknown, max: number) => (typeof v === "string" && v.length > 0 ? v.slice(0, max) : null);
  const subject = text(claims.sub, 255);
  if (!subject) throw new Error("the ID token names no subject");
  const rawRoles = claims[rolesClaim];
  const listed = Array.isArray(rawRoles)
    ? rawRoles.filter((r): r is string => typeof r === "string")
    : typeof rawRoles === "string"
      ? rawRoles.split(/[\s,]+/)
      : [];
  const roles = ROLES.filter((role) => listed.map((r) => r.trim().toLowerCase()).includes(role));
  const name =
    // Never the e-mail address as the name (it would go into every audit entry): the subject instead.
    text(claims.name, 200) ?? text(claims.preferred_username, 200) ?? subject.slice(0, 200);
  return {
    subject,
    name,
    email: text(claims.email, 320),
    department: text(claims[departmentClaim], 64),
    roles,
  };
}
