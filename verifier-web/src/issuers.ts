/**
 * # The issuer directory (`issuers.html`)
 *
 * Every department registered in the trusted registry, read in the browser from the registry's events
 * over the JSON-RPC endpoints of `config.json` (`eth_getLogs` of the registry only, in windows of at most
 * 10,000 blocks from `registryFromBlock`, default 0): its names, website, signing-certificate
 * fingerprints (current and withdrawn) and whether it is active, deactivated or stopped, so that an
 * employer can see who may issue. The endpoints are tried in turn (each must serve the trusted chain id);
 * the page names the one it read from. It is information, not a verdict: certificates are checked on the
 * verifier page, which reads each one's status itself.
 */
import { toHex, utf8 } from "../../core/bytes.ts";
import { keccak256Bytes } from "../../core/keccak.ts";
import { createJsonRpcProvider } from "../../core/verify/jsonRpc.ts";
import { TEST_CHAIN_IDS } from "../../core/verify/test-network.ts";
import { loadConfig } from "./config.ts";
import type { VerifierConfig } from "./config.ts";
import { byId, h } from "./dom.ts";
import { fieldList, formatDateTime } from "./format.ts";
import { PageLanguage } from "./language.ts";
import { t } from "./strings.ts";
import type { Language, StringKey } from "./strings.ts";

const topic = (signature: string): string => toHex(keccak256Bytes(utf8(signature)));

const EVENTS = {
  registered: topic("IssuerRegistered(bytes32,uint32,string,string,string,bytes32)"),
  updated: topic("IssuerUpdated(bytes32,string,string,string)"),
  active: topic("IssuerActiveChanged(bytes32,bool)"),
  stopped: topic("IssuerStopped(bytes32,uint64)"),
  certificateAdded: topic("SigningCertificateAdded(bytes32,bytes32)"),
  certificateRemoved: topic("SigningCertificateRemoved(bytes32,bytes32)"),
};

/** The widest block range one `eth_getLogs` asks for (the issuer server's `/rpc` allows 10,000). */
const LOG_WINDOW = 10_000;

/** A registered department as its events describe it. */
export type DirectoryIssuer = {
  /** The issuer id as text (`CSB`), or its bytes32 hex when it is not text. */
  id: string;
  number: number;
  nameEn: string;
  nameZh: string;
  domain: string;
  active: boolean;
  /** Unix seconds, when the admin stopped it (every signer cut off). */
  stoppedAt?: number;
  /** SHA-256 fingerprints, in the order registered; `withdrawn` once removed. */
  certificates: { fingerprint: string; withdrawn: boolean }[];
};

type Log = { topics: string[]; data: string };

/** The issuers described by the registry's logs, in the order they were registered. */
export function issuersFromLogs(logs: Log[]): DirectoryIssuer[] {
  const byId = new Map<string, DirectoryIssuer>();
  for (const log of logs) {
    const [event, idTopic] = log.topics;
    const words = (log.data ?? "0x").slice(2);
    const word = (i: number) => words.slice(i * 64, (i + 1) * 64);
    const text = (i: number) => {
      const offset = Number.parseInt(word(i), 16) * 2;
      const length = Number.parseInt(words.slice(offset, offset + 64), 16);
      const hex = words.slice(offset + 64, offset + 64 + length * 2);
      const bytes = new Uint8Array(hex.length / 2);
      for (let b = 0; b < bytes.length; b++) bytes[b] = Number.parseInt(hex.slice(b * 2, b * 2 + 2), 16);
      return new TextDecoder().decode(bytes);
    };
    if (event === EVENTS.registered) {
      byId.set(idTopic, {
        id: issuerIdText(idTopic),
        number: Number.parseInt(log.topics[2].slice(2), 16),
        nameEn: text(0),
        nameZh: text(1),
        domain: text(2),
        active: true,
        certificates: /^0+$/.test(word(3)) ? [] : [{ fingerprint: `0x${word(3)}`, withdrawn: false }],
      });
      continue;
    }
    const issuer = byId.get(idTopic);
    if (!issuer) continue;
    if (event === EVENTS.updated) Object.assign(issuer, { nameEn: text(0), nameZh: text(1), domain: text(2) });
    else if (event === EVENTS.active) issuer.active = !/^0+$/.test(word(0));
    else if (event === EVENTS.stopped) {
      issuer.active = false;
      issuer.stoppedAt = Number.parseInt(word(0), 16);
    } else if (event === EVENTS.certificateAdded || event === EVENTS.certificateRemoved) {
      const fingerprint = log.topics[2];
      const known = issuer.certificates.find((c) => c.fingerprint === fingerprint);
      const withdrawn = event === EVENTS.certificateRemoved;
      if (known) known.withdrawn = withdrawn;
      else issuer.certificates.push({ fingerprint, withdrawn });
    }
  }
  return [...byId.values()];
}

/** A bytes32 issuer id as its text (`CSB`) when it is printable ASCII padded with zeros, else the hex. */
function issuerIdText(hex: string): string {
  const bytes =
    hex
      .slice(2)
      .match(/../g)
      ?.map((b) => Number.parseInt(b, 16)) ?? [];
  const end = bytes.indexOf(0) < 0 ? bytes.length : bytes.indexOf(0);
  const printable = end > 0 && bytes.slice(0, end).every((b) => b >= 0x20 && b < 0x7f);
  return printable && bytes.slice(end).every((b) => b === 0) ? String.fromCharCode(...bytes.slice(0, end)) : hex;
}

/** Reads the directory from the first endpoint that serves the trusted chain and answers every window. */
async function readDirectory(config: VerifierConfig): Promise<{ issuers: DirectoryIssuer[]; endpoint: string }> {
  let lastError: unknown = new Error("no endpoint");
  for (const url of config.rpcUrls) {
    const reader = createJsonRpcProvider(url, {
      timeoutMs: 10_000,
      fetch: (input, init) =>
        fetch(input, { ...init, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" }),
    });
    try {
      const chainId = Number(await reader.request({ method: "eth_chainId", params: [] }));
      if (chainId !== config.chainId) throw new Error(`${url} serves chain ${chainId}`);
      const latest = Number(await reader.request({ method: "eth_blockNumber", params: [] }));
      const logs: Log[] = [];
      for (let from = config.registryFromBlock ?? 0; from <= latest; from += LOG_WINDOW) {
        const to = Math.min(latest, from + LOG_WINDOW - 1);
        const answer = await reader.request({
          method: "eth_getLogs",
          params: [
            {
              address: config.registry,
              topics: [Object.values(EVENTS)],
              fromBlock: `0x${from.toString(16)}`,
              toBlock: `0x${to.toString(16)}`,
            },
          ],
        });
        if (!Array.isArray(answer)) throw new Error(`${url} answered eth_getLogs with something that is not a list`);
        logs.push(...(answer as Log[]));
      }
      return { issuers: issuersFromLogs(logs), endpoint: new URL(url).host };
    } catch (error) {
      lastError = error;
    }
  }
  throw lastError;
}

// ---------------------------------------------------------------------------------------------
// The page
// ---------------------------------------------------------------------------------------------

type State =
  | { kind: "loading" }
  | { kind: "ready"; issuers: DirectoryIssuer[]; endpoint: string }
  | { kind: "problem"; key: StringKey };

let state: State = { kind: "loading" };
let config: VerifierConfig | undefined;
const container = byId("issuers");

const language = new PageLanguage<StringKey>(t, draw);

function draw(): void {
  const { lang } = language;
  container.setAttribute("aria-busy", String(state.kind === "loading"));
  byId("footer-registry").textContent = config
    ? t("footer.registry", lang, { chainId: String(config.chainId), registry: config.registry })
    : "";
  byId("footer-endpoints").textContent =
    state.kind === "ready" ? t("issuers.readFrom", lang, { endpoint: state.endpoint }) : "";
  if (state.kind === "loading") container.replaceChildren(h("p", {}, t("issuers.loading", lang)));
  else if (state.kind === "problem")
    container.replaceChildren(h("div", { class: "problem", role: "alert" }, h("p", {}, t(state.key, lang))));
  else {
    container.dataset.count = String(state.issuers.length);
    const testNetwork = config ? TEST_CHAIN_IDS.get(config.chainId) : undefined;
    const nodes = [
      // As on the verifier page: a development or test registry's departments are not the government's.
      testNetwork && config
        ? h(
            "div",
            { class: "test-network", "data-test-network": "chain" },
            h(
              "div",
              {},
              h("p", { class: "test-network__title" }, t("network.title", lang)),
              h("p", {}, t("network.chain", lang, { chainId: String(config.chainId), name: testNetwork })),
            ),
          )
        : null,
      h("h2", { class: "issuers__heading" }, t("issuers.heading", lang, { count: String(state.issuers.length) })),
      ...state.issuers.map((issuer) => renderIssuer(issuer, lang)),
    ].filter((node): node is HTMLElement => node !== null);
    container.replaceChildren(...nodes);
  }
}

function renderIssuer(issuer: DirectoryIssuer, lang: Language): HTMLElement {
  const id = `issuer-${issuer.number}`;
  const status = issuer.stoppedAt
    ? t("issuers.stopped", lang, { at: formatDateTime(new Date(issuer.stoppedAt * 1000).toISOString(), lang) })
    : t(issuer.active ? "issuers.active" : "issuers.inactive", lang);
  const website = /^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i.test(issuer.domain)
    ? h("a", { href: `https://${issuer.domain}/`, rel: "noopener noreferrer" }, issuer.domain)
    : issuer.domain;
  const certificates = issuer.certificates.length
    ? h(
        "ul",
        { class: "list-value" },
        ...issuer.certificates.map((c) =>
          h(
            "li",
            { "data-fingerprint": c.fingerprint, "data-withdrawn": String(c.withdrawn) },
            h("code", { class: "hex" }, c.fingerprint),
            c.withdrawn ? ` ${t("issuers.withdrawn", lang)}` : null,
          ),
        ),
      )
    : t("issuers.noCertificate", lang);
  return h(
    "section",
    {
      class: "panel issuer-entry",
      "aria-labelledby": id,
      "data-issuer": issuer.id,
      "data-issuer-state": issuer.stoppedAt ? "stopped" : issuer.active ? "active" : "inactive",
    },
    h("h3", { id }, lang === "en" ? issuer.nameEn : issuer.nameZh),
    fieldList([
      [
        t("issuers.otherName", lang),
        h("span", { lang: lang === "en" ? "zh-HK" : "en" }, lang === "en" ? issuer.nameZh : issuer.nameEn),
      ],
      [t("issuer.id", lang), issuer.id],
      [t("issuer.domain", lang), website],
      [t("issuers.status", lang), status],
      [t("issuers.certificates", lang), certificates],
    ]),
  );
}

language.apply();
loadConfig()
  .then(async (loaded) => {
    config = loaded;
    draw();
    try {
      state = { kind: "ready", ...(await readDirectory(loaded)) };
    } catch (error) {
      console.error("The registry could not be read:", error);
      state = { kind: "problem", key: "issuers.unreachable" };
    }
  })
  .catch((error: unknown) => {
    console.error("The verifier's configuration could not be read:", error);
    state = { kind: "problem", key: "error.config" };
  })
  .finally(() => {
    draw();
    document.body.classList.add("ready");
  });
