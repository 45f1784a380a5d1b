import { expect } from "chai";
import { safeReturnTo } from "../../../server/api/session-routes.ts";
import { officerFromClaims } from "../../../server/auth/relying-party.ts";
import { csrfMatches, csrfToken, sessionEnd } from "../../../server/auth/sessions.ts";
import { ConfigError, loadConfig } from "../../../server/config.ts";

const PRODUCTION = {
  CHAIN_RPC_URLS: "https://rpc.example.org",
  CHAIN_ID: "1",
  REGISTRY_ADDRESS: `0x${"11".repeat(20)}`,
  ISSUER_IDS: "",
};

function configError(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error("loadConfig accepted it");
}

describe("officers' sign-in configuration (OIDC_*, SESSION_*)", () => {
  it("uses the embedded provider in the embedded default and is off in production without OIDC_ISSUER_URL", () => {
    expect(loadConfig({}).oidc).to.equal("embedded");
    expect(loadConfig(PRODUCTION).oidc).to.equal(undefined);
    expect(loadConfig({}).session).to.deep.equal({ idleMinutes: 30, hours: 12 });
    expect(loadConfig({ SESSION_IDLE_MINUTES: "5", SESSION_HOURS: "8" }).session).to.deep.equal({
      idleMinutes: 5,
      hours: 8,
    });
  });

  it("reads a department's provider with its defaults", () => {
    const config = loadConfig({
      ...PRODUCTION,
      OIDC_ISSUER_URL: "https://login.example.gov.hk/realms/ecert",
      OIDC_CLIENT_ID: "ecert",
      OIDC_CLIENT_SECRET: "s3cret-s3cret",
    });
    expect(config.oidc).to.deep.equal({
      issuerUrl: "https://login.example.gov.hk/realms/ecert",
      clientId: "ecert",
      clientSecret: "s3cret-s3cret",
      redirectUrl: undefined,
      departmentClaim: "ecert_department",
      rolesClaim: "ecert_roles",
      scopes: "openid profile email ecert",
      allowInsecure: false,
    });
    const custom = loadConfig({
      OIDC_ISSUER_URL: "http://127.0.0.1:8080/realms/x",
      OIDC_CLIENT_ID: "c",
      OIDC_CLIENT_SECRET: "s",
      OIDC_REDIRECT_URL: "https://ecert.example.gov.hk/auth/callback",
      OIDC_DEPARTMENT_CLAIM: "department",
      OIDC_ROLES_CLAIM: "groups",
      OIDC_SCOPES: "profile groups",
    }).oidc;
    expect(custom).to.include({
      allowInsecure: true,
      departmentClaim: "department",
      rolesClaim: "groups",
      scopes: "openid profile groups",
      redirectUrl: "https://ecert.example.gov.hk/auth/callback",
    });
  });

  it("refuses incomplete or unsafe OIDC settings, naming the variable and never the secret", () => {
    const missing = configError({ OIDC_ISSUER_URL: "https://login.example.gov.hk", OIDC_CLIENT_SECRET: "topsecret" });
    expect(missing.code).to.equal("MISSING_VALUE");
    expect(missing.details).to.deep.equal({ variable: "OIDC_CLIENT_ID" });
    expect(missing.message).not.to.include("topsecret");
    expect(configError({ OIDC_CLIENT_ID: "c" }).details).to.deep.equal({ variable: "OIDC_ISSUER_URL" });
    const http = configError({
      OIDC_ISSUER_URL: "http://login.example.gov.hk",
      OIDC_CLIENT_ID: "c",
      OIDC_CLIENT_SECRET: "s",
    });
    expect(http.code).to.equal("INVALID_VALUE");
    expect(http.message).to.match(/^OIDC_ISSUER_URL: must be https/);
    expect(
      loadConfig({
        OIDC_ISSUER_URL: "http://login.internal",
        OIDC_CLIENT_ID: "c",
        OIDC_CLIENT_SECRET: "s",
        OIDC_ALLOW_HTTP: "true",
      }).oidc,
    ).to.include({ allowInsecure: true });
    expect(configError({ OIDC_ISSUER_URL: "ftp://x" }).details).to.deep.equal({ variable: "OIDC_ISSUER_URL" });
    expect(configError({ OIDC_ROLES_CLAIM: "roles claim" }).details).to.deep.equal({ variable: "OIDC_ROLES_CLAIM" });
    expect(configError({ SESSION_IDLE_MINUTES: "0" }).details).to.deep.equal({ variable: "SESSION_IDLE_MINUTES" });
    expect(configError({ SESSION_HOURS: "1000" }).details).to.deep.equal({ variable: "SESSION_HOURS" });
  });
});

describe("officers' claims, return paths and session rules", () => {
  it("reads the department and the known roles from the configured claims (an array or a string)", () => {
    expect(
      officerFromClaims(
        {
          sub: "u1",
          name: "Chan Tai Man",
          email: "tm@csb.gov.hk",
          dept: "CSB",
          groups: ["clerk", "admin", "Approver"],
        },
        "dept",
        "groups",
      ),
    ).to.deep.equal({
      subject: "u1",
      name: "Chan Tai Man",
      email: "tm@csb.gov.hk",
      department: "CSB",
      roles: ["clerk", "approver"],
    });
    expect(officerFromClaims({ sub: "u2", roles: "auditor, clerk" }, "d", "roles")).to.deep.include({
      name: "u2",
      email: null,
      department: null,
      roles: ["clerk", "auditor"],
    });
    expect(officerFromClaims({ sub: "u3", roles: 7 }, "d", "roles").roles).to.deep.equal([]);
    expect(() => officerFromClaims({ name: "x" }, "d", "r")).to.throw(/subject/);
  });

  it("returns only to a path of this site", () => {
    expect(safeReturnTo("/officer.html#batch/1")).to.equal("/officer.html#batch/1");
    expect(safeReturnTo("/officer?x=1")).to.equal("/officer?x=1");
    for (const bad of [
      undefined,
      ["/a"],
      "",
      "officer.html",
      "//evil.example",
      "/\\evil.example",
      "https://evil.example/",
      "/auth/logout",
      "/a b",
      `/${"a".repeat(600)}`,
    ])
      expect(safeReturnTo(bad), String(bad)).to.equal("/officer.html");
  });

  it("ends a session when signed out, past its end, or idle for the time-out", () => {
    const now = new Date("2026-06-01T12:00:00Z");
    const session = {
      idHash: "0".repeat(64),
      issuerId: "CSB",
      subject: "s",
      name: "n",
      email: null,
      roles: ["clerk"],
      createdAt: "2026-06-01T08:00:00Z",
      lastSeenAt: "2026-06-01T11:45:00.000Z",
      expiresAt: "2026-06-01T20:00:00.000Z",
      endedAt: null,
    };
    expect(sessionEnd(session, now, 30)).to.equal(undefined);
    expect(sessionEnd(session, now, 15)).to.match(/idle/);
    expect(sessionEnd({ ...session, expiresAt: "2026-06-01T12:00:00.000Z" }, now, 30)).to.match(/end/);
    expect(sessionEnd({ ...session, endedAt: "2026-06-01T11:50:00.000Z" }, now, 30)).to.match(/signed out/);
  });

  it("derives the CSRF token from the cookie and compares it exactly", () => {
    const cookie = "A".repeat(43);
    expect(csrfMatches(csrfToken(cookie), cookie)).to.equal(true);
    expect(csrfMatches(csrfToken("B".repeat(43)), cookie)).to.equal(false);
    expect(csrfMatches(undefined, cookie)).to.equal(false);
    expect(csrfMatches(csrfToken(cookie).slice(1), cookie)).to.equal(false);
  });
});
