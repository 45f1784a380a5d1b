/**
 * "Awaiting approval", the approver's view: the uploads waiting to be released
 * (`GET /batches?state=awaiting-approval`), each with a preview (counts, its first rows from
 * `GET /certificates?batch=`, its errors) and Release / Reject (a reason required), and the requested
 * status changes (`GET /change-requests?state=awaiting-approval`) with Approve / Reject. An officer's
 * own request says another officer must approve it, and has no buttons (the server refuses it anyway:
 * its words are shown if it does).
 */
import { REVOCATION_REASONS } from "../../../core/revocationReasons.ts";
import { byId, h } from "../dom.ts";
import { formatDateTime } from "../format.ts";
import { pt, statusText } from "../portal-strings.ts";
import type { PortalMessage } from "../portal.ts";
import { problemOf } from "../portal.ts";
import {
  batchProgress,
  certificate,
  decideBatch,
  decideRequest,
  listBatches,
  listChangeRequests,
  searchCertificates,
  serverWords,
} from "./api.ts";
import type { BatchProgress, BatchSummary, CertificateSummary, ChangeRequest } from "./api.ts";
import { nameOf, typeTitle } from "./search.ts";
import { can, portal, session } from "./state.ts";

const elements = {
  approvals: byId("approvals"),
  refresh: byId<HTMLButtonElement>("approvals-refresh"),
  message: byId("approvals-message"),
  batches: byId("approval-batches"),
  requests: byId("approval-requests"),
};

/** How many rows of an upload the preview shows. */
const PREVIEW_ROWS = 5;

const state = {
  batches: undefined as { batch: BatchSummary; detail: BatchProgress; rows: CertificateSummary[] }[] | undefined,
  requests: undefined as { request: ChangeRequest; number: string }[] | undefined,
};

/** Called after a decision (the batch list is read again). */
let decided: () => void = () => {};

export function wireApprovals(after: () => void): void {
  decided = after;
  elements.refresh.addEventListener("click", () => void loadApprovals());
  elements.approvals.addEventListener("click", (event) => {
    const button = (event.target as Element).closest<HTMLButtonElement>("button[data-decide]");
    if (!button) return;
    void decide(button.dataset.kind as "batch" | "request", button.dataset.id!, button.dataset.decide!);
  });
}

/** Whether this officer asked for it (they cannot decide it). */
function own(by: { id: string } | null | undefined): boolean {
  return Boolean(session.officer && by && by.id === `officer:${session.officer.subject}`);
}

/** Shows the section to approvers and reads what awaits them. */
export async function loadApprovals(): Promise<void> {
  elements.approvals.hidden = !can("approve");
  if (!can("approve")) return;
  try {
    const batches = await listBatches("awaiting-approval");
    state.batches = await Promise.all(
      batches.map(async (batch) => ({
        batch,
        detail: await batchProgress(batch.id),
        rows: (await searchCertificates("", batch.id)).slice(0, PREVIEW_ROWS),
      })),
    );
    const requests = await listChangeRequests({ state: "awaiting-approval" });
    state.requests = await Promise.all(
      requests.map(async (request) => ({
        request,
        number: (await certificate(request.certificateId).catch(() => undefined))?.certificateNumber ?? "–",
      })),
    );
    drawApprovals();
  } catch (error) {
    portal.say(elements.message, problemOf(error), "error");
  }
}

export function clearApprovals(): void {
  state.batches = undefined;
  state.requests = undefined;
  elements.batches.replaceChildren();
  elements.requests.replaceChildren();
  portal.say(elements.message, undefined);
  elements.approvals.hidden = true;
}

function say(message: PortalMessage, tone: "ok" | "error"): void {
  portal.say(elements.message, message, tone);
}

async function decide(kind: "batch" | "request", id: string, decision: string): Promise<void> {
  const reasonInput = document.getElementById(`reason-${kind}-${id}`) as HTMLInputElement | null;
  const reason = reasonInput?.value.trim() ?? "";
  const rejecting = decision === "reject";
  if (rejecting && !reason) {
    reasonInput?.setAttribute("aria-invalid", "true");
    reasonInput?.focus();
    say({ key: "approvals.reasonNeeded" }, "error");
    return;
  }
  try {
    if (kind === "batch") await decideBatch(id, rejecting ? "reject" : "release", rejecting ? reason : undefined);
    else await decideRequest(id, rejecting ? "reject" : "approve", rejecting ? reason : undefined);
    say(
      { key: rejecting ? "approvals.rejected" : kind === "batch" ? "approvals.released" : "approvals.approved" },
      "ok",
    );
  } catch (error) {
    const words = serverWords(error);
    say(
      words
        ? { key: "common.server", values: { message: words[portal.lang === "en" ? "en" : "zh"] } }
        : problemOf(error),
      "error",
    );
    return;
  }
  await loadApprovals();
  decided();
}

/** The reason box and the two buttons of one decision, or the "requested by you" note. */
function decision(kind: "batch" | "request", id: string, by: { id: string } | null, yes: "release" | "approve") {
  const { lang } = portal;
  if (own(by)) return h("p", { class: "note own-request" }, pt("approvals.own", lang));
  const reasonId = `reason-${kind}-${id}`;
  return h(
    "div",
    { class: "form-row" },
    h(
      "div",
      { class: "form-field" },
      h("label", { for: reasonId }, pt("approvals.rejectReason", lang)),
      h("input", { id: reasonId, class: "input", type: "text", maxlength: 500, autocomplete: "off" }),
    ),
    h(
      "button",
      { type: "button", class: "button", "data-decide": yes, "data-kind": kind, "data-id": id },
      pt(yes === "release" ? "approvals.release" : "approvals.approve", lang),
    ),
    h(
      "button",
      { type: "button", class: "button button--secondary", "data-decide": "reject", "data-kind": kind, "data-id": id },
      pt("approvals.reject", lang),
    ),
  );
}

export function drawApprovals(): void {
  const { lang } = portal;
  if (state.batches) {
    elements.batches.replaceChildren(
      ...(state.batches.length === 0
        ? [h("p", { class: "note" }, pt("approvals.noUploads", lang))]
        : state.batches.map(({ batch, detail, rows }) =>
            h(
              "article",
              { class: "approval", "data-batch": batch.id, "aria-labelledby": `approval-${batch.id}` },
              h("h4", { id: `approval-${batch.id}` }, batch.id),
              h(
                "p",
                {},
                pt("approvals.uploadSummary", lang, {
                  type: typeTitle(batch.type, lang),
                  accepted: String(batch.accepted),
                  rows: String(batch.rows),
                  errors: String(batch.errorCount),
                  by: batch.requestedBy?.name ?? "–",
                  at: formatDateTime(batch.createdAt, lang, "medium"),
                }),
              ),
              rows.length === 0
                ? null
                : h(
                    "div",
                    { class: "table-wrap" },
                    h(
                      "table",
                      { class: "table" },
                      h("caption", {}, pt("approvals.firstRows", lang)),
                      h(
                        "thead",
                        {},
                        h(
                          "tr",
                          {},
                          h("th", { scope: "col" }, pt("upload.row", lang)),
                          h("th", { scope: "col" }, pt("search.number", lang)),
                          h("th", { scope: "col" }, pt("search.name", lang)),
                          h("th", { scope: "col" }, pt("search.status", lang)),
                        ),
                      ),
                      h(
                        "tbody",
                        {},
                        ...rows.map((r) =>
                          h(
                            "tr",
                            {},
                            h("td", {}, String(r.row)),
                            h("td", { class: "table__nowrap" }, r.certificateNumber),
                            h("td", {}, nameOf(r, lang)),
                            h("td", {}, statusText(r.status, lang)),
                          ),
                        ),
                      ),
                    ),
                  ),
              detail.errors.length === 0
                ? null
                : h(
                    "ul",
                    { class: "approval__errors" },
                    ...detail.errors
                      .slice(0, 10)
                      .map((e) =>
                        h(
                          "li",
                          {},
                          `${pt("upload.row", lang)} ${e.row ?? "–"}: `,
                          typeof e.message === "string" ? e.message : e.message[lang],
                        ),
                      ),
                  ),
              decision("batch", batch.id, batch.requestedBy, "release"),
            ),
          )),
    );
  }
  if (state.requests) {
    elements.requests.replaceChildren(
      ...(state.requests.length === 0
        ? [h("p", { class: "note" }, pt("approvals.noRequests", lang))]
        : state.requests.map(({ request, number }) =>
            h(
              "article",
              { class: "approval", "data-request": request.id, "aria-labelledby": `request-${request.id}` },
              h("h4", { id: `request-${request.id}` }, `${pt(`action.${request.kind}`, lang)} · ${number}`),
              h(
                "p",
                {},
                pt("approvals.requestSummary", lang, {
                  action: pt(`action.${request.kind}`, lang),
                  number,
                  reason: request.reason ? REVOCATION_REASONS[request.reason][lang] : "–",
                  by: request.requestedBy.name,
                  at: formatDateTime(request.requestedAt, lang, "medium"),
                }),
              ),
              request.note ? h("p", { class: "note" }, pt("approvals.noteIs", lang, { note: request.note })) : null,
              decision("request", request.id, request.requestedBy, "approve"),
            ),
          )),
    );
  }
}
