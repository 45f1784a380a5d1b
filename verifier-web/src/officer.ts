/**
 * # The department officer page (`/officer`)
 *
 * An officer signs in with the department's API key (kept in `sessionStorage` for this tab only: never
 * in the address, never in `localStorage`), uploads a CSV file of one certificate type and follows the
 * batch (`GET /batches/{id}`, polled) to `issued`, reads the per-row errors, downloads the claim codes of
 * the accepted certificates (a CSV built in the browser from the upload's answer), finds a certificate
 * (`GET /certificates?q=`), reads its status and history, and revokes, suspends or reinstates it with a
 * reason, after a confirmation step, or renews it. The API acts for the key's own department only.
 *
 * One module per feature under `officer/`: `sign-in.ts`, `upload.ts`, `batch.ts` (progress, errors,
 * claim codes), `search.ts`, `detail.ts` (status, history, status changes), `renew.ts`; `api.ts` calls
 * the department routes with the server's own types; `state.ts` holds what they share. This file wires
 * them together.
 */
import { drawBatch } from "./officer/batch.ts";
import { clearDetail, drawConfirm, drawDetail, openDetail, wireDetail } from "./officer/detail.ts";
import { drawRenew, wireRenew } from "./officer/renew.ts";
import { clearResults, drawResults, wireSearch } from "./officer/search.ts";
import { resumeSession, wireSignIn } from "./officer/sign-in.ts";
import type { SignInHooks } from "./officer/sign-in.ts";
import { portal, redrawOnSwitch } from "./officer/state.ts";
import { clearUpload, drawTypes, wireUpload } from "./officer/upload.ts";

const hooks: SignInHooks = {
  signedIn: drawTypes,
  signedOut: () => {
    clearUpload();
    clearResults();
    clearDetail();
  },
};

redrawOnSwitch(drawTypes, drawBatch, drawResults, drawDetail, drawConfirm, drawRenew);
wireSignIn(hooks);
wireUpload();
wireSearch((id) => void openDetail(id, true));
wireDetail();
wireRenew();

portal.apply();
void resumeSession(hooks).finally(() => document.body.classList.add("ready"));
