/**
 * # The verifier page
 *
 * Everything happens in the browser: the certificate (a PDF or credential file dropped or chosen, a
 * pasted link, a QR URL opened directly or scanned with the camera) is checked by the same `verify`
 * core as the server and the CLI, which reads the registry over JSON-RPC from the endpoints in
 * `config.json`. Nothing about the document is sent anywhere: the only requests are `config.json` and
 * the chain reads (a QR URL's payload is in the fragment, which browsers never send).
 *
 * The result container is `aria-live="polite"` and takes the focus when a verdict arrives. The
 * language (English / 繁體中文) switches every text on the page, including a verdict already shown.
 */
import { BaseError } from "../../core/base-error.ts";
import { MAX_VERIFY_INPUT_BYTES, verify } from "../../core/verify/verify.ts";
import type { VerifyInput } from "../../core/verify/verify.ts";
import type { LocalizedMessage, VerificationResult } from "../../core/verify/types.ts";
import { CameraError, startScan } from "./camera.ts";
import type { Scanner } from "./camera.ts";
import { loadConfig } from "./config.ts";
import type { VerifierConfig } from "./config.ts";
import { byId, h } from "./dom.ts";
import { PageLanguage } from "./language.ts";
import { blockText, renderChecking, renderProblem, renderResult, sourceText } from "./render.ts";
import type { ResultView, Source } from "./render.ts";
import { t } from "./strings.ts";
import type { Message, StringKey } from "./strings.ts";

/** A QR code or link this page can check: a verifier URL with a `#1-` / `#1.` fragment, or the bare payload. */
const PAYLOAD_PATTERN = /^(https?:\/\/[^\s#]*#)?1[-.][0-9A-Za-z_-]/;

/** What is on screen, kept so that a language switch can draw it again. */
type ResultState =
  | { kind: "checking"; source: Source }
  | { kind: "result"; view: ResultView }
  | { kind: "problem"; message: Message }
  /** The input is not a certificate (a link to another site, a mistyped fragment): not a verdict. */
  | { kind: "notCertificateLink"; source: Source; detail?: LocalizedMessage }
  | { kind: "empty" };

const state = {
  config: undefined as VerifierConfig | undefined,
  configReady: undefined as unknown as Promise<VerifierConfig | undefined>,
  result: { kind: "empty" } as ResultState,
  /** Incremented for each verification; a slower, older one never overwrites a newer verdict. */
  sequence: 0,
  scanner: undefined as Scanner | undefined,
  /** The last input checked, for "Try again" after UNABLE TO CHECK. */
  last: undefined as { input: VerifyInput | (() => Promise<VerifyInput>); source: Source } | undefined,
};

const elements = {
  result: byId("result"),
  file: byId<HTMLInputElement>("file"),
  dropzone: byId("dropzone"),
  linkForm: byId<HTMLFormElement>("link-form"),
  link: byId<HTMLInputElement>("link"),
  linkMessage: byId("link-message"),
  scan: byId<HTMLButtonElement>("scan"),
  scanView: byId("scan-view"),
  video: byId<HTMLVideoElement>("scan-video"),
  scanMessage: byId("scan-message"),
  footerRegistry: byId("footer-registry"),
  footerEndpoints: byId("footer-endpoints"),
};

// ---------------------------------------------------------------------------------------------
// Texts
// ---------------------------------------------------------------------------------------------

/** The page language: the marked texts and the messages, then (after a switch too) what is drawn here. */
const language = new PageLanguage<StringKey>(t, () => {
  elements.scan.textContent = t(state.scanner ? "input.scanStop" : "input.scan", language.lang);
  renderFooter();
  drawResult(false);
});

function renderFooter(): void {
  const config = state.config;
  const { lang } = language;
  elements.footerRegistry.textContent = config
    ? t("footer.registry", lang, { chainId: String(config.chainId), registry: config.registry })
    : "";
  elements.footerEndpoints.textContent = config
    ? t("footer.endpoints", lang, {
        endpoints: config.rpcUrls.map((u) => new URL(u).host + new URL(u).pathname).join(", "),
      })
    : "";
}

// ---------------------------------------------------------------------------------------------
// The result area
// ---------------------------------------------------------------------------------------------

/** Draws `state.result`; `announce` moves the focus to it (a new verdict). */
function drawResult(announce: boolean): void {
  const container = elements.result;
  const current = state.result;
  const { lang } = language;
  container.setAttribute("aria-busy", String(current.kind === "checking"));
  delete container.dataset.status;
  delete container.dataset.reasons;
  delete container.dataset.elapsedMs;
  delete container.dataset.inputError;
  switch (current.kind) {
    case "empty":
      container.replaceChildren();
      return;
    case "checking":
      container.replaceChildren(...renderChecking(current.source, lang));
      break;
    case "problem":
      container.replaceChildren(...renderProblem(current.message, lang));
      break;
    case "notCertificateLink":
      container.dataset.inputError = "not-certificate-link";
      container.replaceChildren(
        ...renderProblem({ key: "input.notCertificateLink" }, lang, current.detail?.[lang]),
        h("p", { class: "source" }, sourceText(current.source, lang)),
      );
      break;
    case "result":
      container.dataset.status = current.view.result.status;
      container.dataset.reasons = current.view.result.reasons.join(" ");
      container.dataset.elapsedMs = String(Math.round(current.view.elapsedMs));
      container.replaceChildren(...renderResult(current.view, lang));
      break;
  }
  if (announce) {
    container.focus({ preventScroll: true });
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    container.scrollIntoView({ block: "start", behavior: still ? "auto" : "smooth" });
  }
}

/**
 * Checks one input and shows the verdict.
 *
 * @param startedAt `performance.now()` when the user gave the input (the drop, the choice ...).
 */
async function check(
  input: VerifyInput | (() => Promise<VerifyInput>),
  source: Source,
  startedAt: number,
): Promise<void> {
  const sequence = ++state.sequence;
  state.last = { input, source };
  state.result = { kind: "checking", source };
  drawResult(false);
  try {
    const config = await state.configReady;
    if (sequence !== state.sequence) return;
    if (!config) {
      state.result = { kind: "problem", message: { key: "error.config" } };
      drawResult(true);
      return;
    }
    const value = typeof input === "function" ? await input() : input;
    const calls: RegistryCall[] = [];
    const result = await verify(value, {
      providers: config.rpcUrls,
      trusted: { chainId: config.chainId, registry: config.registry },
      quorum: config.quorum,
      fetch: (url, init) => {
        noteRegistryCall(calls, String(url), init?.body);
        return fetch(url, { ...init, credentials: "omit", cache: "no-store", referrerPolicy: "no-referrer" });
      },
    });
    if (sequence !== state.sequence) return;
    // The block read at, when the registry's answers were taken (not when the chain could not be read).
    const chainRead = !result.reasons.some((r) => r === "CHAIN_UNREACHABLE" || r === "CHAIN_DISAGREEMENT");
    const last = chainRead ? calls.at(-1) : undefined;
    state.result = notACertificate(value, result)
      ? { kind: "notCertificateLink", source, detail: result.checks.find((c) => c.id === "well-formed")?.message }
      : {
          kind: "result",
          view: {
            result,
            source,
            elapsedMs: performance.now() - startedAt,
            network: { chainId: config.chainId, registry: config.registry, explorerUrl: config.explorerUrl },
            checkedAt: new Date(),
            verifier: location.origin + location.pathname,
            readAt: last && last.blockTag !== "latest" ? { block: Number(last.blockTag), latest: false } : undefined,
          },
        };
    drawResult(true);
    if (last?.blockTag === "latest" && state.result.kind === "result")
      void fillLatestBlock(state.result.view, last.url);
    return;
  } catch (error) {
    if (sequence !== state.sequence) return;
    console.error("verification failed", error);
    state.result = {
      kind: "problem",
      message: { key: error instanceof FileReadError ? "error.unreadable" : "error.internal" },
    };
  }
  drawResult(true);
}

/**
 * Whether a link (not a file, not credential JSON) gave nothing but MALFORMED, no credential read from it:
 * then it is not a certificate link (another site's address, a mistyped or cut fragment), an input error
 * the page says as such rather than an INVALID verdict about a document. The result itself is unchanged.
 */
function notACertificate(input: VerifyInput, result: VerificationResult): boolean {
  const isLink = (typeof input === "string" && !input.startsWith("{")) || (typeof input === "object" && "url" in input);
  return isLink && result.certificate === null && result.reasons.length === 1 && result.reasons[0] === "MALFORMED";
}

/** A registry read the page saw go out: the endpoint and the block it asked at (`latest`, or a block number). */
type RegistryCall = { url: string; blockTag: string };

/** Notes the `eth_call`s in a JSON-RPC request body (the status reads, the only calls the core makes). */
function noteRegistryCall(calls: RegistryCall[], url: string, body: unknown): void {
  if (typeof body !== "string") return;
  let request: unknown;
  try {
    request = JSON.parse(body);
  } catch {
    return;
  }
  for (const item of Array.isArray(request) ? request : [request]) {
    const { method, params } = (item ?? {}) as { method?: unknown; params?: unknown };
    const tag = Array.isArray(params) ? params[1] : undefined;
    if (method === "eth_call" && typeof tag === "string" && (tag === "latest" || /^0x[0-9a-f]{1,16}$/i.test(tag)))
      calls.push({ url, blockTag: tag });
  }
}

/**
 * One endpoint read at its latest block: the block it was at, asked of that endpoint right after, then
 * written into the report (in place, so that the verdict is not announced again).
 */
async function fillLatestBlock(view: ResultView, url: string): Promise<void> {
  try {
    const response = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_blockNumber", params: [] }),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
      signal: AbortSignal.timeout(5_000),
    });
    const { result } = (await response.json()) as { result?: unknown };
    if (typeof result !== "string" || !/^0x[0-9a-f]{1,16}$/i.test(result)) return;
    view.readAt = { block: Number(result), latest: true };
  } catch {
    return;
  }
  const shown = elements.result.querySelector("[data-report=block]");
  if (state.result.kind === "result" && state.result.view === view && shown)
    shown.textContent = blockText(view.readAt, language.lang);
}

/** A dropped or chosen file the browser could not read (moved, deleted, no permission). */
class FileReadError extends BaseError<"FILE_UNREADABLE"> {
  override name = "FileReadError";
  constructor(options: { cause?: unknown }) {
    super("FILE_UNREADABLE", "the file could not be read", options);
  }
}

/** Checks a dropped or chosen file (a PDF or a credential). */
function checkFile(file: File, startedAt: number): void {
  const mib = MAX_VERIFY_INPUT_BYTES / 1024 / 1024;
  const isPdf = /\.pdf$/i.test(file.name) || file.type === "application/pdf";
  const source: Source = { kind: isPdf ? "pdf" : "file", name: file.name };
  forgetAddressPayload();
  if (file.size > MAX_VERIFY_INPUT_BYTES) {
    state.sequence++;
    state.result = { kind: "problem", message: { key: "error.tooLarge", values: { mib: String(mib) } } };
    drawResult(true);
    return;
  }
  void check(
    async () => {
      try {
        return new Uint8Array(await file.arrayBuffer());
      } catch (error) {
        throw new FileReadError({ cause: error });
      }
    },
    source,
    startedAt,
  );
}

/** A QR URL opened directly (or changed in the address bar): its fragment is the certificate. */
function checkAddress(): void {
  const fragment = location.hash.slice(1);
  if (!fragment || !PAYLOAD_PATTERN.test(fragment)) return;
  void check({ url: location.href }, { kind: "address" }, performance.now());
}

/** After a file or another link is checked, the address no longer names a certificate. */
function forgetAddressPayload(): void {
  if (location.hash) history.replaceState(history.state, "", location.pathname + location.search);
}

// ---------------------------------------------------------------------------------------------
// Inputs
// ---------------------------------------------------------------------------------------------

function wireFileInputs(): void {
  elements.file.addEventListener("change", () => {
    const startedAt = performance.now();
    const file = elements.file.files?.[0];
    if (file) checkFile(file, startedAt);
    // Choosing the same file again must trigger another check.
    elements.file.value = "";
  });

  // The whole window takes drops, so a file dropped beside the drop zone is not opened by the browser.
  let depth = 0;
  const dragging = (on: boolean) => elements.dropzone.classList.toggle("dropzone--active", on);
  document.addEventListener("dragenter", (event) => {
    if (!carriesDroppable(event)) return;
    event.preventDefault();
    depth++;
    dragging(true);
  });
  document.addEventListener("dragover", (event) => {
    if (!carriesDroppable(event)) return;
    event.preventDefault();
    if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
  });
  document.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) dragging(false);
  });
  document.addEventListener("drop", (event) => {
    const startedAt = performance.now();
    depth = 0;
    dragging(false);
    const data = event.dataTransfer;
    if (!data) return;
    // Let text dropped on the link field land there as usual.
    if (data.files.length === 0 && event.target === elements.link) return;
    event.preventDefault();
    const file = data.files[0];
    if (file) {
      checkFile(file, startedAt);
      return;
    }
    const text = (data.getData("text/uri-list") || data.getData("text/plain"))
      .split(/\r?\n/)
      .find((line) => line && !line.startsWith("#"));
    if (text) checkText(text, "link", startedAt);
  });
}

function carriesDroppable(event: DragEvent): boolean {
  const types = event.dataTransfer?.types ?? [];
  return Array.from(types).some((type) => type === "Files" || type === "text/uri-list" || type === "text/plain");
}

/** Checks pasted or dropped text: a verifier link, a bare payload, or credential JSON. */
function checkText(text: string, kind: "link" | "qr", startedAt: number): void {
  const trimmed = text.trim();
  forgetAddressPayload();
  if (!trimmed.startsWith("{") && !PAYLOAD_PATTERN.test(trimmed)) {
    // Not a verifier link at all (another site, no #1- fragment): nothing to read from the chain.
    state.sequence++;
    state.last = undefined;
    state.result = { kind: "notCertificateLink", source: { kind } };
    drawResult(true);
    return;
  }
  void check(trimmed, { kind }, startedAt);
}

function wireLinkForm(): void {
  elements.linkForm.addEventListener("submit", (event) => {
    event.preventDefault();
    const startedAt = performance.now();
    const text = elements.link.value.trim();
    if (!text) {
      language.say(elements.linkMessage, { key: "input.linkEmpty" });
      elements.link.setAttribute("aria-invalid", "true");
      elements.link.focus();
      return;
    }
    language.say(elements.linkMessage, undefined);
    elements.link.removeAttribute("aria-invalid");
    checkText(text, "link", startedAt);
  });
}

function wireScanner(): void {
  elements.scan.addEventListener("click", () => {
    if (state.scanner) stopScanning();
    else void startScanning();
  });
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) stopScanning();
  });
}

async function startScanning(): Promise<void> {
  elements.scan.disabled = true;
  language.say(elements.scanMessage, { key: "scan.starting" });
  try {
    elements.scanView.hidden = false;
    const scanner = await startScan({
      video: elements.video,
      onCode: (text) => {
        if (!PAYLOAD_PATTERN.test(text.trim())) {
          language.say(elements.scanMessage, { key: "scan.notOurs" });
          return false;
        }
        language.say(elements.scanMessage, undefined);
        checkText(text, "qr", performance.now());
        return true;
      },
    });
    state.scanner = scanner;
    language.say(elements.scanMessage, { key: "scan.aim" });
    elements.scan.setAttribute("aria-pressed", "true");
    elements.scan.textContent = t("input.scanStop", language.lang);
    void scanner.done.then(() => {
      if (state.scanner !== scanner) return;
      state.scanner = undefined;
      elements.scanView.hidden = true;
      elements.scan.setAttribute("aria-pressed", "false");
      elements.scan.textContent = t("input.scan", language.lang);
      if (language.shown(elements.scanMessage)?.key === "scan.aim") language.say(elements.scanMessage, undefined);
    });
  } catch (error) {
    elements.scanView.hidden = true;
    const problem = error instanceof CameraError ? error.problem : "failed";
    if (!(error instanceof CameraError)) console.error("camera", error);
    language.say(elements.scanMessage, { key: `scan.${problem}` });
  } finally {
    elements.scan.disabled = false;
  }
}

function stopScanning(): void {
  state.scanner?.stop();
}

function wireResultActions(): void {
  elements.result.addEventListener("click", (event) => {
    const target = (event.target as Element | null)?.closest("[data-action]");
    const action = target?.getAttribute("data-action");
    if (action === "print") {
      window.print();
      return;
    }
    if (action === "retry" && state.last) {
      void check(state.last.input, state.last.source, performance.now());
      return;
    }
    if (action !== "again") return;
    forgetAddressPayload();
    state.sequence++;
    state.result = { kind: "empty" };
    drawResult(false);
    byId("input-heading").scrollIntoView({ block: "start" });
    elements.file.focus();
  });
}

// ---------------------------------------------------------------------------------------------
// Start
// ---------------------------------------------------------------------------------------------

state.configReady = loadConfig().then(
  (config) => {
    state.config = config;
    renderFooter();
    return config;
  },
  (error: unknown) => {
    console.error("The verifier's configuration could not be read:", error);
    if (state.result.kind === "empty") {
      state.result = { kind: "problem", message: { key: "error.config" } };
      drawResult(false);
    }
    return undefined;
  },
);
language.apply();
wireFileInputs();
wireLinkForm();
wireScanner();
wireResultActions();
window.addEventListener("hashchange", checkAddress);
checkAddress();
document.body.classList.add("ready");
