/**
 * The batch view of the last upload: its progress to `issued` (`GET /batches/{id}`, polled), the
 * batches the pipeline set aside, the per-row error table, and the claim codes of the accepted rows as
 * a CSV download (built in the browser from the upload's answer: the server shows the codes once).
 */
import { byId, h } from "../dom.ts";
import { pt } from "../portal-strings.ts";
import { setDownload } from "../portal.ts";
import { batchProgress } from "./api.ts";
import type { Accepted, BatchProgress } from "./api.ts";
import { POLL_MS, portal } from "./state.ts";

const elements = {
  batch: byId("batch"),
  batchProgress: byId<HTMLProgressElement>("batch-progress"),
  batchProgressText: byId("batch-progress-text"),
  claimCodes: byId<HTMLAnchorElement>("claim-codes"),
  batchErrors: byId("batch-errors"),
};

const state = {
  /** The last upload's answer and its batch's progress. */
  upload: undefined as Accepted | undefined,
  batch: undefined as BatchProgress | undefined,
  pollTimer: undefined as ReturnType<typeof setTimeout> | undefined,
};

/**
 * A row error's message in the page's language. Uploads stored before messages were bilingual have one
 * English string: it is shown as it is.
 */
function messageIn(message: { en: string; "zh-HK": string } | string, lang: "en" | "zh-HK"): string {
  return typeof message === "string" ? message : message[lang];
}

/** Shows what an upload became and follows its batch until it is done. */
export function showBatch(answer: Accepted): void {
  state.upload = answer;
  if (answer.certificates.length > 0) {
    const lines = [
      "row,certificate_number,claim_code",
      ...answer.certificates.map((c) => [c.row, c.certificateNumber, c.claimCode].map(csvCell).join(",")),
    ];
    setDownload(
      elements.claimCodes,
      new Blob([`${lines.join("\r\n")}\r\n`], { type: "text/csv" }),
      `claim-codes-${answer.batchId}.csv`,
    );
  }
  elements.batch.dataset.batchId = answer.batchId;
  elements.batch.hidden = false;
  drawBatch();
  if (answer.certificates.length > 0) void poll(answer.batchId);
}

/** Stops following the batch and hides it (a new upload, or signing out). */
export function clearBatch(): void {
  clearTimeout(state.pollTimer);
  state.upload = undefined;
  state.batch = undefined;
  elements.batch.hidden = true;
}

/** A CSV cell, quoted when it must be; a leading formula character is defused (the file opens in spreadsheets). */
function csvCell(value: string | number): string {
  let text = String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/** Above this many certificates, an upload's progress is polled every 3 s instead of every 0.5 s. */
const LARGE_UPLOAD_ROWS = 10_000;

async function poll(batchId: string): Promise<void> {
  try {
    const batch = await batchProgress(batchId);
    if (state.upload?.batchId !== batchId) return;
    state.batch = batch;
    drawBatch();
    if (batch.done || batch.state === "rejected") return;
    if (batch.state === "awaiting-approval") {
      // Nothing moves until an approver releases it: look again now and then.
      state.pollTimer = setTimeout(() => void poll(batchId), POLL_MS * 6);
      return;
    }
  } catch (error) {
    if (state.upload?.batchId !== batchId) return;
    console.error("batch progress failed", error);
  }
  // A large upload is counted row by row on each look: look less often (its batches take minutes).
  const large = (state.upload?.certificates.length ?? 0) > LARGE_UPLOAD_ROWS;
  state.pollTimer = setTimeout(() => void poll(batchId), large ? POLL_MS * 6 : POLL_MS);
}

export function drawBatch(): void {
  const answer = state.upload;
  if (!answer) return;
  const { lang } = portal;
  const accepted = answer.certificates.length;
  const progress: Partial<Record<string, number>> = state.batch?.progress ?? {};
  const count = (status: string) => String(progress[status] ?? 0);
  const issued = progress.issued ?? 0;
  elements.batchProgress.max = Math.max(accepted, 1);
  elements.batchProgress.value = accepted === 0 ? 0 : issued;
  elements.batch.dataset.done = String(Boolean(state.batch?.done));
  const failures = state.batch?.failures ?? [];
  const uploadState = state.batch?.state ?? answer.state;
  elements.batch.dataset.state = uploadState;
  elements.batchProgressText.textContent =
    uploadState === "awaiting-approval" || uploadState === "rejected"
      ? pt(`batchState.${uploadState}`, lang)
      : !state.batch?.done
        ? pt("upload.progress", lang, {
            issued: String(issued),
            accepted: String(accepted),
            pending: count("pending"),
            anchoring: count("anchoring"),
            failed: count("failed"),
          })
        : failures.length > 0
          ? pt("upload.failed", lang, {
              issued: String(issued),
              failed: count("failed"),
              reason: failures.map((f) => f.reason).join("; "),
            })
          : pt("upload.done", lang);
  elements.batchProgressText.classList.toggle("message--error", Boolean(state.batch?.done) && failures.length > 0);
  elements.claimCodes.hidden = accepted === 0;
  elements.batchProgress.hidden = accepted === 0;
  elements.batchProgressText.hidden = accepted === 0;
  const errors = answer.errors;
  const acceptedRows =
    answer.certificates.length === 0
      ? null
      : h(
          "details",
          { class: "accepted-rows" },
          h("summary", {}, pt("upload.acceptedRows", lang, { count: String(accepted) })),
          h(
            "div",
            { class: "table-wrap" },
            h(
              "table",
              { class: "table", id: "accepted-table" },
              h(
                "thead",
                {},
                h(
                  "tr",
                  {},
                  h("th", { scope: "col" }, pt("upload.row", lang)),
                  h("th", { scope: "col" }, pt("search.number", lang)),
                ),
              ),
              h(
                "tbody",
                {},
                ...answer.certificates.map((c) =>
                  h("tr", {}, h("td", {}, String(c.row)), h("td", { class: "table__nowrap" }, c.certificateNumber)),
                ),
              ),
            ),
          ),
        );
  if (errors.length === 0) {
    elements.batchErrors.replaceChildren(...(acceptedRows ? [acceptedRows] : []));
    return;
  }
  const table = h(
    "table",
    { class: "table", id: "errors-table" },
    h("caption", {}, pt("upload.errorsCaption", lang, { count: String(new Set(errors.map((e) => e.row)).size) })),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        h("th", { scope: "col" }, pt("upload.row", lang)),
        h("th", { scope: "col" }, pt("upload.column", lang)),
        h("th", { scope: "col" }, pt("upload.problem", lang)),
      ),
    ),
    h(
      "tbody",
      {},
      ...errors.map((e) =>
        h(
          "tr",
          {},
          h("td", {}, e.row === null ? "–" : String(e.row)),
          h("td", {}, e.column ?? "–"),
          h("td", { class: "table__message" }, messageIn(e.message, lang)),
        ),
      ),
    ),
  );
  elements.batchErrors.replaceChildren(
    ...(acceptedRows ? [acceptedRows] : []),
    h(
      "div",
      {
        class: "table-wrap",
        tabindex: 0,
        role: "region",
        "aria-label": pt("upload.errorsCaption", lang, { count: String(errors.length) }),
      },
      table,
    ),
  );
}
