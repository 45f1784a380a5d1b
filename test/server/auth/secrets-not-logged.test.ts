import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { expect } from "chai";
import { pino } from "pino";
import { setUpOfficerSignIn } from "../../../server/auth/sign-in.ts";
import { loadConfig } from "../../../server/config.ts";
import { openStore } from "../../../server/db/open-store.ts";
import { LOG_REDACT_PATHS, startServer, type RunningServer } from "../../../server/start.ts";
import { CookieJar, follow, formAction, signIn, step, withSession } from "./auth-helpers.ts";

/** A stream that keeps every line written to it. */
function capture(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      chunks.push(String(chunk));
      done();
    },
  });
  return { stream, text: () => chunks.join("") };
}

describe("officers' sign-in logs no secret", function () {
  this.timeout(120_000);
  let dataDir: string;
  let server: RunningServer;
  const log = capture();

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-sign-in-log-"));
    server = await startServer(loadConfig({ DATA_DIR: dataDir, PORT: "0", LOG_LEVEL: "trace" }), {
      logStream: log.stream,
    });
  });
  after(async () => {
    await server.stop();
    await rm(dataDir, { recursive: true, force: true });
  });

  it("never writes a password, the client secret, a session cookie, a CSRF token or an authorization code to the log", async () => {
    const secrets: string[] = [];
    for (const officer of server.dev!.officers) {
      const signed = await signIn(server.url, officer.username, officer.password);
      secrets.push(officer.password, signed.session, signed.csrfToken);
      secrets.push(new URL(signed.callbackUrl).searchParams.get("code")!);
      await withSession(server.url, signed.session, "GET", "/api/v1/certificates");
      await withSession(server.url, signed.session, "POST", "/api/v1/certificates", { json: {} }); // CSRF refused
      await withSession(server.url, signed.session, "POST", "/auth/logout", { csrfToken: signed.csrfToken });
      await withSession(server.url, signed.session, "GET", "/api/v1/session"); // ended
      // A replayed callback (its code and state in the query), and a wrong password.
      await step(new CookieJar(), signed.callbackUrl);
      const jar = new CookieJar();
      const page = (await follow(jar, `${server.url}/auth/login`)).at(-1)!;
      await step(jar, formAction(page), {
        method: "POST",
        form: { username: officer.username, password: `${officer.password}-wrong` },
      });
      secrets.push(`${officer.password}-wrong`);
    }
    const providerSecrets = JSON.parse(await readFile(path.join(dataDir, "oidc-provider.json"), "utf8"));
    secrets.push(providerSecrets.clientSecret, ...providerSecrets.cookieKeys, providerSecrets.jwks.keys[0].d);
    const text = log.text();
    expect(text).to.include("HK e-Cert issuer service started");
    expect(text.split("\n").length).to.be.above(50); // trace: the requests were logged
    for (const secret of secrets) {
      expect(secret.length).to.be.above(10);
      expect(text.includes(secret), `a secret in the log: ${secret.slice(0, 4)}...`).to.equal(false);
    }
  });

  it("says once in the log that officer sign-in is off in production without OIDC_ISSUER_URL", async () => {
    const config = loadConfig({
      DATA_DIR: dataDir,
      CHAIN_RPC_URLS: "http://127.0.0.1:1",
      CHAIN_ID: "31337",
      REGISTRY_ADDRESS: `0x${"11".repeat(20)}`,
      ISSUER_IDS: "",
      LOG_LEVEL: "info",
    });
    expect(config.oidc).to.equal(undefined);
    const lines = capture();
    const store = await openStore(":memory:", dataDir);
    try {
      const signIn = await setUpOfficerSignIn({
        config,
        serverUrl: "http://127.0.0.1:1",
        store,
        issuerIds: ["CSB"],
        log: pino({ level: "info" }, lines.stream),
      });
      expect(signIn.routes.relyingParty).to.equal(undefined);
      expect(signIn.officers).to.equal(undefined);
      const said = lines
        .text()
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).msg as string);
      expect(said).to.deep.equal([
        "officer sign-in is off: no OIDC_ISSUER_URL is set (department routes take API keys only)",
      ]);
    } finally {
      await store.close();
    }
  });

  it("keeps OIDC_CLIENT_SECRET out of the log when a provider is configured", async () => {
    const secret = "a-client-secret-of-the-department-0123456789";
    const config = loadConfig({
      DATA_DIR: dataDir,
      OIDC_ISSUER_URL: "https://login.example.gov.hk/realms/ecert",
      OIDC_CLIENT_ID: "ecert",
      OIDC_CLIENT_SECRET: secret,
    });
    const lines = capture();
    const store = await openStore(":memory:", dataDir);
    try {
      // The service's own redaction (start.ts).
      const log = pino({ level: "trace", redact: LOG_REDACT_PATHS }, lines.stream);
      await setUpOfficerSignIn({ config, serverUrl: "http://127.0.0.1:1", store, issuerIds: ["CSB"], log });
      log.info({ config }, "configuration");
      log.info({ oidc: config.oidc }, "sign-in");
      expect(lines.text()).to.include("officer sign-in through OpenID Connect");
      expect(lines.text()).not.to.include(secret);
    } finally {
      await store.close();
    }
  });
});
