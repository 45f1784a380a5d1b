import { mkdtemp, rm } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import express from "express";
import { expect } from "chai";
import type { DevOfficer } from "../../../server/auth/dev-officers.ts";
import { createEmbeddedProvider, ensureProviderSecrets } from "../../../server/auth/embedded-provider.ts";
import { loadConfig } from "../../../server/config.ts";
import { startServer, type RunningServer } from "../../../server/start.ts";
import { closedPort } from "../../browser/browser-helpers.ts";
import { CookieJar, follow, formAction, signIn, step, withSession } from "./auth-helpers.ts";

// A department's own provider, apart from the service (OIDC_ISSUER_URL): a real oidc-provider on its own
// port with officers this service must refuse (another department, no role), and claims under other names.
const officers: DevOfficer[] = [
  {
    username: "csb-officer",
    issuerId: "CSB",
    roles: ["clerk", "auditor"],
    name: "Wong Siu Ming",
    email: "wsm@csb.example",
  },
  { username: "xyz-clerk", issuerId: "XYZ", roles: ["clerk"], name: "Other Department", email: "o@xyz.example" },
  { username: "csb-norole", issuerId: "CSB", roles: [], name: "No Role", email: "n@csb.example" },
].map((o) => ({ ...o, password: `${o.username}-password-0123` }) as DevOfficer);

describe("officers' sign-in through a department's provider (OIDC_ISSUER_URL, OIDC_CLIENT_ID, OIDC_CLIENT_SECRET)", function () {
  this.timeout(120_000);
  let dataDir: string;
  let providerServer: Server;
  let server: RunningServer;

  before(async () => {
    dataDir = await mkdtemp(path.join(tmpdir(), "ecert-external-oidc-"));
    providerServer = createServer();
    await new Promise<void>((resolve) => providerServer.listen(0, "127.0.0.1", resolve));
    const providerUrl = `http://127.0.0.1:${(providerServer.address() as AddressInfo).port}`;
    const port = await closedPort();
    const secrets = await ensureProviderSecrets(path.join(dataDir));
    const provider = createEmbeddedProvider({
      serverUrl: providerUrl,
      redirectUrl: `http://127.0.0.1:${port}/auth/callback`,
      officers,
      secrets,
    });
    const app = express();
    provider.mount(app);
    providerServer.on("request", app);
    server = await startServer(
      loadConfig({
        DATA_DIR: path.join(dataDir, "service"),
        PORT: String(port),
        LOG_LEVEL: "silent",
        OIDC_ISSUER_URL: provider.issuerUrl,
        OIDC_CLIENT_ID: provider.clientId,
        OIDC_CLIENT_SECRET: provider.clientSecret,
      }),
    );
  });
  after(async () => {
    await server?.stop();
    providerServer.closeAllConnections();
    await new Promise((resolve) => providerServer.close(resolve));
    await rm(dataDir, { recursive: true, force: true });
  });

  it("runs no embedded provider and lists no development officers", async () => {
    expect(server.dev!.officers).to.deep.equal([]);
    expect((await fetch(`${server.url}/oidc/.well-known/openid-configuration`)).status).to.equal(404);
  });

  it("signs an officer in at the department's provider (the default redirect URL, http only to 127.0.0.1)", async () => {
    const signed = await signIn(server.url, "csb-officer", "csb-officer-password-0123");
    const me = await withSession(server.url, signed.session, "GET", "/api/v1/session");
    expect(me.json.officer).to.deep.equal({
      name: "Wong Siu Ming",
      subject: "csb-officer",
      issuerId: "CSB",
      roles: ["clerk", "auditor"],
      email: "wsm@csb.example",
    });
  });

  for (const [username, text] of [
    ["xyz-clerk", { en: "names no department this service issues for", zh: "未有列明本服務所簽發證書的部門" }],
    ["csb-norole", { en: "has no role in this service", zh: "沒有任何角色" }],
  ] as const) {
    it(`refuses ${username} with a page in both languages and no session`, async () => {
      const jar = new CookieJar();
      const page = (await follow(jar, `${server.url}/auth/login`)).at(-1)!;
      const posted = await step(jar, formAction(page), {
        method: "POST",
        form: { username, password: `${username}-password-0123` },
      });
      const back = await follow(jar, posted.location!);
      const refusal = back.at(-1)!;
      expect(new URL(refusal.url).pathname).to.equal("/auth/callback");
      expect(refusal.status).to.equal(403);
      expect(refusal.body).to.include(text.en).and.include(text.zh);
      expect(jar.cookies.has("ecert_session")).to.equal(false);
    });
  }
});
