/**
 * Signing in with the department's API key (checked with `GET /me`, kept in `sessionStorage` for this
 * tab only: never in the address, never in `localStorage`) and signing out.
 */
import { byId } from "../dom.ts";
import { ApiError, problemOf } from "../portal.ts";
import { me } from "./api.ts";
import type { Me } from "./api.ts";
import { portal, session } from "./state.ts";

/** `sessionStorage` key of the API key: this tab only, gone when it closes. */
const KEY_STORAGE = "hk-ecert-officer-key";

const elements = {
  signin: byId("signin"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  key: byId<HTMLInputElement>("api-key"),
  signinMessage: byId("signin-message"),
  workspace: byId("workspace"),
  signedInAs: byId("signed-in-as"),
  signout: byId<HTMLButtonElement>("signout"),
};

export type SignInHooks = {
  /** The department's types are known (draw the upload form's choices). */
  signedIn: () => void;
  /** Forget everything of the session (uploads, searches, the certificate shown). */
  signedOut: () => void;
};

/** Wires the sign-in form and the sign-out button. */
export function wireSignIn(hooks: SignInHooks): void {
  elements.signinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void signIn(elements.key.value, true, hooks);
  });
  elements.signout.addEventListener("click", () => signOut(hooks));
}

/** Signs in again with the key this tab kept, if any. */
export function resumeSession(hooks: SignInHooks): Promise<void> {
  let saved: string | null;
  try {
    saved = sessionStorage.getItem(KEY_STORAGE);
  } catch {
    saved = null;
  }
  return saved ? signIn(saved, false, hooks) : Promise.resolve();
}

async function signIn(key: string, remember: boolean, hooks: SignInHooks): Promise<void> {
  const trimmed = key.trim();
  if (!trimmed) {
    elements.key.setAttribute("aria-invalid", "true");
    portal.say(elements.signinMessage, { key: "officer.keyEmpty" });
    return;
  }
  let department: Me;
  try {
    department = await me(trimmed);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      forgetKey();
      elements.key.setAttribute("aria-invalid", "true");
      portal.say(elements.signinMessage, { key: "officer.keyBad" });
    } else portal.say(elements.signinMessage, problemOf(error));
    return;
  }
  session.key = trimmed;
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
  portal.say(elements.signedInAs, {
    key: "officer.signedInFor",
    values: { en: department.name.en, zh: department.name["zh-HK"] },
  });
  session.types = department.types;
  hooks.signedIn();
  elements.signin.hidden = true;
  elements.workspace.hidden = false;
}

function signOut(hooks: SignInHooks): void {
  forgetKey();
  session.key = undefined;
  hooks.signedOut();
  elements.workspace.hidden = true;
  elements.signin.hidden = false;
  elements.key.focus();
}

function forgetKey(): void {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled
  }
}
