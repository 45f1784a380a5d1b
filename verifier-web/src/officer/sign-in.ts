/**
 * Signing in. Officers sign in with their department account (`/auth/login`, the department's OpenID
 * Connect provider, back here with the session cookie); the page reads who they are from
 * `GET /session` and shows only what their roles allow. Systems may still sign in with an API key
 * (checked with `GET /me`, kept in `sessionStorage` for this tab only). A 401 SESSION_EXPIRED on any
 * call shows the sign-in card again, saying so.
 */
import { byId } from "../dom.ts";
import { pt } from "../portal-strings.ts";
import { ApiError, problemOf } from "../portal.ts";
import { logout, me, officerSession, whenExpired } from "./api.ts";
import type { Me } from "./api.ts";
import { portal, session } from "./state.ts";

/** `sessionStorage` key of a system's API key: this tab only, gone when it closes. */
const KEY_STORAGE = "hk-ecert-officer-key";

const elements = {
  signin: byId("signin"),
  signinMessage: byId("signin-message"),
  signinLink: byId<HTMLAnchorElement>("signin-link"),
  signinForm: byId<HTMLFormElement>("signin-form"),
  key: byId<HTMLInputElement>("api-key"),
  keyMessage: byId("key-message"),
  workspace: byId("workspace"),
  signedInAs: byId("signed-in-as"),
  signedInRoles: byId("signed-in-roles"),
  signout: byId<HTMLButtonElement>("signout"),
};

export type SignInHooks = {
  /** Signed in: the department's types and the roles are known (draw what the roles allow). */
  signedIn: () => void;
  /** Forget everything of the session (uploads, searches, the certificate shown). */
  signedOut: () => void;
};

/** The department shown after signing in (from `GET /me`). */
let department: Me | undefined;

/** Wires the sign-in link, the API key form and the sign-out button. */
export function wireSignIn(hooks: SignInHooks): void {
  elements.signinLink.href = `/auth/login?returnTo=${encodeURIComponent(location.pathname)}`;
  elements.signinForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void signInWithKey(elements.key.value, true, hooks);
  });
  elements.signout.addEventListener("click", () => void signOut(hooks));
  whenExpired(() => {
    if (!session.officer) return;
    end(hooks);
    portal.say(elements.signinMessage, { key: "officer.expired" }, "error");
    elements.signinLink.focus();
  });
}

/** The officer this browser is signed in as (the session cookie), else the key this tab kept, if any. */
export async function resumeSession(hooks: SignInHooks): Promise<void> {
  try {
    const answer = await officerSession();
    session.officer = answer.officer;
    session.csrfToken = answer.csrfToken;
    await enter(await me(), hooks);
    return;
  } catch (error) {
    session.officer = undefined;
    session.csrfToken = undefined;
    if (!(error instanceof ApiError && error.status === 401))
      portal.say(elements.signinMessage, problemOf(error), "error");
  }
  let saved: string | null;
  try {
    saved = sessionStorage.getItem(KEY_STORAGE);
  } catch {
    saved = null;
  }
  if (saved) await signInWithKey(saved, false, hooks);
}

async function signInWithKey(key: string, remember: boolean, hooks: SignInHooks): Promise<void> {
  const trimmed = key.trim();
  if (!trimmed) {
    elements.key.setAttribute("aria-invalid", "true");
    portal.say(elements.keyMessage, { key: "officer.keyEmpty" });
    return;
  }
  let answer: Me;
  try {
    answer = await me(trimmed);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      forgetKey();
      elements.key.setAttribute("aria-invalid", "true");
      portal.say(elements.keyMessage, { key: "officer.keyBad" });
    } else portal.say(elements.keyMessage, problemOf(error));
    return;
  }
  session.key = trimmed;
  session.scopes = answer.actor?.scopes ?? ["read", "issue", "status"];
  if (remember) {
    try {
      sessionStorage.setItem(KEY_STORAGE, trimmed);
    } catch {
      // storage disabled: signed in until the page is reloaded
    }
  }
  elements.key.value = "";
  elements.key.removeAttribute("aria-invalid");
  portal.say(elements.keyMessage, undefined);
  await enter(answer, hooks);
}

async function enter(answer: Me, hooks: SignInHooks): Promise<void> {
  department = answer;
  session.types = answer.types;
  portal.say(elements.signinMessage, undefined);
  drawSignedIn();
  elements.signin.hidden = true;
  elements.workspace.hidden = false;
  hooks.signedIn();
}

/** Who is signed in: name, department and roles (or the key's department). */
export function drawSignedIn(): void {
  if (!department) return;
  const { lang } = portal;
  const names = { en: department.name.en, zh: department.name["zh-HK"] };
  if (session.officer) {
    portal.say(elements.signedInAs, { key: "officer.signedInAs", values: { name: session.officer.name, ...names } });
    elements.signedInRoles.textContent = pt("officer.roles", lang, {
      roles: session.officer.roles.map((role) => pt(`role.${role}`, lang)).join(lang === "en" ? ", " : "、"),
    });
  } else {
    portal.say(elements.signedInAs, { key: "officer.signedInFor", values: names });
    elements.signedInRoles.textContent = department.actor
      ? pt("officer.keyRoles", lang, { label: department.actor.name })
      : "";
  }
}

async function signOut(hooks: SignInHooks): Promise<void> {
  const officer = session.officer;
  if (officer) {
    try {
      await logout();
    } catch {
      // the cookie is cleared by the server; a failed call leaves the session to time out
    }
  }
  end(hooks);
  if (officer) portal.say(elements.signinMessage, { key: "officer.signedOut" }, "ok");
  (officer ? elements.signinLink : elements.key).focus();
}

/** Forgets the session and shows the sign-in card. */
function end(hooks: SignInHooks): void {
  forgetKey();
  session.key = undefined;
  session.officer = undefined;
  session.csrfToken = undefined;
  session.scopes = [];
  department = undefined;
  hooks.signedOut();
  elements.workspace.hidden = true;
  elements.signin.hidden = false;
}

function forgetKey(): void {
  try {
    sessionStorage.removeItem(KEY_STORAGE);
  } catch {
    // storage disabled
  }
}
