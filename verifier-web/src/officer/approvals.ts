/**
 * "Awaiting approval", the approver's view: the uploads waiting to be released
 * (`GET /batches?state=awaiting-approval`), each with a preview (counts, its first rows from
 * `GET /certificates?batch=`, "show all" paging through every row, all its errors folded away, and for a
 * renewal the number of the certificate it replaces) and Release / Reject (a reason required), and the requested
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
import type { Language } from "../strings.ts";
import {
  batchCertificates,
  batchProgress,
  certificate,
  decideBatch,
  decideRequest,
  listBatches,
  listChangeRequests,
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

/** How many rows "show all" reads at a time (the most `GET /certificates` gives). */
const PAGE_ROWS = 500;

/** An upload awaiting approval, as previewed. */
type Pending = {
  batch: BatchSummary;
  detail: BatchProgress;
  /** Its first rows. */
  rows: CertificateSummary[];
  /** A renewal (one row superseding a certificate): the number of the certificate it replaces. */
  renewalOf: string | undefined;
  /** "Show all": the page of rows read, from `offset`. */
  page?: { offset: number; rows: CertificateSummary[] };
};

const state = {
  batches: undefined as Pending[] | undefined,
  requests: undefined as { request: ChangeRequest; number: string }[] | undefined,
};

/** Called after a decision (the batch list is read again). */
let decided: () => void = () => {};

export function wireApprovals(after: () => void): void {
  decided = after;
  elements.refresh.addEventListener("click", () => void loadApprovals());
  elements.approvals.addEventListener("click", (event) => {
    const target = event.target as Element;
    const rows = target.closest<HTMLButtonElement>("button[data-rows]");
    if (rows) {
      const offset = rows.dataset.offset;
      void showRows(rows.dataset.rows!, offset === undefined ? undefined : Number(offset));
      return;
    }
    const button = target.closest<HTMLButtonElement>("button[data-decide]");
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
    state.batches = await Promise.all(batches.map(preview));
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

/** An upload's preview: its progress and errors, its first rows, and what a renewal replaces. */
async function preview(batch: BatchSummary): Promise<Pending> {
  const [detail, rows] = await Promise.all([batchProgress(batch.id), batchCertificates(batch.id, PREVIEW_ROWS)]);
  const old = rows.length === 1 && batch.accepted === 1 ? rows[0].supersedes : null;
  const renewalOf = old ? ((await certificate(old).catch(() => undefined))?.certificateNumber ?? old) : undefined;
  return { batch, detail, rows, renewalOf };
}

/**
 * "Show all" of upload `id`: the page of its rows from `offset` (at most {@link PAGE_ROWS}), or back to
 * the first rows only (`offset` undefined). The focus moves to the table shown.
 */
async function showRows(id: string, offset: number | undefined): Promise<void> {
  const pending = state.batches?.find((p) => p.batch.id === id);
  if (!pending) return;
  if (offset === undefined) pending.page = undefined;
  else {
    try {
      pending.page = { offset, rows: await batchCertificates(id, PAGE_ROWS, offset) };
    } catch (error) {
      say(problemOf(error), "error");
      return;
    }
  }
  drawApprovals();
  document.getElementById(`rows-${id}`)?.focus();
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
    say(problemOf(error), "error");
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

/** A table of an upload's rows: row, certificate number, name, status in words. */
function rowsTable(id: string, caption: string, rows: CertificateSummary[], lang: Language): HTMLElement {
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      { class: "table", id: `rows-${id}`, tabindex: -1 },
      h("caption", {}, caption),
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
  );
}

/** A button of the rows' paging (`offset` undefined: back to the first rows). */
function rowsButton(id: string, offset: number | undefined, text: string): HTMLElement {
  return h(
    "button",
    { type: "button", class: "button button--secondary", "data-rows": id, "data-offset": offset },
    text,
  );
}

/** The rows of an upload: its first ones with "show all", or the page shown with its paging. */
function rowsOf({ batch, rows, page }: Pending, lang: Language): (HTMLElement | null)[] {
  const count = batch.accepted;
  if (rows.length === 0) return [];
  if (!page) {
    const all = rows.length >= count;
    return [
      rowsTable(
        batch.id,
        pt(all ? "approvals.allRows" : "approvals.firstRows", lang, { count: String(count) }),
        rows,
        lang,
      ),
      all
        ? null
        : h(
            "p",
            { class: "actions" },
            rowsButton(batch.id, 0, pt("approvals.showAll", lang, { count: String(count) })),
          ),
    ];
  }
  const from = page.offset + 1;
  const to = page.offset + page.rows.length;
  const caption =
    page.offset === 0 && to >= count
      ? pt("approvals.allRows", lang, { count: String(count) })
      : pt("approvals.rowsShown", lang, { from: String(from), to: String(to), count: String(count) });
  return [
    rowsTable(batch.id, caption, page.rows, lang),
    h(
      "p",
      { class: "actions" },
      page.offset > 0
        ? rowsButton(batch.id, Math.max(0, page.offset - PAGE_ROWS), pt("approvals.previousPage", lang))
        : null,
      to < count ? rowsButton(batch.id, to, pt("approvals.nextPage", lang)) : null,
      rowsButton(batch.id, undefined, pt("approvals.showFirst", lang)),
    ),
  ];
}

/** Every error of an upload, folded away (open when there are few, or as the officer left it). */
function errorsOf(detail: BatchProgress, lang: Language, open: boolean | undefined): HTMLElement | null {
  const errors = detail.errors;
  if (errors.length === 0) return null;
  return h(
    "details",
    { class: "approval__errors", "data-errors": detail.id, open: open ?? errors.length <= 10 },
    h("summary", {}, pt("approvals.errorsSummary", lang, { count: String(errors.length) })),
    h(
      "ul",
      {},
      ...errors.map((e) =>
        h(
          "li",
          {},
          `${pt("upload.row", lang)} ${e.row ?? "–"}: `,
          typeof e.message === "string" ? e.message : e.message[lang],
        ),
      ),
    ),
  );
}

function uploadItem(pending: Pending, lang: Language, errorsOpen: boolean | undefined): HTMLElement {
  const { batch, detail, renewalOf } = pending;
  return h(
    "article",
    {
      class: "approval",
      "data-batch": batch.id,
      "data-renewal-of": renewalOf,
      "aria-labelledby": `approval-${batch.id}`,
    },
    h(
      "h4",
      { id: `approval-${batch.id}` },
      renewalOf ? `${pt("approvals.renewalOf", lang, { number: renewalOf })} · ${batch.id}` : batch.id,
    ),
    renewalOf ? h("p", { class: "approval__renewal" }, pt("approvals.renewalNote", lang, { number: renewalOf })) : null,
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
    ...rowsOf(pending, lang),
    errorsOf(detail, lang, errorsOpen),
    decision("batch", batch.id, batch.requestedBy, "release"),
  );
}

export function drawApprovals(): void {
  const { lang } = portal;
  if (state.batches) {
    // The errors the officer opened or closed stay so through a redraw.
    const open = new Map(
      [...elements.batches.querySelectorAll<HTMLDetailsElement>("details[data-errors]")].map((d) => [
        d.dataset.errors!,
        d.open,
      ]),
    );
    elements.batches.replaceChildren(
      ...(state.batches.length === 0
        ? [h("p", { class: "note" }, pt("approvals.noUploads", lang))]
        : state.batches.map((pending) => uploadItem(pending, lang, open.get(pending.batch.id)))),
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
