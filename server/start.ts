import { createHash, randomBytes, randomUUID } from "node:crypto";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { BrowserProvider, Contract, Wallet, encodeBytes32String, type AbstractProvider } from "ethers";
import { pino, type DestinationStream, type Logger } from "pino";
import { verify } from "../core/index.ts";
import { createApp } from "./api/app.ts";
import { readinessChecks } from "./api/health-routes.ts";
import { mountVerifier } from "./api/verifier-routes.ts";
// Type only: the local chain (Hardhat, EDR, Ignition) is loaded by the embedded default alone, below.
import type { LocalChainResult } from "./chain/local-chain.ts";
import { loadIssuersFile } from "./chain/issuers.ts";
import { cachingReader } from "./chain/caching-reader.ts";
import { createChainProvider } from "./chain/chain-provider.ts";
import { IssuerChain } from "./chain/issuer-chain.ts";
import type { Config } from "./config.ts";
import { openStore } from "./db/open-store.ts";
import type { Store } from "./db/store.ts";
import { IssuanceService, type IssuerProfile } from "./issuance/issuance-service.ts";
import { Mailer } from "./mail/mailer.ts";
import { SmtpSink } from "./mail/smtp-sink.ts";
import { mountDevOutbox } from "./api/outbox-routes.ts";
import { createMetrics, type Metrics } from "./metrics.ts";
import { loadSigningIdentity } from "./pdf/signing-identity.ts";
import { ensureDevPki } from "./pki/dev-pki.ts";
import { VerifyWorkers } from "./verification/verify-workers.ts";
import { setUpOfficerSignIn } from "./auth/sign-in.ts";

/** What the service's logger never writes: keys, cookies, passwords, private keys, the OIDC client secret. */
export const LOG_REDACT_PATHS = [
  "req.headers.authorization",
  "req.headers.cookie",
  "*.password",
  "*.privateKey",
  "*.clientSecret",
  "*.oidc.clientSecret",
];

/** What `DATA_DIR/dev.json` holds for the embedded default (DESIGN.md "Embedded default"). */
export interface DevJson {
  apiUrl: string;
  verifierUrl: string;
  rpcUrl: string;
  chainId: number;
  registry: string;
  apiKeys: Record<string, string>;
  /**
   * The local chain's own JSON-RPC URL (reads and writes), for the governance admin's tool
   * (`certs admin`): `rpcUrl` is the public read-only proxy, which refuses transactions.
   */
  chainRpcUrl: string;
  /** The development officers of the embedded provider (`server/auth/dev-officers.ts`), to sign in with. */
  officers: { username: string; password: string; issuerId: string; roles: string[]; name: string }[];
}

export interface RunningServer {
  url: string;
  config: Config;
  store: Store;
  issuance: IssuanceService;
  /** This instance's Prometheus registry and metrics (`GET /metrics`). */
  metrics: Metrics;
  /** Set for the embedded default. */
  dev?: DevJson;
  /** The sender of candidates' e-mails; undefined when e-mail is off (production mode without SMTP_URL). */
  mailer?: Mailer;
  /** The embedded default's SMTP sink (without SMTP_URL): what `GET /dev/outbox` shows. */
  outbox?: SmtpSink;
  /** The embedded default's local chain, with its full (not read-only) JSON-RPC URL: for tests and tools. */
  localChain?: { rpcUrl: string };
  /** Stops accepting requests, finishes the pipeline step in progress, closes the database and chain. */
  stop(): Promise<void>;
}

/**
 * Starts the issuer service. With no chain configured, this is the embedded default: a local chain
 * (kept across restarts), the registry, CSB and FSD with development keys and a development CA, SQLite
 * under DATA_DIR, and `DATA_DIR/dev.json`.
 */
export async function startServer(
  config: Config,
  /** `log`: a logger to use as it is; `logStream`: where this service's own logger writes (tests read it). */
  options: { log?: Logger; logStream?: DestinationStream } = {},
): Promise<RunningServer> {
  const log =
    options.log ??
    pino(
      {
        level: config.logLevel,
        redact: LOG_REDACT_PATHS,
      },
      options.logStream,
    );
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });

  let local: LocalChainResult | undefined;
  let provider: AbstractProvider;
  let chainId: number;
  let registry: string;
  const signers: Record<string, Wallet> = {};
  const issuers: Record<string, IssuerProfile> = {};
  let rpcBackend: { request(args: { method: string; params?: unknown[] }): Promise<unknown> };

  if (!config.chain) {
    // Loaded here, not imported at the top: production mode never loads Hardhat (a devDependency).
    const { DEV_ISSUERS_FILE, DEV_KEYS, startLocalChain } = await import("./chain/local-chain.ts");
    local = await startLocalChain({ dataDir: config.dataDir, persist: true, port: 0 });
    provider = new BrowserProvider(local.provider, undefined, { cacheTimeout: -1 });
    chainId = local.chainId;
    registry = local.registry;
    rpcBackend = local.provider;
    const devIssuers = await loadIssuersFile(DEV_ISSUERS_FILE, { DATA_DIR: config.dataDir });
    const pki = await ensureDevPki(path.join(config.dataDir, "pki"), devIssuers);
    for (const issuer of devIssuers) {
      const id = issuer.id as keyof typeof DEV_KEYS;
      signers[id] = new Wallet(DEV_KEYS[id], provider);
      const identity = await loadSigningIdentity(pki.departments[id]);
      issuers[id] = { id, nameEn: issuer.nameEn, nameZh: issuer.nameZh, domain: issuer.domain, identity };
    }
  } else {
    const c = config.chain;
    // Every endpoint in turn, each request bounded by CHAIN_RPC_TIMEOUT_MS, failing endpoints rested.
    const chainProvider = createChainProvider(c.rpcUrls, c.chainId, { timeoutMs: c.rpcTimeoutMs, log });
    provider = chainProvider;
    chainId = c.chainId;
    registry = c.registry;
    rpcBackend = { request: ({ method, params }) => chainProvider.send(method, params ?? []) };
    const registryView = new Contract(
      registry,
      [
        "function issuer(bytes32) view returns ((bytes32 id, uint32 number, bool active, uint64 stoppedAt, string nameEn, string nameZh, string domain, bytes32 signingCertificate, address[] signers))",
      ],
      provider,
    );
    for (const [id, s] of Object.entries(c.signers)) {
      const wallet = await Wallet.fromEncryptedJson(await readFile(s.keystoreFile, "utf8"), s.password);
      signers[id] = wallet.connect(provider) as Wallet;
      const onChain = await registryView.issuer(encodeBytes32String(id));
      issuers[id] = {
        id,
        nameEn: onChain.nameEn,
        nameZh: onChain.nameZh,
        domain: onChain.domain,
        identity: await loadSigningIdentity(c.pades[id]),
      };
    }
  }

  const store = await openStore(config.databaseUrl, config.dataDir);
  const chain = new IssuerChain({ provider, registry, signers, confirmations: local ? 0 : config.confirmations, log });

  // Listen first: the verifier URL printed on certificates defaults to this server's own address.
  const server: Server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${config.host === "0.0.0.0" ? "127.0.0.1" : config.host}:${address.port}`;
  const verifierUrl = config.verifierUrl ?? url;
  const metrics = createMetrics({ store });
  const issuance = new IssuanceService({
    store,
    chain,
    chainId,
    registry,
    issuers,
    verifierUrl,
    batchSize: config.batchSize,
    batchWaitMs: config.batchWaitMs,
    log,
    metrics,
    signerAddresses: Object.fromEntries(Object.entries(signers).map(([id, wallet]) => [id, wallet.address])),
    leaseTtlMs: config.leaseTtlMs,
    anchorRecheckMs: config.anchorRecheckMs,
    approvals: (issuerId) =>
      config.approvals === "all" || (config.approvals !== "none" && config.approvals.includes(issuerId)),
  });
  // Candidates' e-mail (server/mail/): SMTP_URL, or in the embedded default its own SMTP sink; in
  // production mode without SMTP_URL the e-mails wait in the outbox.
  const outbox =
    !config.mail && local ? await SmtpSink.start({ dir: path.join(config.dataDir, "outbox"), log }) : undefined;
  const smtp = config.mail
    ? { url: config.mail.smtpUrl, from: config.mail.from }
    : outbox && { url: outbox.url, from: "HK e-Cert (development) <no-reply@ecert.localhost>" };
  const mailer = smtp
    ? new Mailer({
        store,
        issuers,
        claimUrl: config.claimUrl ?? verifierUrl,
        smtp,
        log,
        holder: issuance.instanceId,
        leaseTtlMs: config.leaseTtlMs,
      })
    : undefined;
  const trusted = { chainId, registry };
  // POST /verify reads through one cache in both modes (an eth_call answer kept for its block): the local
  // chain, or the configured endpoints through the failover provider (each request bounded, failing
  // endpoints rested).
  const verifyWith = cachingReader(rpcBackend);
  const verifyWorkers =
    config.verifyThreads > 0 ? new VerifyWorkers(verifyWith, { trusted }, config.verifyThreads) : undefined;
  // Officers' sign-in (server/auth/): the embedded provider, OIDC_ISSUER_URL's, or off.
  const signIn = await setUpOfficerSignIn({ config, serverUrl: url, store, issuerIds: Object.keys(issuers), log });
  server.on(
    "request",
    createApp({
      claimUrl: config.claimUrl ?? verifierUrl,
      sessions: signIn.sessions,
      signIn: signIn.routes,
      store,
      issuance,
      log,
      maxBodyBytes: config.maxBodyBytes,
      rpc: { backend: rpcBackend, registry },
      publicRateLimit: config.publicRateLimit,
      verify: (input) => verifyWorkers?.verify(input) ?? verify(input, { providers: [verifyWith], trusted }),
      extend: (app) => {
        if (outbox) mountDevOutbox(app, outbox);
        mountVerifier(app, { rpcUrls: ["/rpc"], chainId, registry, log });
      },
      metrics,
      readiness: readinessChecks({
        store,
        provider,
        registry,
        signers: Object.fromEntries(Object.entries(signers).map(([id, wallet]) => [id, wallet.address])),
      }),
    }),
  );
  issuance.start();
  mailer?.start();
  if (!mailer) log.info("e-mail is off (no SMTP_URL): candidates' e-mails wait in the outbox until it is set");
  else log.info({ smtp: mailer.server, ...(outbox ? { outbox: `${url}/dev/outbox` } : {}) }, "e-mail on");

  let dev: DevJson | undefined;
  if (local) {
    dev = {
      apiUrl: `${url}/api/v1`,
      verifierUrl,
      rpcUrl: `${url}/rpc`,
      chainId,
      registry,
      apiKeys: await devApiKeys(store, config.dataDir, Object.keys(issuers)),
      chainRpcUrl: local.rpcUrl,
      officers: (signIn.officers ?? []).map(({ username, password, issuerId, roles, name }) => ({
        username,
        password,
        issuerId,
        roles,
        name,
      })),
    };
    await writeFile(path.join(config.dataDir, "dev.json"), `${JSON.stringify(dev, null, 2)}\n`, { mode: 0o600 });
  }
  log.info({ url, verifierUrl, chainId, registry }, "HK e-Cert issuer service started");

  let stopping: Promise<void> | undefined;
  return {
    url,
    config,
    store,
    issuance,
    metrics,
    dev,
    ...(mailer ? { mailer } : {}),
    ...(outbox ? { outbox } : {}),
    ...(local ? { localChain: { rpcUrl: local.rpcUrl } } : {}),
    stop: () =>
      (stopping ??= (async () => {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        server.closeAllConnections();
        await issuance.stop();
        await mailer?.stop();
        await outbox?.close();
        await verifyWorkers?.close();
        await store.close();
        await local?.close();
        log.info("stopped");
      })()),
  };
}

/**
 * The development API keys: kept in `DATA_DIR/dev.json` across restarts (only their hashes are in the
 * database), created for any issuer that has none.
 */
async function devApiKeys(store: Store, dataDir: string, issuerIds: string[]): Promise<Record<string, string>> {
  let previous: Record<string, string> = {};
  try {
    previous = (JSON.parse(await readFile(path.join(dataDir, "dev.json"), "utf8")) as DevJson).apiKeys ?? {};
  } catch {
    // first start
  }
  const keys: Record<string, string> = {};
  for (const issuerId of issuerIds) {
    const existing = previous[issuerId];
    if (existing && (await store.findApiKeyByHash(sha256(existing)))) {
      keys[issuerId] = existing;
      continue;
    }
    const key = `dev_${issuerId.toLowerCase()}_${randomBytes(24).toString("base64url")}`;
    await store.insertApiKey({
      id: randomUUID(),
      issuerId,
      label: "development",
      keyHash: sha256(key),
      createdAt: new Date().toISOString(),
      revokedAt: null,
    });
    keys[issuerId] = key;
  }
  return keys;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
