import path from "node:path";
import { z } from "zod";
import { BaseError, type BaseErrorOptions } from "../core/base-error.ts";

/**
 * The issuer service's configuration, read once from the environment at start-up and validated: a bad
 * value stops the start with a message naming the variable. With no variable set at all, `npm start` runs
 * the embedded default (local chain, development keys, SQLite under DATA_DIR).
 */
export interface Config {
  port: number;
  host: string;
  dataDir: string;
  /** `postgres://...` or a SQLite file path; undefined: `DATA_DIR/ecert.sqlite`. */
  databaseUrl: string | undefined;
  /** Public verifier base URL printed on certificates and in QR codes; undefined: this server's `/`. */
  verifierUrl: string | undefined;
  /** Undefined for the embedded default (a local chain is started). */
  chain:
    | {
        rpcUrls: string[];
        chainId: number;
        /** Time allowed for one JSON-RPC request to one endpoint before the next is tried (ms). */
        rpcTimeoutMs: number;
        registry: string;
        /** Per issuer id: its signer's encrypted JSON keystore file and password. */
        signers: Record<string, { keystoreFile: string; password: string }>;
        /** Per issuer id: its PDF-signing identity. */
        pades: Record<string, { p12File: string; p12Password: string } | { certFile: string; keyFile: string }>;
      }
    | undefined;
  /** A batch closes at this many certificates... */
  batchSize: number;
  /** ...or when its oldest certificate has waited this long (ms). */
  batchWaitMs: number;
  /** Blocks to wait after the anchoring block before certificates are released. */
  confirmations: number;
  /** How long an instance's leases (its signer's anchoring, a batch it works on) last unless renewed (ms). */
  leaseTtlMs: number;
  /** Worker threads for `POST /verify` (0: on the main thread). */
  verifyThreads: number;
  /** How often the anchoring writer checks that the last day's anchored roots are still on chain (ms). */
  anchorRecheckMs: number;
  /** Largest request body, bytes (CSV uploads, PDFs to verify). */
  maxBodyBytes: number;
  /** Requests per minute per client on public routes (claim downloads, verification, JSON-RPC). */
  publicRateLimit: number;
  /**
   * Candidates' e-mail (`server/mail/`): the SMTP server (`smtp://` or `smtps://`, credentials allowed in
   * the URL: never logged) and the From address. Undefined: the embedded default runs its own SMTP sink
   * (`GET /dev/outbox`); production mode keeps the e-mails waiting.
   */
  mail: { smtpUrl: string; from: string } | undefined;
  /** The base of the claim link in candidates' e-mails (`<claimUrl>/claim#<code>`); undefined: the verifier URL. */
  claimUrl: string | undefined;
  logLevel: string;
  /**
   * Which departments need a second officer's approval to issue an upload and change a status
   * (maker-checker): "all" (the default), "none", or a list of issuer ids (`APPROVALS=CSB,FSD`).
   */
  approvals: "all" | "none" | string[];
  /**
   * Officers' sign-in (OpenID Connect, issue 14): `"embedded"` for the embedded default's own provider
   * (no OIDC_ISSUER_URL and no chain configured), a configured provider, or undefined when officer
   * sign-in is off (production without OIDC_ISSUER_URL: API keys only).
   */
  oidc: "embedded" | OidcConfig | undefined;
  /** Officers' sessions: idle time-out and absolute lifetime. */
  session: { idleMinutes: number; hours: number };
}

/** A department's OpenID Connect provider (production). */
export interface OidcConfig {
  issuerUrl: string;
  clientId: string;
  /** Never logged (start.ts redacts it). */
  clientSecret: string;
  /** Undefined: `<VERIFIER_URL or this server's URL>/auth/callback`. */
  redirectUrl: string | undefined;
  /** The claim that names the officer's department (an issuer id such as "CSB"). */
  departmentClaim: string;
  /** The claim that lists the officer's roles (an array, or a space- or comma-separated string). */
  rolesClaim: string;
  /** Scopes asked for (space-separated; always with `openid`). */
  scopes: string;
  /** Talk to the provider over plain http (only for http://localhost or 127.0.0.1, or when OIDC_ALLOW_HTTP=true). */
  allowInsecure: boolean;
}

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const envSchema = z.object({
  PORT: intIn(0, 65535).default(3000),
  HOST: z.string().default("127.0.0.1"),
  DATA_DIR: z.string().min(1).default(".data"),
  DATABASE_URL: z.string().min(1).optional(),
  VERIFIER_URL: z.url({ protocol: /^https?$/ }).optional(),
  CHAIN_RPC_URLS: z.string().optional(),
  CHAIN_ID: intIn(1, Number.MAX_SAFE_INTEGER).optional(),
  CHAIN_RPC_TIMEOUT_MS: intIn(100, 600_000).default(5000),
  REGISTRY_ADDRESS: z
    .string()
    .regex(/^0x[0-9a-fA-F]{40}$/, "must be a 0x-prefixed 20-byte address")
    .optional(),
  ISSUER_IDS: z.string().optional(),
  BATCH_SIZE: intIn(1, 100_000).default(1000),
  BATCH_WAIT_MS: intIn(0, 3_600_000).default(2000),
  CONFIRMATIONS: intIn(0, 100).default(1),
  LEASE_TTL_MS: intIn(1000, 600_000).default(15_000),
  ANCHOR_RECHECK_MS: intIn(1000, 86_400_000).default(60_000),
  VERIFY_THREADS: intIn(0, 64).default(0),
  MAX_BODY_BYTES: intIn(1024, 512 * 2 ** 20).default(32 * 2 ** 20),
  PUBLIC_RATE_LIMIT: intIn(1, 10_000_000).default(600),
  SMTP_URL: z
    .string()
    .max(2000)
    .refine((v) => /^smtps?:\/\/[^/]/i.test(v) && URL.canParse(v), "must be an smtp:// or smtps:// URL")
    .optional(),
  MAIL_FROM: z
    .string()
    .max(320)
    .regex(/^[^\r\n]*@[^\r\n]*$/, 'must be an address, e.g. "HK e-Cert <no-reply@ecert.gov.hk>"')
    .optional(),
  CLAIM_URL: z.url({ protocol: /^https?$/ }).optional(),
  OIDC_ISSUER_URL: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  OIDC_CLIENT_ID: z.string().min(1).max(500).optional(),
  OIDC_CLIENT_SECRET: z.string().min(1).max(2000).optional(),
  OIDC_REDIRECT_URL: z
    .url({ protocol: /^https?$/ })
    .max(2000)
    .optional(),
  OIDC_DEPARTMENT_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:./-]{1,200}$/, "must be a claim name")
    .default("ecert_department"),
  OIDC_ROLES_CLAIM: z
    .string()
    .regex(/^[A-Za-z0-9_:./-]{1,200}$/, "must be a claim name")
    .default("ecert_roles"),
  OIDC_SCOPES: z
    .string()
    .regex(/^[\x21\x23-\x5B\x5D-\x7E]+( [\x21\x23-\x5B\x5D-\x7E]+)*$/, "must be space-separated scope names")
    .max(1000)
    .default("openid profile email ecert"),
  OIDC_ALLOW_HTTP: z.enum(["true", "false"]).optional(),
  SESSION_IDLE_MINUTES: intIn(1, 24 * 60).default(30),
  SESSION_HOURS: intIn(1, 24 * 7).default(12),
  LOG_LEVEL: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  APPROVALS: z
    .string()
    .regex(/^(all|none|[A-Z][A-Z0-9_]{0,31}(,[A-Z][A-Z0-9_]{0,31})*)$/, {
      message: 'give "all", "none", or a comma-separated list of issuer ids, e.g. CSB,FSD',
    })
    .default("all"),
});

/** Every code a {@link ConfigError} can carry. Only ever add to this list. */
export const CONFIG_ERROR_CODES = [
  /** A variable holds a value outside what it takes (the message says what it takes). */
  "INVALID_VALUE",
  /** A variable the configuration needs is not set. */
  "MISSING_VALUE",
] as const;

export type ConfigErrorCode = (typeof CONFIG_ERROR_CODES)[number];

/** A configuration error: names the variable (also `details.variable`), never echoes a secret. */
export class ConfigError extends BaseError<ConfigErrorCode> {
  override name = "ConfigError";

  constructor(code: ConfigErrorCode, message: string, options: BaseErrorOptions = {}) {
    super(code, message, options);
  }
}

/**
 * Reads the configuration from `env` (default `process.env`).
 *
 * Production (a real chain) needs `CHAIN_RPC_URLS` (comma-separated, tried in turn, each request given
 * `CHAIN_RPC_TIMEOUT_MS`, default 5000, before the next endpoint is tried), `CHAIN_ID`,
 * `REGISTRY_ADDRESS`, `ISSUER_IDS` (e.g. `CSB`), and per issuer `<ID>_SIGNER_KEYSTORE` +
 * `<ID>_SIGNER_PASSWORD` (an encrypted JSON keystore: never a plaintext key) and either
 * `<ID>_PADES_P12` + `<ID>_PADES_P12_PASSWORD` or `<ID>_PADES_CERT` + `<ID>_PADES_KEY`.
 * Officers sign in through `OIDC_ISSUER_URL` (with `OIDC_CLIENT_ID`, `OIDC_CLIENT_SECRET`; without it in
 * production, officer sign-in is off; the embedded default runs its own provider).
 */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ConfigError("INVALID_VALUE", `${String(issue.path[0])}: ${issue.message}`, {
      details: { variable: String(issue.path[0]) },
    });
  }
  const e = parsed.data;
  const production = [e.CHAIN_RPC_URLS, e.CHAIN_ID, e.REGISTRY_ADDRESS].some((v) => v !== undefined);
  let chain: Config["chain"];
  if (production) {
    for (const key of ["CHAIN_RPC_URLS", "CHAIN_ID", "REGISTRY_ADDRESS", "ISSUER_IDS"] as const) {
      if (e[key] === undefined)
        throw new ConfigError(
          "MISSING_VALUE",
          `${key}: required when a chain is configured (CHAIN_RPC_URLS, CHAIN_ID, REGISTRY_ADDRESS)`,
          { details: { variable: key } },
        );
    }
    const rpcUrls = e
      .CHAIN_RPC_URLS!.split(",")
      .map((u) => u.trim())
      .filter(Boolean);
    for (const url of rpcUrls) {
      // HTTP only: the verifiers (the page, the CLI, POST /verify) read the chain over HTTP JSON-RPC.
      if (!/^https?:\/\//.test(url))
        throw new ConfigError(
          "INVALID_VALUE",
          `CHAIN_RPC_URLS: only http:// and https:// endpoints are supported, not ${redact(url)}`,
          { details: { variable: "CHAIN_RPC_URLS" } },
        );
    }
    const signers: NonNullable<Config["chain"]>["signers"] = {};
    const pades: NonNullable<Config["chain"]>["pades"] = {};
    for (const id of e
      .ISSUER_IDS!.split(",")
      .map((s) => s.trim())
      .filter(Boolean)) {
      const need = (name: string) => {
        const value = env[`${id}_${name}`];
        if (!value)
          throw new ConfigError("MISSING_VALUE", `${id}_${name}: required for issuer ${id}`, {
            details: { variable: `${id}_${name}` },
          });
        return value;
      };
      signers[id] = { keystoreFile: need("SIGNER_KEYSTORE"), password: need("SIGNER_PASSWORD") };
      pades[id] = env[`${id}_PADES_P12`]
        ? { p12File: need("PADES_P12"), p12Password: need("PADES_P12_PASSWORD") }
        : { certFile: need("PADES_CERT"), keyFile: need("PADES_KEY") };
    }
    chain = {
      rpcUrls,
      chainId: e.CHAIN_ID!,
      rpcTimeoutMs: e.CHAIN_RPC_TIMEOUT_MS,
      registry: e.REGISTRY_ADDRESS!,
      signers,
      pades,
    };
  }
  const oidc = oidcOf(e, production);
  if (e.SMTP_URL !== undefined && e.MAIL_FROM === undefined)
    throw new ConfigError("MISSING_VALUE", "MAIL_FROM: required when SMTP_URL is set", {
      details: { variable: "MAIL_FROM" },
    });
  return {
    port: e.PORT,
    host: e.HOST,
    dataDir: path.resolve(e.DATA_DIR),
    databaseUrl: e.DATABASE_URL,
    verifierUrl: e.VERIFIER_URL?.replace(/\/+$/, ""),
    chain,
    batchSize: e.BATCH_SIZE,
    batchWaitMs: e.BATCH_WAIT_MS,
    confirmations: e.CONFIRMATIONS,
    leaseTtlMs: e.LEASE_TTL_MS,
    anchorRecheckMs: e.ANCHOR_RECHECK_MS,
    verifyThreads: e.VERIFY_THREADS,
    maxBodyBytes: e.MAX_BODY_BYTES,
    publicRateLimit: e.PUBLIC_RATE_LIMIT,
    mail: e.SMTP_URL !== undefined ? { smtpUrl: e.SMTP_URL, from: e.MAIL_FROM! } : undefined,
    claimUrl: e.CLAIM_URL?.replace(/\/+$/, ""),
    logLevel: e.LOG_LEVEL,
    approvals: e.APPROVALS === "all" || e.APPROVALS === "none" ? e.APPROVALS : e.APPROVALS.split(","),
    oidc,
    session: { idleMinutes: e.SESSION_IDLE_MINUTES, hours: e.SESSION_HOURS },
  };
}

/**
 * Officers' sign-in from the OIDC_ variables: a configured provider (OIDC_ISSUER_URL with
 * OIDC_CLIENT_ID and OIDC_CLIENT_SECRET), else the embedded provider in the embedded default, else off.
 */
function oidcOf(e: z.infer<typeof envSchema>, production: boolean): Config["oidc"] {
  if (e.OIDC_ISSUER_URL === undefined) {
    for (const key of ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET", "OIDC_REDIRECT_URL"] as const)
      if (e[key] !== undefined)
        throw new ConfigError("MISSING_VALUE", `OIDC_ISSUER_URL: required when ${key} is set`, {
          details: { variable: "OIDC_ISSUER_URL" },
        });
    return production ? undefined : "embedded";
  }
  for (const key of ["OIDC_CLIENT_ID", "OIDC_CLIENT_SECRET"] as const)
    if (e[key] === undefined)
      throw new ConfigError("MISSING_VALUE", `${key}: required when OIDC_ISSUER_URL is set`, {
        details: { variable: key },
      });
  const issuer = new URL(e.OIDC_ISSUER_URL);
  const local = issuer.hostname === "localhost" || issuer.hostname === "127.0.0.1" || issuer.hostname === "[::1]";
  const allowInsecure = e.OIDC_ALLOW_HTTP === "true" || (issuer.protocol === "http:" && local);
  if (issuer.protocol === "http:" && !allowInsecure)
    throw new ConfigError(
      "INVALID_VALUE",
      "OIDC_ISSUER_URL: must be https:// (http only for localhost or 127.0.0.1, or with OIDC_ALLOW_HTTP=true)",
      { details: { variable: "OIDC_ISSUER_URL" } },
    );
  const scopes = e.OIDC_SCOPES.split(" ");
  return {
    issuerUrl: e.OIDC_ISSUER_URL,
    clientId: e.OIDC_CLIENT_ID!,
    clientSecret: e.OIDC_CLIENT_SECRET!,
    redirectUrl: e.OIDC_REDIRECT_URL,
    departmentClaim: e.OIDC_DEPARTMENT_CLAIM,
    rolesClaim: e.OIDC_ROLES_CLAIM,
    scopes: (scopes.includes("openid") ? scopes : ["openid", ...scopes]).join(" "),
    allowInsecure,
  };
}

/**
 * Whether a URL path segment looks like a secret: JSON-RPC providers put the API key in the path
 * (Infura's `/v3/KEY`, Alchemy's `/v2/KEY`, Ankr's `/eth/KEY`). A run of letters, digits, `-` and `_`
 * of 16 or more with a digit among them, or of 20 or more of any of them; short ordinary words (`v3`,
 * `eth`, `rpc`, `api`) are not.
 */
function looksSecret(segment: string): boolean {
  if (!/^[A-Za-z0-9_-]+$/.test(segment)) return false;
  return segment.length >= 20 || (segment.length >= 16 && /\d/.test(segment));
}

/**
 * A URL for messages and logs: any user name, password or query removed, and each path segment that
 * looks like an API key ({@link looksSecret}) replaced by `***`.
 *
 * @example
 * redact("https://mainnet.infura.io/v3/0123456789abcdef0123456789abcdef") // "https://mainnet.infura.io/v3/***"
 * redact("https://user:pw@rpc.example.org/eth?key=abc") // "https://rpc.example.org/eth"
 */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    if (u.pathname.startsWith("/"))
      u.pathname = u.pathname
        .split("/")
        .map((segment) => (looksSecret(segment) ? "***" : segment))
        .join("/");
    return u.toString();
  } catch {
    return "(unparseable URL)";
  }
}

/** A URL someone typed, for a usage message: {@link redact}ed, or (when it does not parse) cut short with its user info and long runs hidden. */
export function shownUrl(url: string): string {
  const shown = redact(url);
  if (shown !== "(unparseable URL)") return shown.slice(0, 120);
  return url
    .replace(/\/\/[^/@]*@/, "//***@")
    .replace(/[\w-]{16,}/g, "***")
    .slice(0, 80);
}
