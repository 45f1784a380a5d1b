// Helpers for the sign-in tests: a browser's part of the OpenID Connect flow done by hand (fetch with
// redirects followed one at a time, a cookie jar, the login form posted). Nothing here runs on import.

/** Cookies by name (paths ignored: one site). */
export class CookieJar {
  readonly cookies = new Map<string, string>();
  /** Every Set-Cookie line seen, as sent. */
  readonly seen: string[] = [];

  absorb(res: Response): void {
    for (const line of res.headers.getSetCookie()) {
      this.seen.push(line);
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attributes.some((a) => {
        const [k, v] = a.trim().split("=");
        return (
          (k.toLowerCase() === "expires" && Date.parse(v) <= Date.now()) ||
          (k.toLowerCase() === "max-age" && Number(v) <= 0)
        );
      });
      if (expired || value === "") this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  header(): string {
    return [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }
}

export interface Step {
  status: number;
  location: string | null;
  url: string;
  body: string;
}

/** One request with the jar's cookies, no redirect followed. */
export async function step(
  jar: CookieJar,
  url: string,
  init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {},
): Promise<Step> {
  const headers: Record<string, string> = { ...init.headers };
  const cookie = jar.header();
  if (cookie) headers.cookie = cookie;
  let body: string | undefined;
  if (init.form) {
    headers["content-type"] = "application/x-www-form-urlencoded";
    body = new URLSearchParams(init.form).toString();
  }
  const res = await fetch(url, { method: init.method ?? "GET", headers, body, redirect: "manual" });
  jar.absorb(res);
  const location = res.headers.get("location");
  return { status: res.status, location: location && new URL(location, url).href, url, body: await res.text() };
}

/** Follows redirects from `url` until a page that is not one (at most 10). */
export async function follow(jar: CookieJar, url: string): Promise<Step[]> {
  const steps: Step[] = [];
  let next: string | null = url;
  while (next && steps.length < 10) {
    const s = await step(jar, next);
    steps.push(s);
    next = s.status >= 300 && s.status < 400 ? s.location : null;
  }
  return steps;
}

/** The login form's action on a page (absolute). */
export function formAction(page: Step): string {
  const match = /<form method="post" action="([^"]+)"/.exec(page.body);
  if (!match) throw new Error(`no login form at ${page.url} (${page.status}): ${page.body.slice(0, 300)}`);
  return new URL(match[1].replaceAll("&amp;", "&"), page.url).href;
}

export interface SignInResult {
  jar: CookieJar;
  /** The session cookie's value. */
  session: string;
  /** The CSRF token of GET /api/v1/session. */
  csrfToken: string;
  /** Where the sign-in ended (the returnTo page). */
  landedAt: string;
  /** The callback URL the provider sent the browser to (code and state in its query). */
  callbackUrl: string;
  steps: Step[];
}

/**
 * Signs in at `serverUrl` as `username`: GET /auth/login, the provider's redirects to its login page,
 * the form posted, the redirects back to /auth/callback and to `returnTo`.
 */
export async function signIn(
  serverUrl: string,
  username: string,
  password: string,
  returnTo = "/officer.html",
): Promise<SignInResult> {
  const jar = new CookieJar();
  const toLogin = await follow(jar, `${serverUrl}/auth/login?returnTo=${encodeURIComponent(returnTo)}`);
  const loginPage = toLogin.at(-1)!;
  const posted = await step(jar, formAction(loginPage), { method: "POST", form: { username, password } });
  if (posted.status !== 303) throw new Error(`sign-in as ${username} refused (${posted.status})`);
  const back = await follow(jar, posted.location!);
  const callback = back.find((s) => new URL(s.url).pathname === "/auth/callback");
  if (!callback) throw new Error(`never reached /auth/callback: ${back.map((s) => `${s.status} ${s.url}`).join(", ")}`);
  const session = jar.cookies.get("ecert_session");
  if (!session)
    throw new Error(`no session cookie after the callback (${callback.status}): ${callback.body.slice(0, 300)}`);
  const me = await fetch(`${serverUrl}/api/v1/session`, { headers: { cookie: `ecert_session=${session}` } });
  const csrfToken = ((await me.json()) as { csrfToken: string }).csrfToken;
  return {
    jar,
    session,
    csrfToken,
    landedAt: callback.location!,
    callbackUrl: callback.url,
    steps: [...toLogin, posted, ...back],
  };
}

/** Calls the API with a session cookie (and a CSRF token, when given). */
export async function withSession(
  serverUrl: string,
  session: string,
  method: string,
  route: string,
  options: { csrfToken?: string; json?: unknown } = {},
): Promise<{ status: number; json: any }> {
  const headers: Record<string, string> = { cookie: `ecert_session=${session}` };
  if (options.csrfToken) headers["x-csrf-token"] = options.csrfToken;
  if (options.json !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(`${serverUrl}${route}`, {
    method,
    headers,
    body: options.json === undefined ? undefined : JSON.stringify(options.json),
  });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, json };
}
