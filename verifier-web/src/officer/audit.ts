/**
 * The auditor's view of the department's audit trail: the newest entries (`GET /audit`, read page by
 * page to its end), filtered by action, "Export CSV" (a link to `GET /audit.csv`: the session cookie goes
 * with it) and the hash chain checked (`GET /audit/verify`).
 */
import { byId, h } from "../dom.ts";
import { formatDateTime } from "../format.ts";
import { pt } from "../portal-strings.ts";
import type { PortalKey } from "../portal-strings.ts";
import { problemOf } from "../portal.ts";
import { auditPage, auditVerify } from "./api.ts";
import type { AuditPage, AuditVerification } from "./api.ts";
import { can, portal } from "./state.ts";

/** The actions an entry can name (`server/issuance`, `server/api`): the filter's choices. */
const ACTIONS = [
  "sign-in",
  "sign-out",
  "upload",
  "upload-released",
  "upload-rejected",
  "renewal-requested",
  "status-change-requested",
  "status-change-approved",
  "status-change-rejected",
  "pdf-downloaded",
  "pdfs-downloaded",
  "claim-letters-printed",
  "claim-code-replaced",
  "key-created",
  "key-revoked",
  "audit-read",
  "audit-exported",
  "audit-verified",
] as const;

/** At most this many entries are shown, the newest first. */
const SHOWN = 200;

const elements = {
  audit: byId("audit"),
  form: byId<HTMLFormElement>("audit-form"),
  action: byId<HTMLSelectElement>("audit-action"),
  verify: byId<HTMLButtonElement>("audit-verify"),
  verifyResult: byId("audit-verify-result"),
  list: byId("audit-list"),
};

const state = {
  entries: undefined as AuditPage["entries"] | undefined,
  verification: undefined as AuditVerification | undefined,
};

export function wireAudit(): void {
  elements.form.addEventListener("submit", (event) => {
    event.preventDefault();
    void loadAudit();
  });
  elements.verify.addEventListener("click", () => void verify());
}

/** Shows the section to auditors and reads the newest entries. */
export async function loadAudit(): Promise<void> {
  elements.audit.hidden = !can("audit");
  if (!can("audit")) return;
  drawActions();
  const action = elements.action.value || undefined;
  try {
    state.entries = (await auditPage(action, SHOWN)).entries;
    drawAudit();
  } catch (error) {
    elements.list.replaceChildren(
      h(
        "p",
        { class: "message message--error", role: "alert" },
        pt(problemOf(error).key, portal.lang, problemOf(error).values),
      ),
    );
  }
}

async function verify(): Promise<void> {
  try {
    state.verification = await auditVerify();
    drawVerification();
  } catch (error) {
    portal.say(elements.verifyResult, problemOf(error), "error");
  }
}

export function clearAudit(): void {
  state.entries = undefined;
  state.verification = undefined;
  elements.list.replaceChildren();
  portal.say(elements.verifyResult, undefined);
  elements.audit.hidden = true;
}

function drawActions(): void {
  const { lang } = portal;
  const selected = elements.action.value;
  elements.action.replaceChildren(
    h("option", { value: "" }, pt("audit.all", lang)),
    ...ACTIONS.map((a) => h("option", { value: a }, a)),
  );
  elements.action.value = selected;
}

function drawVerification(): void {
  const result = state.verification;
  if (!result) return;
  elements.verifyResult.dataset.ok = String(result.ok);
  portal.say(
    elements.verifyResult,
    result.ok
      ? { key: "audit.ok", values: { entries: String(result.entries) } }
      : {
          key: "audit.broken",
          values: { problems: result.problems.map((p) => `#${p.seq}: ${p.problem[portal.lang]}`).join("; ") },
        },
    result.ok ? "ok" : "error",
  );
}

export function drawAudit(): void {
  if (elements.audit.hidden) return;
  drawActions();
  drawVerification();
  const entries = state.entries;
  if (!entries) return;
  const { lang } = portal;
  if (entries.length === 0) {
    elements.list.replaceChildren(h("p", { class: "note", id: "audit-none" }, pt("audit.none", lang)));
    return;
  }
  const table = h(
    "table",
    { class: "table", id: "audit-table" },
    h("caption", {}, pt("audit.caption", lang, { count: String(entries.length) })),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        ...(["audit.seq", "audit.at", "audit.who", "audit.what", "audit.about", "audit.from"] as PortalKey[]).map((k) =>
          h("th", { scope: "col" }, pt(k, lang)),
        ),
      ),
    ),
    h(
      "tbody",
      {},
      ...entries.map((e) =>
        h(
          "tr",
          { "data-action": e.action, "data-seq": e.seq },
          h("td", {}, String(e.seq)),
          h("td", { class: "table__nowrap" }, formatDateTime(e.at, lang, "medium")),
          h("td", { class: "audit-who" }, e.actor.name),
          h("td", { class: "audit-what" }, e.action),
          h("td", {}, e.certificateId ?? e.batchId ?? e.uploadId ?? "–"),
          h("td", {}, e.source ?? "–"),
        ),
      ),
    ),
  );
  elements.list.replaceChildren(
    h("div", { class: "table-wrap", tabindex: 0, role: "region", "aria-label": pt("audit.heading", lang) }, table),
  );
}
