/**
 * # The candidate page (`/claim`)
 *
 * The candidate enters the claim code from the department's letter (or opens `/claim#<code>`: the code
 * stays in the fragment, which browsers never send, and is then sent only to the claim API), sees the
 * certificate with the labels of its type schema, downloads the signed PDF and the credential JSON, and
 * makes a "share with less" link and QR code that hide the details they tick. The share is derived in
 * the browser with `hideClaims` and `encodeCredentialUrl`: nothing is sent to the server to make it.
 * The QR code downloads as a PNG or SVG image, and the browser's share sheet (`navigator.share`) is
 * offered where there is one. A box whose hide the schema's disclosure rule forbids (both names) is
 * disabled, with the rule's reason beside it.
 *
 * A revoked or suspended certificate says so first, in words: what the department did, the reason it
 * gave, and what to do (contact the department, named); its downloads stay (the PDF verifies as revoked or
 * suspended), but no share link is offered.
 */
import QRCode from "qrcode";
import type { Credential } from "../../core/credential.ts";
import { isCoreError } from "../../core/errors.ts";
import { brokenDisclosureRule, hideClaims } from "../../core/hideClaims.ts";
import { encodeCredentialUrl } from "../../core/qr/index.ts";
import { getCertificateType } from "../../core/types/index.ts";
import type { CertificateTypeSchema, ColumnSchema, LocalizedText } from "../../core/types/index.ts";
import { byId, h } from "./dom.ts";
import { fieldList, formatDate, formatValue, numberLabel, valueAt } from "./format.ts";
import { pt } from "./portal-strings.ts";
import { ApiError, Portal, callApi, problemOf, setDownload, statusBadge } from "./portal.ts";

type Claimed = {
  code: string;
  summary: {
    id: string;
    type: string;
    certificateNumber: string;
    status: string;
    /** Why it was revoked or suspended, in both languages (null: no reason, or neither). */
    reasonText?: LocalizedText | null;
    /** The department that issued it, to contact about a revocation or suspension. */
    issuer?: { id: string; name: LocalizedText };
  };
  credential: Credential;
  schema: CertificateTypeSchema;
};

const elements = {
  form: byId<HTMLFormElement>("code-form"),
  code: byId<HTMLInputElement>("code"),
  submit: byId<HTMLButtonElement>("code-submit"),
  codeMessage: byId("code-message"),
  certificate: byId("certificate"),
  certNotice: byId("cert-notice"),
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
  shareNative: byId<HTMLButtonElement>("share-native"),
  shareQrPng: byId<HTMLAnchorElement>("share-qr-png"),
  shareQrSvg: byId<HTMLAnchorElement>("share-qr-svg"),
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
  drawShareChoices();
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
    // No share link for a certificate that is not valid: the notice says why.
    elements.share.hidden = isWithdrawn(summary.status);
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

/** Revoked or suspended: not valid, said so on the page, never shared. */
function isWithdrawn(status: string): status is "revoked" | "suspended" {
  return status === "revoked" || status === "suspended";
}

/** What happened to a revoked or suspended certificate, why, and what to do; hidden for any other. */
function drawNotice(claimed: Claimed): void {
  const { lang } = portal;
  const { status, reasonText, issuer } = claimed.summary;
  const notice = elements.certNotice;
  if (!isWithdrawn(status)) {
    notice.hidden = true;
    notice.replaceChildren();
    return;
  }
  const department = issuer ? issuer.name[lang] : pt("claim.theDepartment", lang);
  notice.className = status === "revoked" ? "message message--error notice" : "message notice";
  notice.replaceChildren(
    h("h3", { class: "notice__title" }, pt(status === "revoked" ? "claim.revokedTitle" : "claim.suspendedTitle", lang)),
    h("p", {}, pt(status === "revoked" ? "claim.revokedBody" : "claim.suspendedBody", lang, { department })),
    h("p", {}, reasonText ? pt("claim.reason", lang, { reason: reasonText[lang] }) : pt("claim.noReason", lang)),
    h("p", {}, pt(status === "revoked" ? "claim.revokedWhat" : "claim.suspendedWhat", lang, { department })),
    h("p", {}, pt("claim.noShare", lang)),
  );
  notice.hidden = false;
}

function drawCertificate(): void {
  const claimed = state.claimed;
  if (!claimed) return;
  drawNotice(claimed);
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
  if (isWithdrawn(claimed.summary.status)) {
    elements.shareFields.replaceChildren();
    return;
  }
  const ticked = new Set(tickedPointers());
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
        h("p", { id: `${id}-why`, class: "hint choice__why", hidden: true }),
      );
    }),
  );
  lockShareChoices();
}

function tickedPointers(): string[] {
  return [...elements.shareFields.querySelectorAll<HTMLInputElement>("input:checked")].map((i) => i.value);
}

/**
 * Disables each unticked box that would break a disclosure rule of the schema if ticked too (the last
 * name left shown), with the rule's reason under it and linked to it; updated in place, so the focus stays.
 */
function lockShareChoices(): void {
  const claimed = state.claimed;
  if (!claimed) return;
  const ticked = tickedPointers();
  for (const input of elements.shareFields.querySelectorAll<HTMLInputElement>("input[type=checkbox]")) {
    const why = byId(`${input.id}-why`);
    const rule = input.checked ? undefined : brokenDisclosureRule(claimed.credential, [...ticked, input.value]);
    input.disabled = rule !== undefined;
    why.hidden = rule === undefined;
    why.textContent = rule ? rule.reason[portal.lang] : "";
    if (rule) input.setAttribute("aria-describedby", why.id);
    else input.removeAttribute("aria-describedby");
  }
}

function hideableColumns(claimed: Claimed): ColumnSchema[] {
  return claimed.schema.columns.filter(
    (c) => c.hideable && valueAt(claimed.credential.credentialSubject, c.path) !== undefined,
  );
}

/** Makes the share link and its QR code from the ticked boxes, in this browser. */
async function makeShare(): Promise<void> {
  const claimed = state.claimed;
  if (!claimed || isWithdrawn(claimed.summary.status)) return;
  const pointers = tickedPointers();
  try {
    const shared = pointers.length > 0 ? hideClaims(claimed.credential, pointers) : claimed.credential;
    const url = encodeCredentialUrl(new URL("/", location.href).href, shared);
    const options = { errorCorrectionLevel: "M", margin: 4 } as const;
    const [qr, png, svg] = await Promise.all([
      QRCode.toDataURL(url, { ...options, scale: 4 }),
      QRCode.toDataURL(url, { ...options, scale: 10 }),
      QRCode.toString(url, { ...options, type: "svg" }),
    ]);
    const name = `${claimed.summary.certificateNumber.replace(/[^A-Za-z0-9._-]+/g, "_")}-share-qr`;
    setDownload(elements.shareQrPng, dataUrlBlob(png), `${name}.png`);
    setDownload(elements.shareQrSvg, new Blob([svg], { type: "image/svg+xml" }), `${name}.svg`);
    elements.shareLink.value = url;
    elements.shareOpen.href = url;
    elements.shareNative.hidden = typeof navigator.share !== "function";
    elements.shareQr.src = qr;
    elements.shareQr.alt = pt("share.qrAlt", portal.lang);
    state.sharedHidden = pointers;
    drawShareSummary();
    portal.say(elements.shareMessage, undefined);
    portal.say(elements.shareCopied, undefined);
    elements.shareResult.hidden = false;
  } catch (error) {
    console.error("share failed", error);
    // A disclosure rule's refusal carries its reason in both languages: say it in the page's.
    const reason = isCoreError(error, "NOT_HIDEABLE")
      ? (error.details?.reason as LocalizedText | undefined)
      : undefined;
    portal.say(elements.shareMessage, {
      key: "share.failed",
      values: { message: reason ? reason[portal.lang] : error instanceof Error ? error.message : String(error) },
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

/** The bytes of a `data:` URL (the PNG `QRCode.toDataURL` makes) as a Blob; no fetch, which the CSP may not allow. */
function dataUrlBlob(url: string): Blob {
  const [head, body] = url.split(",", 2);
  const binary = atob(body);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return new Blob([bytes], { type: head.slice(5).split(";")[0] });
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
elements.shareFields.addEventListener("change", () => lockShareChoices());
elements.shareNative.addEventListener("click", () => {
  const claimed = state.claimed;
  if (!claimed) return;
  void navigator
    .share({ title: claimed.schema.title[portal.lang], url: elements.shareLink.value })
    .catch((error: unknown) => {
      // Closing the sheet is no error; anything else leaves the link selected to copy by hand.
      if (!(error instanceof DOMException && error.name === "AbortError")) elements.shareLink.select();
    });
});
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
