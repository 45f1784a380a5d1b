/**
 * The page's configuration, `config.json` next to `index.html`:
 * `{ "rpcUrls": ["https://rpc-1.example.hk", "/rpc"], "chainId": 31337, "registry": "0x...", "quorum": 2 }`.
 * The chain id and registry are the ones this verifier trusts (never taken from a certificate); the
 * JSON-RPC endpoints are tried in turn, or, with `quorum` k >= 2, all read at one agreed block and k of
 * them must agree (none may disagree). A relative endpoint is resolved against the address of
 * `config.json` (so `"/rpc"` means "this web server's /rpc"). `explorerUrl` (optional) is a block
 * explorer's address, `https://explorer.example.hk/`, under which the page links an anchoring
 * transaction as `tx/<hash>` (as Etherscan and Blockscout do).
 */
import { parseStrictJson } from "../../core/strictJson.ts";

export type VerifierConfig = {
  /** Absolute http(s) URLs. */
  rpcUrls: string[];
  chainId: number;
  registry: string;
  /** How many endpoints must agree: 1 (the default: the first that answers) to `rpcUrls.length`. */
  quorum: number;
  /** A block explorer's absolute http(s) base URL, ending in `/`, without credentials, query or fragment. */
  explorerUrl?: string;
  /** The block the registry was deployed in (the issuer directory reads its events from there); default 0. */
  registryFromBlock?: number;
};

/**
 * Reads and checks `config.json`.
 *
 * @param url where the configuration is, relative to the page (default `config.json`).
 * @returns the configuration with absolute endpoint URLs.
 * @throws Error naming what is missing or wrong (shown to the site's operator in the console).
 */
export async function loadConfig(
  url = "config.json",
  fetchImpl: typeof fetch = (input, init) => fetch(input, init),
): Promise<VerifierConfig> {
  const address = new URL(url, document.baseURI);
  const response = await fetchImpl(address, { cache: "no-cache", credentials: "omit" });
  if (!response.ok) throw new Error(`${address.pathname}: HTTP ${response.status}`);
  let json: unknown;
  try {
    json = parseStrictJson(await response.text());
  } catch (error) {
    throw new Error(`config.json: ${error instanceof Error ? error.message : "not JSON"}`, { cause: error });
  }
  return parseConfig(json, address);
}

/**
 * Checks a parsed configuration and resolves its endpoints against `base`.
 *
 * @throws Error naming the key that is wrong.
 */
export function parseConfig(json: unknown, base: URL): VerifierConfig {
  if (typeof json !== "object" || json === null || Array.isArray(json))
    throw new Error("config.json: not a JSON object");
  const { rpcUrls, chainId, registry, quorum = 1, explorerUrl, registryFromBlock } = json as Record<string, unknown>;
  if (!Array.isArray(rpcUrls) || rpcUrls.length === 0 || !rpcUrls.every((u) => typeof u === "string")) {
    throw new Error("config.json: rpcUrls must be a non-empty list of JSON-RPC endpoint URLs");
  }
  const resolved = rpcUrls.map((u: string, i) => {
    const endpoint = new URL(u, base);
    if (endpoint.protocol !== "http:" && endpoint.protocol !== "https:")
      throw new Error(`config.json: rpcUrls[${i}] is not an http(s) URL`);
    return endpoint.href;
  });
  if (typeof chainId !== "number" || !Number.isSafeInteger(chainId) || chainId <= 0)
    throw new Error("config.json: chainId must be a positive integer");
  if (typeof registry !== "string" || !/^0x[0-9a-fA-F]{40}$/.test(registry))
    throw new Error("config.json: registry must be a 0x-prefixed contract address");
  if (typeof quorum !== "number" || !Number.isSafeInteger(quorum) || quorum < 1 || quorum > resolved.length) {
    throw new Error(
      `config.json: quorum must be an integer from 1 to the number of rpcUrls (${resolved.length}), not ${JSON.stringify(quorum)}`,
    );
  }
  const config: VerifierConfig = { rpcUrls: resolved, chainId, registry, quorum };
  if (explorerUrl !== undefined) config.explorerUrl = parseExplorerUrl(explorerUrl);
  if (registryFromBlock !== undefined) {
    if (typeof registryFromBlock !== "number" || !Number.isSafeInteger(registryFromBlock) || registryFromBlock < 0)
      throw new Error(
        `config.json: registryFromBlock must be a block number (an integer from 0), not ${JSON.stringify(registryFromBlock)}`,
      );
    config.registryFromBlock = registryFromBlock;
  }
  return config;
}

/** `explorerUrl`, checked: an absolute http(s) URL ending in `/`, no credentials, query or fragment. */
function parseExplorerUrl(value: unknown): string {
  const wrong = `config.json: explorerUrl must be a block explorer's absolute http(s) address ending in "/" (e.g. "https://explorer.example.hk/"), without credentials, query or fragment, not ${JSON.stringify(value)}`;
  if (typeof value !== "string" || !URL.canParse(value)) throw new Error(wrong);
  const url = new URL(value);
  const plain = !url.username && !url.password && !value.includes("?") && !value.includes("#");
  if (
    (url.protocol !== "https:" && url.protocol !== "http:") ||
    !plain ||
    !url.pathname.endsWith("/") ||
    url.href !== value
  )
    throw new Error(wrong);
  return url.href;
}
