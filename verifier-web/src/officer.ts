/**
 * # The department officer page (`/officer`)
 *
 * An officer signs in with their department account (OpenID Connect, `/auth/login`; the session is an
 * httpOnly cookie, every state-changing call carries its CSRF token) and sees what their roles allow:
 * a clerk uploads a CSV file (it waits as "awaiting approval"), follows the batch, requests status
 * changes with a reason and a case note, and makes new claim codes and claim letters; an approver
 * releases or rejects uploads and approves or rejects status changes requested by someone else; an
 * auditor reads the audit trail, exports it as CSV and checks its hash chain. Everyone finds
 * certificates, lists the batches and opens a certificate's detail (PDF, history by person, requests,
 * e-mail). Systems may sign in with an API key instead. The server enforces every permission; the page
 * hides what a role cannot do.
 *
 * One module per feature under `officer/`: `sign-in.ts`, `upload.ts`, `batch.ts` (progress, errors,
 * claim codes), `batches.ts` (the list of uploads), `approvals.ts`, `audit.ts`, `search.ts`, `detail.ts`
 * (status, history, status changes, claim code), `renew.ts`; `api.ts` calls the department routes with
 * the server's own types; `state.ts` holds what they share. This file wires them together.
 */
import { clearApprovals, drawApprovals, loadApprovals, wireApprovals } from "./officer/approvals.ts";
import { clearAudit, drawAudit, loadAudit, wireAudit } from "./officer/audit.ts";
import { drawBatch } from "./officer/batch.ts";
import { clearBatches, drawBatches, loadBatches, wireBatches } from "./officer/batches.ts";
import { clearDetail, drawConfirm, drawDetail, openDetail, wireDetail } from "./officer/detail.ts";
import { drawRenew, wireRenew } from "./officer/renew.ts";
import { clearResults, drawResults, wireSearch } from "./officer/search.ts";
import { drawSignedIn, resumeSession, wireSignIn } from "./officer/sign-in.ts";
import type { SignInHooks } from "./officer/sign-in.ts";
import { can, portal, redrawOnSwitch } from "./officer/state.ts";
import { byId } from "./dom.ts";
import { clearUpload, drawTypes, wireUpload } from "./officer/upload.ts";

const hooks: SignInHooks = {
  signedIn: () => {
    byId("upload").hidden = !can("issue");
    drawTypes();
    void loadBatches();
    void loadApprovals();
    void loadAudit();
  },
  signedOut: () => {
    clearUpload();
    clearResults();
    clearDetail();
    clearBatches();
    clearApprovals();
    clearAudit();
  },
};

redrawOnSwitch(
  drawSignedIn,
  drawTypes,
  drawBatch,
  drawBatches,
  drawApprovals,
  drawAudit,
  drawResults,
  drawDetail,
  drawConfirm,
  drawRenew,
);
wireSignIn(hooks);
wireUpload(() => {
  void loadBatches();
  void loadApprovals();
});
wireApprovals(() => void loadBatches());
wireBatches();
wireAudit();
wireSearch((id) => void openDetail(id, true));
wireDetail();
wireRenew();

portal.apply();
void resumeSession(hooks).finally(() => document.body.classList.add("ready"));
