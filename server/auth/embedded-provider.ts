/**
 * The embedded default's OpenID Connect provider (`oidc-provider` 9), mounted in the service's own
 * Express app under `/oidc` (issuer `<server url>/oidc`), for the development officers
 * (`dev-officers.ts`). One client, the officer console, with a generated secret; the authorization
 * code flow with PKCE (S256) required. Its login page is ours (`pages.ts`: it checks the password;
 * oidc-provider's development pages, which take any password, are off), a password is asked at every
 * sign-in (so that signing out and in as another officer works), and the console's consent is implied.
 * Claims: `name`, `email`, and under the scope `ecert` the department (`ecert_department`) and roles
 * (`ecert_roles`). Its signing key, cookie keys and client secret are generated once into
 * `DATA_DIR/oidc-provider.json` (mode 0600) and never logged. Its state (sign-ins under way, codes,
 * tokens) is in memory: a restart only interrupts sign-ins under way.
 */
import { createHash, generateKeyPairSync, randomBytes, timingSafeEqual } from "node:crypto";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import express from "express";
import Provider, { interactionPolicy, type Adapter, type AdapterPayload, type KoaContextWithOIDC } from "oidc-provider";
import type { Logger } from "pino";
import { z } from "zod";
import type { DevOfficer } from "./dev-officers.ts";
import { loginPage, messagePage, type Bilingual } from "./pages.ts";

/** The console's client id at the embedded provider. */
export const EMBEDDED_CLIENT_ID = "ecert-console";

/** The file under DATA_DIR holding the provider's keys and the console's client secret. */
export const PROVIDER_SECRETS_FILE = "oidc-provider.json";

/** The embedded provider's mount path (the issuer is the server's URL and this). */
export const EMBEDDED_PROVIDER_PATH = "/oidc";

const secretsSchema = z.strictObject({
  clientSecret: z.string().min(32),
  cookieKeys: z.array(z.string().min(32)).min(1),
  jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())).min(1) }),
});

type ProviderSecrets = z.infer<typeof secretsSchema>;

/** The provider's secrets, made once (an RS256 signing key, two cookie keys, the client secret). */
export async function ensureProviderSecrets(dataDir: string): Promise<ProviderSecrets> {
  const file = path.join(dataDir, PROVIDER_SECRETS_FILE);
  try {
    return secretsSchema.parse(JSON.parse(await readFile(file, "utf8")));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT")
      throw new Error(`${file} is not the embedded provider's secrets: remove it to make new ones`, { cause: error });
  }
  const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const jwk = privateKey.export({ format: "jwk" });
  const secrets: ProviderSecrets = {
    clientSecret: randomBytes(32).toString("base64url"),
    cookieKeys: [randomBytes(32).toString("base64url"), randomBytes(32).toString("base64url")],
    jwks: { keys: [{ ...jwk, kid: randomBytes(8).toString("hex"), use: "sig", alg: "RS256" }] },
  };
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600 });
  return secrets;
}

export interface EmbeddedProviderParameters {
  /** The server's own URL (`http://127.0.0.1:3000`). */
  serverUrl: string;
  /** The console's callback, `<server url>/auth/callback`. */
  redirectUrl: string;
  officers: DevOfficer[];
  secrets: ProviderSecrets;
  log?: Logger;
}

export interface EmbeddedProvider {
  issuerUrl: string;
  clientId: string;
  clientSecret: string;
  /** Mounts the provider and its login page on the app (before the app's 404 handler). */
  mount(app: express.Express): void;
}

const SIGN_IN_TITLE: Bilingual = { en: "Officer sign-in", "zh-HK": "職員登入" };
const START_AGAIN = { href: "/auth/login", text: { en: "Start signing in again", "zh-HK": "重新開始登入" } };

/** Builds the embedded provider (nothing listens until it is mounted on the served app). */
export function createEmbeddedProvider(parameters: EmbeddedProviderParameters): EmbeddedProvider {
  const { officers, secrets, log } = parameters;
  const issuerUrl = `${parameters.serverUrl}${EMBEDDED_PROVIDER_PATH}`;
  const byUsername = new Map(officers.map((o) => [o.username, o]));

  // A password at every sign-in: the login prompt is due unless this very authorization request has
  // just been through our login page.
  const policy = interactionPolicy.base();
  policy
    .get("login")!
    .checks.push(
      new interactionPolicy.Check("every_sign_in", "a password is asked at every sign-in", (ctx) =>
        ctx.oidc.result?.login ? interactionPolicy.Check.NO_NEED_TO_PROMPT : interactionPolicy.Check.REQUEST_PROMPT,
      ),
    );

  const provider = new Provider(issuerUrl, {
    adapter: memoryAdapter(),
    clients: [
      {
        client_id: EMBEDDED_CLIENT_ID,
        client_secret: secrets.clientSecret,
        redirect_uris: [parameters.redirectUrl],
        response_types: ["code"],
        grant_types: ["authorization_code"],
        token_endpoint_auth_method: "client_secret_basic",
      },
    ],
    responseTypes: ["code"],
    pkce: { required: () => true },
    claims: {
      openid: ["sub"],
      profile: ["name", "preferred_username"],
      email: ["email", "email_verified"],
      ecert: ["ecert_department", "ecert_roles"],
    },
    findAccount: async (_ctx: unknown, id: string) => {
      const officer = byUsername.get(id);
      if (!officer) return undefined;
      return {
        accountId: id,
        claims: async () => ({
          sub: id,
          name: officer.name,
          preferred_username: officer.username,
          email: officer.email,
          email_verified: true,
          ecert_department: officer.issuerId,
          ecert_roles: officer.roles,
        }),
      };
    },
    // The console is this service's own client: its consent is implied.
    loadExistingGrant: async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      if (!oidc.client || !oidc.session?.accountId) return undefined;
      const existing = oidc.result?.consent?.grantId ?? oidc.session.grantIdFor(oidc.client.clientId);
      if (existing) {
        const found = await oidc.provider.Grant.find(existing);
        if (found) return found;
      }
      const grant = new oidc.provider.Grant({ accountId: oidc.session.accountId, clientId: oidc.client.clientId });
      grant.addOIDCScope("openid profile email ecert");
      await grant.save();
      return grant;
    },
    interactions: {
      url: (_ctx: unknown, interaction: { uid: string }) => `${EMBEDDED_PROVIDER_PATH}/interaction/${interaction.uid}`,
      policy,
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: false },
    },
    cookies: { keys: secrets.cookieKeys },
    jwks: secrets.jwks,
    renderError: async (ctx: KoaContextWithOIDC, out: { error?: string }) => {
      ctx.type = "html";
      ctx.body = messagePage(
        SIGN_IN_TITLE,
        {
          en: `The sign-in could not go on (${out.error ?? "error"}).`,
          "zh-HK": `未能繼續登入（${out.error ?? "error"}）。`,
        },
        START_AGAIN,
      );
    },
    ttl: {
      AccessToken: 600,
      AuthorizationCode: 60,
      IdToken: 600,
      Interaction: 600,
      Session: 12 * 3600,
      Grant: 12 * 3600,
    },
  });
  provider.on("server_error", (_ctx: unknown, error: unknown) =>
    log?.error({ err: error }, "embedded OpenID Connect provider: server error"),
  );

  return {
    issuerUrl,
    clientId: EMBEDDED_CLIENT_ID,
    clientSecret: secrets.clientSecret,
    mount(app) {
      const form = express.urlencoded({ extended: false, limit: "4kb", parameterLimit: 10 });
      const noStore = (_req: express.Request, res: express.Response, next: express.NextFunction) => {
        res.setHeader("cache-control", "no-store");
        next();
      };
      app.get(`${EMBEDDED_PROVIDER_PATH}/interaction/:uid`, noStore, async (req, res) => {
        const details = await provider.interactionDetails(req, res).catch(() => undefined);
        if (!details || details.uid !== req.params.uid) return void expiredInteraction(res);
        if (details.prompt.name !== "login") {
          // Consent is implied (loadExistingGrant); nothing else is asked.
          return void (await provider.interactionFinished(req, res, {}, { mergeWithLastSubmission: true }));
        }
        res.type("html").send(loginPage({ action: `${EMBEDDED_PROVIDER_PATH}/interaction/${details.uid}/login` }));
      });
      app.post(`${EMBEDDED_PROVIDER_PATH}/interaction/:uid/login`, noStore, form, async (req, res) => {
        const details = await provider.interactionDetails(req, res).catch(() => undefined);
        if (!details || details.uid !== req.params.uid || details.prompt.name !== "login")
          return void expiredInteraction(res);
        const body = (req.body ?? {}) as Record<string, unknown>;
        const username = typeof body.username === "string" ? body.username.slice(0, 64) : "";
        const password = typeof body.password === "string" ? body.password.slice(0, 200) : "";
        const officer = byUsername.get(username);
        if (!officer || !samePassword(password, officer.password)) {
          res
            .status(401)
            .type("html")
            .send(
              loginPage({
                action: `${EMBEDDED_PROVIDER_PATH}/interaction/${details.uid}/login`,
                username,
                error: {
                  en: "The username or password is not right.",
                  "zh-HK": "用戶名稱或密碼不正確。",
                },
              }),
            );
          return;
        }
        await provider.interactionFinished(
          req,
          res,
          { login: { accountId: officer.username, remember: false } },
          { mergeWithLastSubmission: false },
        );
      });
      app.use(EMBEDDED_PROVIDER_PATH, provider.callback());
    },
  };
}

function expiredInteraction(res: express.Response): void {
  res
    .status(400)
    .type("html")
    .send(
      messagePage(
        SIGN_IN_TITLE,
        {
          en: "This sign-in page has expired or was already used.",
          "zh-HK": "此登入頁面已過期或已使用。",
        },
        START_AGAIN,
      ),
    );
}

/** Compares two passwords in constant time (over their SHA-256, so lengths do not show). */
function samePassword(given: string, expected: string): boolean {
  const a = createHash("sha256").update(given).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The provider's storage: in memory, per provider, entries dropped when they expire (a sign-in under
 * way, codes and tokens live minutes; sessions hours), at most `maxEntries` (the oldest go first).
 */
function memoryAdapter(maxEntries = 10_000): new (name: string) => Adapter {
  const entries = new Map<string, { payload: AdapterPayload; expiresAt: number }>();
  const grants = new Map<string, Set<string>>();
  const live = (key: string) => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= Date.now()) {
      entries.delete(key);
      return undefined;
    }
    return entry.payload;
  };
  return class MemoryAdapter implements Adapter {
    readonly #name: string;

    constructor(name: string) {
      this.#name = name;
    }

    #key(id: string) {
      return `${this.#name}:${id}`;
    }

    async upsert(id: string, payload: AdapterPayload, expiresIn: number) {
      const key = this.#key(id);
      entries.delete(key);
      entries.set(key, { payload, expiresAt: Date.now() + expiresIn * 1000 });
      if (payload.grantId) {
        const members = grants.get(payload.grantId) ?? new Set<string>();
        members.add(key);
        grants.set(payload.grantId, members);
      }
      if (payload.uid)
        entries.set(`${this.#name}:uid:${payload.uid}`, { payload: { id }, expiresAt: Date.now() + expiresIn * 1000 });
      while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
      while (grants.size > maxEntries) grants.delete(grants.keys().next().value!);
    }

    async find(id: string) {
      return live(this.#key(id));
    }

    async findByUid(uid: string) {
      const ref = live(`${this.#name}:uid:${uid}`);
      return typeof ref?.id === "string" ? this.find(ref.id) : undefined;
    }

    async findByUserCode() {
      return undefined;
    }

    async consume(id: string) {
      const payload = live(this.#key(id));
      if (payload) payload.consumed = Math.floor(Date.now() / 1000);
    }

    async destroy(id: string) {
      entries.delete(this.#key(id));
    }

    async revokeByGrantId(grantId: string) {
      for (const key of grants.get(grantId) ?? []) entries.delete(key);
      grants.delete(grantId);
    }
  };
}
