/**
 * # The candidate page (`/claim`)
 *
 * The candidate enters the claim code from the department's letter (or opens `/claim#<code>`: the code
 * stays in the fragment, which browsers never send, and is then sent only to the claim API), sees the
 * certificate with the labels of its type schema, downloads the signed PDF and the credential JSON, and
 * makes a "share with less" link and QR code that hide the details they tick. The share is derived in
 * the browser with `hideClaims` and `encodeCredentialUrl`: nothing is sent to the server to make it.
 */
import QRCode from "qrcode";
import type { Credential } from "../../core/credential.ts";
import { hideClaims } from "../../core/hideClaims.ts";
import { encodeCredentialUrl } from "../../core/qr/index.ts";
import { getCertificateType } from "../../core/types/index.ts";
import type { CertificateTypeSchema, ColumnSchema } from "../../core/types/index.ts";
import { byId, h } from "./dom.ts";
import { fieldList, formatDate, formatValue, numberLabel, valueAt } from "./format.ts";
import { pt } from "./portal-strings.ts";
import { ApiError, Portal, callApi, problemOf, setDownload, statusBadge } from "./portal.ts";

type Claimed = {
  code: string;
  summary: { id: string; type: string; certificateNumber: string; status: string };
  credential: Credential;
  schema: CertificateTypeSchema;
};

const elements = {
  form: byId<HTMLFormElement>("code-form"),
  code: byId<HTMLInputElement>("code"),
  submit: byId<HTMLButtonElement>("code-submit"),
  codeMessage: byId("code-message"),
  certificate: byId("certificate"),
  certBody: byId("cert-body"),
  pdf: byId<HTMLAnchorElement>("download-pdf"),
  credential: byId<HTMLAnchorElement>("download-credential"),
  share: byId("share"),
  shareFields: byId("share-fields"),
  shareMake: byId<HTMLButtonElement>("share-make"),
  shareMessage: byId("share-message"),
  shareResult: byId("share-result"),
  shareLink: byId<HTMLTextAreaElement>("share-link"),
  shareSummary: byId("share-summary"),
  shareCopy: byId<HTMLButtonElement>("share-copy"),
  shareOpen: byId<HTMLAnchorElement>("share-open"),
  shareCopied: byId("share-copied"),
  shareQr: byId<HTMLImageElement>("share-qr"),
};

const state = {
  claimed: undefined as Claimed | undefined,
  /** The pointers hidden in the share shown, for its summary after a language switch. */
  sharedHidden: undefined as string[] | undefined,
};

const portal = new Portal(redraw);

function redraw(): void {
  drawCertificate();
  drawShareSummary();
}

/** Opens the certificate of `code`: its summary, credential and PDF from the claim API. */
async function open(code: string): Promise<void> {
  const trimmed = code.trim();
  if (!trimmed) {
    elements.code.setAttribute("aria-invalid", "true");
    portal.say(elements.codeMessage, { key: "claim.codeEmpty" });
    elements.code.focus();
    return;
  }
  elements.code.removeAttribute("aria-invalid");
  portal.say(elements.codeMessage, undefined);
  elements.submit.disabled = true;
  const path = `/claim/${encodeURIComponent(trimmed)}`;
  try {
    const summary = await callApi<Claimed["summary"]>(path);
    if (summary.status === "pending" || summary.status === "anchoring" || summary.status === "failed") {
      portal.say(elements.codeMessage, { key: "claim.notReady", values: { status: summary.status } });
      return;
    }
    const [credential, pdf] = await Promise.all([
      callApi<Credential>(`${path}/credential`),
      fetch(new URL(`/api/v1${path}/pdf`, location.href), {
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      }).then(async (r) => {
        if (!r.ok) throw new ApiError(r.status, `HTTP_${r.status}`, `HTTP ${r.status}`, undefined);
        return r.blob();
      }),
    ]);
    const schema = getCertificateType(summary.type);
    state.claimed = { code: trimmed, summary, credential, schema };
    state.sharedHidden = undefined;
    const name = summary.certificateNumber.replace(/[^A-Za-z0-9._-]+/g, "_");
    setDownload(elements.pdf, new Blob([pdf], { type: "application/pdf" }), `${name}.pdf`);
    setDownload(
      elements.credential,
      new Blob([JSON.stringify(credential, null, 2)], { type: "application/json" }),
      `${name}.json`,
    );
    drawCertificate();
    drawShareChoices();
    elements.shareResult.hidden = true;
    portal.say(elements.shareMessage, undefined);
    elements.certificate.hidden = false;
    elements.share.hidden = false;
    elements.certificate.focus();
  } catch (error) {
    elements.code.setAttribute("aria-invalid", "true");
    if (error instanceof ApiError && error.status === 404)
      portal.say(elements.codeMessage, { key: "claim.codeUnknown" });
    else if (error instanceof ApiError && error.status === 429)
      portal.say(elements.codeMessage, { key: "claim.tooMany" });
    else portal.say(elements.codeMessage, problemOf(error));
  } finally {
    elements.submit.disabled = false;
  }
}

function drawCertificate(): void {
  const claimed = state.claimed;
  if (!claimed) return;
  const { lang } = portal;
  const { schema, credential, summary } = claimed;
  const rows: [string, Node | string][] = [];
  rows.push([pt("claim.type", lang), schema.title[lang]]);
  const number = numberLabel(schema);
  rows.push([number ? number[lang] : pt("claim.number", lang), summary.certificateNumber]);
  rows.push([pt("claim.status", lang), statusBadge(summary.status, lang)]);
  for (const column of schema.columns) {
    if (column.path === "/certificateNumber") continue;
    const value = valueAt(credential.credentialSubject, column.path);
    if (value === undefined) continue;
    rows.push([column.label[lang], formatValue(column, value, lang)]);
  }
  if (schema.validity.kind === "period") {
    rows.push([schema.validity.validFrom.label[lang], formatDate(credential.validFrom, lang)]);
    if (credential.validUntil)
      rows.push([schema.validity.validUntil.label[lang], formatDate(credential.validUntil, lang)]);
  }
  elements.certBody.replaceChildren(fieldList(rows, "cert-fields"));
}

/** The hideable columns that this credential discloses, as checkboxes (ticked ones are kept across a language switch). */
function drawShareChoices(): void {
  const claimed = state.claimed;
  if (!claimed) return;
  const ticked = new Set(
    [...elements.shareFields.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value),
  );
  elements.shareFields.replaceChildren(
    ...hideableColumns(claimed).map((column) => {
      const pointer = `/credentialSubject${column.path}`;
      const id = `hide-${column.column}`;
      return h(
        "div",
        { class: "choice" },
        h("input", {
          type: "checkbox",
          id,
          value: pointer,
          "data-column": column.column,
          checked: ticked.has(pointer),
        }),
        h("label", { for: id }, column.label[portal.lang]),
      );
    }),
  );
}

function hideableColumns(claimed: Claimed): ColumnSchema[] {
  return claimed.schema.columns.filter(
    (c) => c.hideable && valueAt(claimed.credential.credentialSubject, c.path) !== undefined,
  );
}

/** Makes the share link and its QR code from the ticked boxes, in this browser. */
async function makeShare(): Promise<void> {
  const claimed = state.claimed;
  if (!claimed) return;
  const pointers = [...elements.shareFields.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
  try {
    const shared = pointers.length > 0 ? hideClaims(claimed.credential, pointers) : claimed.credential;
    const url = encodeCredentialUrl(new URL("/", location.href).href, shared);
    const qr = await QRCode.toDataURL(url, { errorCorrectionLevel: "M", margin: 4, scale: 4 });
    elements.shareLink.value = url;
    elements.shareOpen.href = url;
    elements.shareQr.src = qr;
    elements.shareQr.alt = pt("share.qrAlt", portal.lang);
    state.sharedHidden = pointers;
    drawShareSummary();
    portal.say(elements.shareMessage, undefined);
    portal.say(elements.shareCopied, undefined);
    elements.shareResult.hidden = false;
  } catch (error) {
    console.error("share failed", error);
    portal.say(elements.shareMessage, {
      key: "share.failed",
      values: { message: error instanceof Error ? error.message : String(error) },
    });
  }
}

function drawShareSummary(): void {
  const claimed = state.claimed;
  const hidden = state.sharedHidden;
  if (!claimed || !hidden) return;
  const { lang } = portal;
  const labels = claimed.schema.columns
    .filter((c) => hidden.includes(`/credentialSubject${c.path}`))
    .map((c) => c.label[lang]);
  elements.shareSummary.textContent =
    labels.length === 0
      ? pt("share.summaryNone", lang)
      : pt("share.summary", lang, { fields: labels.join(lang === "en" ? ", " : "、") });
  elements.shareQr.alt = pt("share.qrAlt", lang);
  drawShareChoices();
}

/** A code in the address (`/claim#<code>`): opened at once, then removed from the address bar and history. */
function codeFromAddress(): string | undefined {
  const fragment = decodeURIComponent(location.hash.slice(1)).trim();
  if (!fragment) return undefined;
  history.replaceState(null, "", location.pathname);
  return fragment;
}

elements.form.addEventListener("submit", (event) => {
  event.preventDefault();
  void open(elements.code.value);
});
elements.shareMake.addEventListener("click", () => void makeShare());
elements.shareCopy.addEventListener("click", () => {
  void navigator.clipboard
    ?.writeText(elements.shareLink.value)
    .then(() => portal.say(elements.shareCopied, { key: "share.copied" }))
    .catch(() => {
      elements.shareLink.select();
    });
});
window.addEventListener("hashchange", () => {
  const code = codeFromAddress();
  if (code) {
    elements.code.value = code;
    void open(code);
  }
});

portal.apply();
const initial = codeFromAddress();
document.body.classList.add("ready");
if (initial) {
  elements.code.value = initial;
  void open(initial);
}
