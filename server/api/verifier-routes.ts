/**
 * The verifier page on the issuer server: the static build of `verifier-web/` at `/` (with the
 * candidate page at `/claim` and the department officer page at `/officer`), and its
 * `config.json` (the JSON-RPC endpoints, the trusted chain id and registry). The page checks
 * certificates in the browser and reads the chain through those endpoints (for the embedded default:
 * this server's read-only `/rpc` proxy); nothing about a document is sent to this server.
 *
 * The page is built when the server starts if `verifier-web/dist` is missing or older than its
 * sources (`ensureVerifierWebBuilt`, about a second with esbuild, in the background: requests for the
 * page wait for it). Requests that are not for the page (the API, `/rpc`) never wait.
 */
import express from "express";
import type { Logger } from "pino";
import { DEFAULT_VERIFIER_DIST, ensureVerifierWebBuilt } from "../../verifier-web/build.ts";
import { ApiError } from "./errors.ts";

/** The candidate page (`/claim`, the claim code after `#`) and the department officer page (`/officer`). */
const PORTAL_PAGES: Record<string, string> = { "/claim": "claim.html", "/officer": "officer.html" };

export type MountVerifierParameters = {
  /**
   * JSON-RPC endpoints the page reads the chain from, tried in turn. A relative URL (`"/rpc"`) is
   * resolved by the page against its own address, so it works under any host name the server is
   * reached by (and within the page's `connect-src 'self'`).
   */
  rpcUrls: string[];
  /** The chain id the page trusts. */
  chainId: number;
  /** The registry contract the page trusts. */
  registry: string;
  /** The built page. Default `verifier-web/dist`. */
  distDir?: string;
  /** `auto` (default): build at start when missing or stale; `never`: serve `distDir` as it is. */
  build?: "auto" | "never";
  log?: Logger;
};

/**
 * Mounts the verifier page at `/`, `/claim`, `/officer` and `/config.json`; use as `createApp`'s `extend`.
 *
 * @throws Error at once when the chain id, registry or endpoints are not valid.
 * @example
 * ```ts
 * createApp({ ..., extend: (app) => mountVerifier(app, { rpcUrls: ["/rpc"], chainId: 31337, registry }) });
 * ```
 */
export function mountVerifier(app: express.Express, parameters: MountVerifierParameters): void {
  const { rpcUrls, chainId, registry, log } = parameters;
  if (!Array.isArray(rpcUrls) || rpcUrls.length === 0 || rpcUrls.some((u) => typeof u !== "string" || u.length === 0)) {
    throw new Error("mountVerifier: rpcUrls must list at least one JSON-RPC endpoint");
  }
  if (!Number.isSafeInteger(chainId) || chainId <= 0)
    throw new Error("mountVerifier: chainId must be a positive integer");
  if (!/^0x[0-9a-fA-F]{40}$/.test(registry)) throw new Error("mountVerifier: registry must be a contract address");
  const distDir = parameters.distDir ?? DEFAULT_VERIFIER_DIST;

  // Build in the background; the page's requests wait for it, a failure is logged and answered 503.
  const ready: Promise<Error | undefined> =
    parameters.build === "never"
      ? Promise.resolve(undefined)
      : ensureVerifierWebBuilt({ outDir: distDir }).then(
          (outcome) => {
            if (outcome === "built") log?.info({ distDir }, "built the verifier page");
            return undefined;
          },
          (error: unknown) => {
            log?.error({ err: error }, "the verifier page could not be built");
            return error instanceof Error ? error : new Error(String(error));
          },
        );

  const config = JSON.stringify({ rpcUrls, chainId, registry });
  app.get("/config.json", (_req, res) => {
    res.setHeader("cache-control", "no-cache");
    res.type("application/json").send(config);
  });

  const page = express.static(distDir, {
    index: "index.html",
    dotfiles: "ignore",
    fallthrough: true,
    redirect: false,
    setHeaders(res, file) {
      // Hashed names (app-<hash>.js) never change; everything else is revalidated.
      res.setHeader(
        "cache-control",
        /-[A-Z0-9]{8}\.(js|css)(\.map)?$/.test(file) ? "public, max-age=31536000, immutable" : "no-cache",
      );
    },
  });
  app.use(async (req, res, next) => {
    if ((req.method !== "GET" && req.method !== "HEAD") || req.path.startsWith("/api/") || req.path === "/rpc")
      return next();
    const problem = await ready;
    const portal = PORTAL_PAGES[req.path];
    if (problem && (req.path === "/" || portal)) {
      throw new ApiError("VERIFIER_UNAVAILABLE", "The verifier page could not be built; see the server log");
    }
    if (portal) {
      res.setHeader("cache-control", "no-cache");
      // The officer page handles an API key: never let a referrer or a frame see it.
      res.setHeader("referrer-policy", "no-referrer");
      res.sendFile(portal, { root: distDir, dotfiles: "ignore" }, (error) => (error ? next(error) : undefined));
      return;
    }
    page(req, res, next);
  });
}
