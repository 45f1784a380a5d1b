/**
 * # The department officer page (`/officer`)
 *
 * An officer signs in with the department's API key (kept in `sessionStorage` for this tab only: never
 * in the address, never in `localStorage`), uploads a CSV file of one certificate type and follows the
 * batch (`GET /batches/{id}`, polled) to `issued`, reads the per-row errors, downloads the claim codes of
 * the accepted certificates (a CSV built in the browser from the upload's answer), finds a certificate
 * (`GET /certificates?q=`), reads its status and history, and revokes, suspends or reinstates it with a
 * reason, after a confirmation step. The API acts for the key's own department only.
 */
import { REVOCATION_REASONS, revocationReasonOf } from "../../core/revocationReasons.ts";
import type { RevocationReason } from "../../core/revocationReasons.ts";
import type { Credential } from "../../core/credential.ts";
import { CERTIFICATE_TYPES, pathTokens } from "../../core/types/index.ts";
import type { CertificateTypeSchema } from "../../core/types/index.ts";
import { byId, h } from "./dom.ts";
import { EVENT_TEXT, pt, statusText } from "./portal-strings.ts";
import type { PortalKey } from "./portal-strings.ts";
import { ApiError, Portal, callApi, problemOf, setDownload } from "./portal.ts";
import type { Language } from "./strings.ts";

/** `sessionStorage` key of the API key: this tab only, gone when it closes. */
const KEY_STORAGE = "hk-ecert-officer-key";
const POLL_MS = 500;

type RowError = { row: number | null; column: string | null; code: string; message: string };
type Accepted = { batchId: string; certificates: { row: number; id: string; certificateNumber: string; claimCode: string }[]; errors: RowError[]; fileError?: { code: string; message: string } };
type Batch = {
  id: string;
  type: string;
  rows: number;
  accepted: number;
  progress: Record<string, number | undefined>;
  done: boolean;
  errors: RowError[];
  /** Batches set aside by the pipeline, with the reason (their certificates are `failed`). */
  failures?: { batch: string; reason: string; at: string }[];
};
type Summary = { id: string; type: string; certificateNumber: string; status: string; reason: number | null; batchId: string; row: number; search: { name?: unknown; candidateNumber?: string } };
type Detail = Summary & { history: { type: string; actor: string; at: string; detail: { reason?: number } }[] };
type Kind = "revoke" | "suspend" | "reinstate";

const elements = {
  signin: byId("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  key: byId<HTMLInputElement>("api-key"),
  signinMessage: byId("signin-message"),
  workspace: byId("workspace"),
  signedInAs: byId("signed-in-as"),
  signout: byId<HTMLButtonElement>("signout"),
  uploadForm: byId<HTMLFormElement>("upload-form"),
  uploadType: byId<HTMLSelectElement>("upload-type"),
  uploadFile: byId<HTMLInputElement>("upload-file"),
  uploadSubmit: byId<HTMLButtonElement>("upload-submit"),
  uploadMessage: byId("upload-message"),
  batch: byId("batch"),
  batchProgress: byId<HTMLProgressElement>("batch-progress"),
  batchProgressText: byId("batch-progress-text"),
  claimCodes: byId<HTMLAnchorElement>("claim-codes"),
  batchErrors: byId("batch-errors"),
  searchForm: byId<HTMLFormElement>("search-form"),
  searchQ: byId<HTMLInputElement>("search-q"),
  searchResults: byId("search-results"),
  detail: byId("detail"),
  detailBody: byId("detail-body"),
  actionForm: byId<HTMLFormElement>("action-form"),
  actionKind: byId<HTMLSelectElement>("action-kind"),
  actionReason: byId<HTMLSelectElement>("action-reason"),
  actionSubmit: byId<HTMLButtonElement>("action-submit"),
  confirm: byId("confirm"),
  confirmText: byId("confirm-text"),
  confirmYes: byId<HTMLButtonElement>("confirm-yes"),
  confirmNo: byId<HTMLButtonElement>("confirm-no"),
  actionMessage: byId("action-message"),
  renew: byId("renew"),
  renewForm: byId<HTMLFormElement>("renew-form"),
  renewFields: byId("renew-fields"),
  renewSubmit: byId<HTMLButtonElement>("renew-submit"),
  renewMessage: byId("renew-message"),
  renewErrors: byId("renew-errors"),
};

const state = {
  key: undefined as string | undefined,
  /** The certificate types the signed-in department issues (from `GET /me`). */
  types: [] as string[],
  /** The last upload's answer and its batch's progress. */
  upload: undefined as Accepted | undefined,
  batch: undefined as Batch | undefined,
  pollTimer: undefined as ReturnType<typeof setTimeout> | undefined,
  results: undefined as Summary[] | undefined,
  detail: undefined as Detail | undefined,
  /** The change awaiting confirmation. */
  pending: undefined as { kind: Kind; reason: RevocationReason } | undefined,
  /** The renewal form's values (CSV column -> cell text), first those of the certificate shown. */
  renewValues: undefined as Record<string, string> | undefined,
  renewErrors: undefined as RowError[] | undefined,
};

const portal = new Portal(redraw);

function redraw(): void {
  drawTypes();
  drawBatch();
  drawResults();
  drawDetail();
  drawConfirm();
  drawRenew();
}

// ---------------------------------------------------------------------------------------------
// Session
// ---------------------------------------------------------------------------------------------

function authorised(init: RequestInit = {}): RequestInit {
  return { ...init, headers: { ...(init.headers as Record<string, string> | undefined), authorization: `Bearer ${state.key}` } };
}

async function signIn(key: string, remember: boolean): Promise<void> {
  const trimmed = key.trim();
  if (!trimmed) {
    elements.key.setAttribute("aria-invalid", "true");
    portal.say(elements.signinMessage, { key: "officer.keyEmpty" });
    return;
  }
  let me: { name: { en: string; "zh-HK": string }; types: string[] };
  try {
    me = await callApi<typeof me>(`/me`, { headers: { authorization: `Bearer ${trimmed}` } });
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      try {
        sessionStorage.removeItem(KEY_STORAGE);
      } catch {
        // storage disabled
      }
      elements.key.setAttribute("aria-invalid", "true");
      portal.say(elements.signinMessage, { key: "officer.keyBad" });
    } else portal.say(elements.signinMessage, problemOf(error));
    return;
  }
  state.key = trimmed;
  if (remember) {
    try {
      sessionStorage.setItem(KEY_STORAGE, trimmed);
    } catch {
      // storage disabled: signed in until the page is reloaded
    }
  }
  elements.key.value = "";
  elements.key.removeAttribute("aria-invalid");
  portal.say(elements.signinMessage, undefined);
  portal.say(elements.signedInAs, { key: "officer.signedInFor", values: { en: me.name.en, zh: me.name["zh-HK"] } });
  state.types = me.types;
  drawTypes();
  elements.signin.hidden = true;
  elements.workspace.hidden = false;
}

function signOut(): void {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled
  }
  clearTimeout(state.pollTimer);
  Object.assign(state, { key: undefined, upload: undefined, batch: undefined, results: undefined, detail: undefined, pending: undefined });
  elements.batch.hidden = true;
  elements.detail.hidden = true;
  elements.searchResults.replaceChildren();
  portal.say(elements.uploadMessage, undefined);
  elements.workspace.hidden = true;
  elements.signin.hidden = false;
  elements.key.focus();
}

// ---------------------------------------------------------------------------------------------
// Upload and batch progress
// ---------------------------------------------------------------------------------------------

function drawTypes(): void {
  const selected = elements.uploadType.value;
  const types = CERTIFICATE_TYPES.filter((type) => state.types.length === 0 || state.types.includes(type.id));
  elements.uploadType.replaceChildren(...types.map((type) => h("option", { value: type.id }, `${type.title[portal.lang]} (${type.id})`)));
  if (selected) elements.uploadType.value = selected;
}

async function upload(): Promise<void> {
  const file = elements.uploadFile.files?.[0];
  if (!file) {
    portal.say(elements.uploadMessage, { key: "upload.noFile" }, "error");
    return;
  }
  clearTimeout(state.pollTimer);
  state.upload = undefined;
  state.batch = undefined;
  elements.batch.hidden = true;
  elements.uploadSubmit.disabled = true;
  portal.say(elements.uploadMessage, { key: "upload.sending", values: { name: file.name } }, "ok");
  try {
    const type = elements.uploadType.value;
    let answer: Accepted;
    try {
      answer = await callApi<Accepted>(`/batches?type=${encodeURIComponent(type)}`, authorised({ method: "POST", headers: { "content-type": "text/csv" }, body: file }));
    } catch (error) {
      // 422: nothing accepted; the answer still lists the rows' errors (or the file's).
      const body = error instanceof ApiError && error.status === 422 ? (error.body as Accepted | undefined) : undefined;
      if (!body || !Array.isArray(body.errors)) throw error;
      answer = body;
    }
    state.upload = answer;
    if (answer.fileError) {
      portal.say(elements.uploadMessage, { key: "upload.refused", values: { message: answer.fileError.message } }, "error");
    } else {
      const rows = answer.certificates.length + new Set(answer.errors.map((e) => e.row)).size;
      const values = { accepted: String(answer.certificates.length), rows: String(rows), errors: String(new Set(answer.errors.map((e) => e.row)).size) };
      portal.say(elements.uploadMessage, { key: "upload.accepted", values }, answer.errors.length > 0 ? "error" : "ok");
    }
    if (answer.certificates.length > 0) {
      const lines = ["row,certificate_number,claim_code", ...answer.certificates.map((c) => [c.row, c.certificateNumber, c.claimCode].map(csvCell).join(","))];
      setDownload(elements.claimCodes, new Blob([`${lines.join("\r\n")}\r\n`], { type: "text/csv" }), `claim-codes-${answer.batchId}.csv`);
    }
    elements.batch.dataset.batchId = answer.batchId;
    elements.batch.hidden = false;
    drawBatch();
    if (answer.certificates.length > 0) void poll(answer.batchId);
  } catch (error) {
    portal.say(elements.uploadMessage, problemOf(error), "error");
  } finally {
    elements.uploadSubmit.disabled = false;
  }
}

/** A CSV cell, quoted when it must be; a leading formula character is defused (the file opens in spreadsheets). */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

async function poll(batchId: string): Promise<void> {
  try {
    const batch = await callApi<Batch>(`/batches/${encodeURIComponent(batchId)}`, authorised());
    if (state.upload?.batchId !== batchId) return;
    state.batch = batch;
    drawBatch();
    if (batch.done) return;
  } catch (error) {
    if (state.upload?.batchId !== batchId) return;
    console.error("batch progress failed", error);
  }
  state.pollTimer = setTimeout(() => void poll(batchId), POLL_MS);
}

function drawBatch(): void {
  const answer = state.upload;
  if (!answer) return;
  const { lang } = portal;
  const accepted = answer.certificates.length;
  const progress = state.batch?.progress ?? {};
  const count = (status: string) => String(progress[status] ?? 0);
  const issued = progress.issued ?? 0;
  elements.batchProgress.max = Math.max(accepted, 1);
  elements.batchProgress.value = accepted === 0 ? 0 : issued;
  elements.batch.dataset.done = String(Boolean(state.batch?.done));
  const failures = state.batch?.failures ?? [];
  elements.batchProgressText.textContent = !state.batch?.done
    ? pt("upload.progress", lang, { issued: String(issued), accepted: String(accepted), pending: count("pending"), anchoring: count("anchoring"), failed: count("failed") })
    : failures.length > 0
      ? pt("upload.failed", lang, { issued: String(issued), failed: count("failed"), reason: failures.map((f) => f.reason).join("; ") })
      : pt("upload.done", lang);
  elements.batchProgressText.classList.toggle("message--error", Boolean(state.batch?.done) && failures.length > 0);
  elements.claimCodes.hidden = accepted === 0;
  elements.batchProgress.hidden = accepted === 0;
  elements.batchProgressText.hidden = accepted === 0;
  const errors = answer.errors;
  if (errors.length === 0) {
    elements.batchErrors.replaceChildren();
    return;
  }
  const table = h(
    "table",
    { class: "table", id: "errors-table" },
    h("caption", {}, pt("upload.errorsCaption", lang, { count: String(new Set(errors.map((e) => e.row)).size) })),
    h("thead", {}, h("tr", {}, h("th", { scope: "col" }, pt("upload.row", lang)), h("th", { scope: "col" }, pt("upload.column", lang)), h("th", { scope: "col" }, pt("upload.problem", lang)))),
    h("tbody", {}, ...errors.map((e) => h("tr", {}, h("td", {}, e.row === null ? "–" : String(e.row)), h("td", {}, e.column ?? "–"), h("td", { class: "table__message" }, e.message)))),
  );
  elements.batchErrors.replaceChildren(h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": pt("upload.errorsCaption", lang, { count: String(errors.length) }) }, table));
}

// ---------------------------------------------------------------------------------------------
// Search and one certificate
// ---------------------------------------------------------------------------------------------

async function search(): Promise<void> {
  const q = elements.searchQ.value.trim();
  try {
    const { certificates } = await callApi<{ certificates: Summary[] }>(`/certificates?${new URLSearchParams(q ? { q } : {})}`, authorised());
    state.results = certificates;
    drawResults();
  } catch (error) {
    state.results = undefined;
    const message = problemOf(error);
    elements.searchResults.replaceChildren(h("p", { class: "message message--error", role: "alert" }, pt(message.key, portal.lang, message.values)));
  }
}

function nameOf(summary: Summary, lang: Language): string {
  const name = summary.search?.name;
  if (typeof name === "string") return name;
  if (name && typeof name === "object") {
    const text = name as Record<string, unknown>;
    return String(text[lang] ?? text.en ?? text["zh-HK"] ?? "");
  }
  return "";
}

function badge(status: string, lang: Language): HTMLElement {
  return h("span", { class: `status-badge status-badge--${status}` }, statusText(status, lang));
}

function typeTitle(typeId: string, lang: Language): string {
  return CERTIFICATE_TYPES.find((t) => t.id === typeId)?.title[lang] ?? typeId;
}

function drawResults(): void {
  const results = state.results;
  if (!results) return;
  const { lang } = portal;
  if (results.length === 0) {
    elements.searchResults.replaceChildren(h("p", { class: "note", id: "search-none" }, pt("search.none", lang)));
    return;
  }
  const table = h(
    "table",
    { class: "table", id: "results-table" },
    h("caption", {}, pt("search.caption", lang, { count: String(results.length) })),
    h(
      "thead",
      {},
      h("tr", {}, ...(["search.number", "search.name", "search.type", "search.status"] as PortalKey[]).map((k) => h("th", { scope: "col" }, pt(k, lang))), h("th", { scope: "col" }, pt("detail.action", lang))),
    ),
    h(
      "tbody",
      {},
      ...results.map((r) =>
        h(
          "tr",
          { "data-id": r.id },
          h("td", { class: "table__nowrap" }, r.certificateNumber),
          h("td", {}, nameOf(r, lang)),
          h("td", {}, typeTitle(r.type, lang)),
          h("td", {}, badge(r.status, lang)),
          h("td", {}, h("button", { type: "button", class: "button button--secondary", "data-open": r.id, "aria-label": pt("search.open", lang, { number: r.certificateNumber }) }, pt("search.openShort", lang))),
        ),
      ),
    ),
  );
  elements.searchResults.replaceChildren(h("div", { class: "table-wrap" }, table));
}

async function openDetail(id: string, focus: boolean): Promise<void> {
  try {
    state.detail = await callApi<Detail>(`/certificates/${encodeURIComponent(id)}`, authorised());
  } catch (error) {
    const message = problemOf(error);
    elements.searchResults.append(h("p", { class: "message message--error", role: "alert" }, pt(message.key, portal.lang, message.values)));
    return;
  }
  elements.detail.hidden = false;
  drawDetail();
  if (focus) {
    state.pending = undefined;
    drawConfirm();
    portal.say(elements.actionMessage, undefined);
    void loadRenew(id);
    elements.detail.focus();
  }
}

function reasonText(code: number | null | undefined, lang: Language): string | undefined {
  if (code === null || code === undefined) return undefined;
  const name = revocationReasonOf(code);
  return name ? REVOCATION_REASONS[name][lang] : String(code);
}

function drawDetail(): void {
  const detail = state.detail;
  if (!detail) return;
  const { lang } = portal;
  elements.detail.dataset.status = detail.status;
  const rows: [string, Node | string][] = [
    [pt("search.number", lang), detail.certificateNumber],
    [pt("search.type", lang), typeTitle(detail.type, lang)],
    [pt("search.name", lang), nameOf(detail, lang)],
    [pt("search.status", lang), badge(detail.status, lang)],
  ];
  const reason = detail.status === "revoked" || detail.status === "suspended" ? reasonText(detail.reason, lang) : undefined;
  if (reason) rows.push([pt("detail.reasonNow", lang), reason]);
  const list = h("dl", { class: "fields", id: "detail-fields" });
  for (const [label, value] of rows) list.append(h("div", { class: "fields__row" }, h("dt", {}, label), h("dd", {}, value)));
  const history = h(
    "ol",
    { class: "history", id: "detail-history" },
    ...detail.history.map((event) => {
      const words = Object.hasOwn(EVENT_TEXT, event.type) ? EVENT_TEXT[event.type][lang] : event.type;
      const why = reasonText(event.detail?.reason, lang);
      return h("li", { "data-event": event.type }, h("time", { datetime: event.at }, formatDateTime(event.at, lang)), " · ", words, why ? ` (${why})` : "", " · ", h("span", { class: "note" }, event.actor));
    }),
  );
  elements.detailBody.replaceChildren(list, h("h3", {}, pt("detail.history", lang)), history);

  // The changes this status allows.
  const kinds: Kind[] = detail.status === "issued" ? ["revoke", "suspend"] : detail.status === "suspended" ? ["reinstate", "revoke"] : [];
  elements.actionForm.hidden = kinds.length === 0;
  const kind = elements.actionKind.value;
  elements.actionKind.replaceChildren(...kinds.map((k) => h("option", { value: k }, pt(`action.${k}`, lang))));
  if (kinds.includes(kind as Kind)) elements.actionKind.value = kind;
  const reasonName = elements.actionReason.value;
  const reasons = (Object.keys(REVOCATION_REASONS) as RevocationReason[]).filter((r) => r !== "superseded");
  elements.actionReason.replaceChildren(...reasons.map((r) => h("option", { value: r }, REVOCATION_REASONS[r][lang])));
  if (reasonName) elements.actionReason.value = reasonName;
}

function drawConfirm(): void {
  const pending = state.pending;
  const detail = state.detail;
  elements.confirm.hidden = !pending;
  elements.actionSubmit.disabled = Boolean(pending);
  if (!pending || !detail) return;
  const { lang } = portal;
  elements.confirmText.textContent = pt("detail.confirmText", lang, {
    action: pt(`action.${pending.kind}`, lang),
    number: detail.certificateNumber,
    reason: REVOCATION_REASONS[pending.reason][lang],
  });
}

/** Sends the confirmed change, then follows the certificate until the chain has it. */
async function applyChange(): Promise<void> {
  const pending = state.pending;
  const detail = state.detail;
  if (!pending || !detail) return;
  elements.confirmYes.disabled = true;
  try {
    await callApi(`/certificates/${encodeURIComponent(detail.id)}/${pending.kind}`, authorised({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ reason: pending.reason }) }));
    state.pending = undefined;
    drawConfirm();
    portal.say(elements.actionMessage, { key: "detail.sent" }, "ok");
    const target = pending.kind === "revoke" ? "revoked" : pending.kind === "suspend" ? "suspended" : "issued";
    const deadline = Date.now() + 120_000;
    await openDetail(detail.id, false);
    while (state.detail?.id === detail.id && state.detail.status !== target && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      await openDetail(detail.id, false);
    }
    if (state.detail?.status === target) {
      portal.say(elements.actionMessage, { key: "detail.changed", values: { status: statusText(target, portal.lang) } }, "ok");
      if (state.results) void search();
      void loadRenew(detail.id);
    }
  } catch (error) {
    state.pending = undefined;
    drawConfirm();
    portal.say(elements.actionMessage, problemOf(error), "error");
  } finally {
    elements.confirmYes.disabled = false;
  }
}

// ---------------------------------------------------------------------------------------------
// Renewal: a new certificate with the same type, its fields prefilled from this one's credential
// ---------------------------------------------------------------------------------------------

function schemaOf(typeId: string): CertificateTypeSchema | undefined {
  return CERTIFICATE_TYPES.find((t) => t.id === typeId);
}

/** Loads the credential of the certificate shown, for the renewal form's first values. */
async function loadRenew(id: string): Promise<void> {
  state.renewValues = undefined;
  state.renewErrors = undefined;
  portal.say(elements.renewMessage, undefined);
  elements.renewErrors.replaceChildren();
  elements.renewFields.replaceChildren();
  const detail = state.detail;
  const schema = detail && schemaOf(detail.type);
  if (!detail || !schema || (detail.status !== "issued" && detail.status !== "suspended")) {
    elements.renew.hidden = true;
    return;
  }
  try {
    const credential = await callApi<Credential>(`/certificates/${encodeURIComponent(id)}/credential`, authorised());
    if (state.detail?.id !== id) return;
    state.renewValues = valuesOf(schema, credential);
    elements.renew.hidden = false;
    drawRenew();
  } catch (error) {
    console.error("credential for renewal failed", error);
    elements.renew.hidden = true;
  }
}

/** The credential's claims as CSV cells (lists one item per line, validity as Hong Kong dates). */
function valuesOf(schema: CertificateTypeSchema, credential: Credential): Record<string, string> {
  const values: Record<string, string> = {};
  for (const column of schema.columns) {
    let value: unknown = credential.credentialSubject;
    for (const token of pathTokens(column.path)) value = value && typeof value === "object" ? (value as Record<string, unknown>)[token] : undefined;
    if (value === undefined || value === null) values[column.column] = "";
    else values[column.column] = Array.isArray(value) ? value.map(String).join("\n") : String(value);
  }
  if (schema.validity.kind === "period") {
    values[schema.validity.validFrom.column] = hongKongDate(credential.validFrom);
    values[schema.validity.validUntil.column] = credential.validUntil ? hongKongDate(credential.validUntil) : "";
  }
  return values;
}

function hongKongDate(value: string): string {
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? "" : new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Hong_Kong", year: "numeric", month: "2-digit", day: "2-digit" }).format(date);
}

function drawRenew(): void {
  const detail = state.detail;
  const schema = detail && schemaOf(detail.type);
  const values = state.renewValues;
  if (!schema || !values || elements.renew.hidden) return;
  const { lang } = portal;
  const errors = new Map((state.renewErrors ?? []).filter((e) => e.column).map((e) => [e.column!, e.message]));
  const field = (column: string, label: string, control: HTMLElement, hint?: string): HTMLElement => {
    const id = `renew-${column}`;
    control.id = id;
    control.dataset.column = column;
    control.classList.add("input");
    const hintId = hint ? `${id}-hint` : undefined;
    const errorId = errors.has(column) ? `${id}-error` : undefined;
    const describedBy = [hintId, errorId].filter(Boolean).join(" ");
    if (describedBy) control.setAttribute("aria-describedby", describedBy);
    if (errorId) control.setAttribute("aria-invalid", "true");
    return h(
      "div",
      { class: "form-field" },
      h("label", { for: id }, label),
      control,
      hint ? h("p", { class: "hint", id: hintId }, hint) : null,
      errorId ? h("p", { class: "message message--error", id: errorId }, errors.get(column)!) : null,
    );
  };
  const fields: HTMLElement[] = [];
  for (const column of schema.columns) {
    const value = values[column.column] ?? "";
    let control: HTMLElement;
    if (column.kind === "enum") {
      control = h("select", {}, ...column.values.map((v) => h("option", { value: v, selected: v === value }, column.valueLabels?.[v]?.[lang] ?? v)));
    } else if (column.kind === "list") {
      control = h("textarea", { rows: 3 }, value);
    } else {
      control = h("input", { type: column.kind === "date" ? "date" : column.kind === "integer" ? "number" : "text", value, autocomplete: "off", spellcheck: "false" });
    }
    fields.push(field(column.column, column.label[lang], control, column.kind === "list" ? pt("renew.listHint", lang) : undefined));
  }
  if (schema.validity.kind === "period") {
    for (const bound of [schema.validity.validFrom, schema.validity.validUntil]) {
      fields.push(field(bound.column, bound.label[lang], h("input", { type: "date", value: values[bound.column] ?? "" })));
    }
  }
  elements.renewFields.replaceChildren(h("div", { class: "form-grid" }, ...fields));
}

/** Sends the renewal (fields keyed by CSV column, lists as arrays). */
async function renew(): Promise<void> {
  const detail = state.detail;
  const schema = detail && schemaOf(detail.type);
  if (!detail || !schema || !state.renewValues) return;
  const fields: Record<string, string | string[]> = {};
  for (const control of elements.renewFields.querySelectorAll<HTMLInputElement | HTMLSelectElement | HTMLTextAreaElement>("[data-column]")) {
    const column = control.dataset.column!;
    state.renewValues[column] = control.value;
    const list = schema.columns.find((c) => c.column === column && c.kind === "list");
    if (list) fields[column] = control.value.split("\n").map((item) => item.trim()).filter(Boolean);
    else if (control.value.trim() !== "") fields[column] = control.value;
  }
  elements.renewSubmit.disabled = true;
  try {
    let answer: Accepted;
    try {
      answer = await callApi<Accepted>(`/certificates/${encodeURIComponent(detail.id)}/renew`, authorised({ method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ fields }) }));
    } catch (error) {
      const body = error instanceof ApiError && error.status === 422 ? (error.body as Accepted | undefined) : undefined;
      if (!body || !Array.isArray(body.errors)) throw error;
      answer = body;
    }
    const issuedRenewal = answer.certificates[0];
    state.renewErrors = issuedRenewal ? undefined : answer.errors;
    drawRenew();
    if (issuedRenewal) {
      elements.renew.dataset.renewal = issuedRenewal.id;
      portal.say(elements.renewMessage, { key: "renew.accepted", values: { number: issuedRenewal.certificateNumber, code: issuedRenewal.claimCode } }, "ok");
    } else {
      portal.say(elements.renewMessage, { key: "renew.refused" }, "error");
      elements.renewFields.querySelector<HTMLElement>("[aria-invalid=true]")?.focus();
    }
  } catch (error) {
    portal.say(elements.renewMessage, problemOf(error), "error");
  } finally {
    elements.renewSubmit.disabled = false;
  }
}

const LOCALE: Record<Language, string> = { en: "en-HK", "zh-HK": "zh-HK" };

function formatDateTime(value: string, lang: Language): string {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return value;
  return new Intl.DateTimeFormat(LOCALE[lang], { dateStyle: "medium", timeStyle: "medium", timeZone: "Asia/Hong_Kong" }).format(date);
}

// ---------------------------------------------------------------------------------------------
// Wiring
// ---------------------------------------------------------------------------------------------

elements.signinForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void signIn(elements.key.value, true);
});
elements.signout.addEventListener("click", signOut);
elements.uploadForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void upload();
});
elements.searchForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void search();
});
elements.searchResults.addEventListener("click", (event) => {
  const button = (event.target as Element).closest<HTMLButtonElement>("button[data-open]");
  if (button?.dataset.open) void openDetail(button.dataset.open, true);
});
elements.actionForm.addEventListener("submit", (event) => {
  event.preventDefault();
  state.pending = { kind: elements.actionKind.value as Kind, reason: elements.actionReason.value as RevocationReason };
  portal.say(elements.actionMessage, undefined);
  drawConfirm();
  elements.confirmNo.focus();
});
elements.confirmNo.addEventListener("click", () => {
  state.pending = undefined;
  drawConfirm();
  elements.actionSubmit.focus();
});
elements.confirmYes.addEventListener("click", () => void applyChange());
elements.renewForm.addEventListener("submit", (event) => {
  event.preventDefault();
  void renew();
});
// Edits survive a language switch (the form is drawn again with its labels in the other language).
elements.renewFields.addEventListener("input", (event) => {
  const control = event.target as HTMLInputElement;
  if (state.renewValues && control.dataset.column) state.renewValues[control.dataset.column] = control.value;
});

portal.apply();
let saved: string | null = null;
try {
  saved = sessionStorage.getItem(KEY_STORAGE);
} catch {
  saved = null;
}
(saved ? signIn(saved, false) : Promise.resolve()).finally(() => document.body.classList.add("ready"));
