/**
 * The sign-in pages served by the server itself: the embedded provider's login form and the bilingual
 * page that says why a sign-in was refused. Plain HTML with one stylesheet (`/auth/auth.css`): no
 * script and no inline style, within the app's CSP (self only).
 */

/** Text in both languages. */
export interface Bilingual {
  en: string;
  "zh-HK": string;
}

/** The stylesheet's path (served by `server/api/session-routes.ts`). */
export const AUTH_STYLESHEET = "/auth/auth.css";

/** HTML-escapes text for element content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/** Both languages of a text, each marked with its language. */
function both(text: Bilingual): string {
  return `<span lang="en">${escapeHtml(text.en)}</span> <span lang="zh-HK">${escapeHtml(text["zh-HK"])}</span>`;
}

function page(title: Bilingual, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${escapeHtml(title.en)} · ${escapeHtml(title["zh-HK"])} – HK e-Cert</title>
<link rel="stylesheet" href="${AUTH_STYLESHEET}">
</head>
<body>
<main class="card">
<p class="brand">HK e-Cert <span lang="zh-HK">電子證書</span></p>
<h1>${both(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

export interface LoginPageParameters {
  /** Where the form posts. */
  action: string;
  /** The username typed before (after a wrong password). */
  username?: string;
  /** Why the last attempt was refused. */
  error?: Bilingual;
}

/** The embedded provider's sign-in form (development officers). */
export function loginPage(parameters: LoginPageParameters): string {
  const error = parameters.error ? `<p class="error" role="alert" id="login-error">${both(parameters.error)}</p>` : "";
  const described = parameters.error ? ' aria-describedby="login-error"' : "";
  return page(
    { en: "Officer sign-in", "zh-HK": "職員登入" },
    `<p>${both({
      en: "Development sign-in of the embedded default: the officers and their passwords are printed when the server starts.",
      "zh-HK": "內置預設環境的開發用登入：伺服器啟動時會列出職員帳戶及其密碼。",
    })}</p>
${error}
<form method="post" action="${escapeHtml(parameters.action)}">
<label for="username">${both({ en: "Username", "zh-HK": "用戶名稱" })}</label>
<input id="username" name="username" autocomplete="username" required maxlength="64" value="${escapeHtml(parameters.username ?? "")}"${described}>
<label for="password">${both({ en: "Password", "zh-HK": "密碼" })}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required maxlength="200"${described}>
<button type="submit">${both({ en: "Sign in", "zh-HK": "登入" })}</button>
</form>`,
  );
}

/** A page that says what went wrong, and offers to start again. */
export function messagePage(title: Bilingual, message: Bilingual, again?: { href: string; text: Bilingual }): string {
  return page(
    title,
    `<p class="error" role="alert">${both(message)}</p>${
      again ? `\n<p><a href="${escapeHtml(again.href)}">${both(again.text)}</a></p>` : ""
    }`,
  );
}

/** The pages' stylesheet. */
export const AUTH_CSS = `:root { color-scheme: light; font-family: system-ui, "Noto Sans HK", "Microsoft JhengHei", sans-serif; }
body { margin: 0; background: #f3f5f8; color: #1b1f24; }
.card { max-width: 28rem; margin: 3rem auto; padding: 2rem; background: #fff; border: 1px solid #d0d7de; border-radius: 8px; }
.brand { margin: 0 0 1rem; font-weight: 600; color: #0b4f8a; }
h1 { font-size: 1.4rem; margin: 0 0 1rem; }
h1 span[lang="zh-HK"] { display: block; font-size: 1.1rem; }
label { display: block; margin-top: 1rem; font-weight: 600; }
input { display: block; box-sizing: border-box; width: 100%; margin-top: 0.25rem; padding: 0.5rem; font: inherit; border: 1px solid #57606a; border-radius: 4px; }
input:focus, button:focus, a:focus { outline: 3px solid #0969da; outline-offset: 2px; }
button { margin-top: 1.5rem; padding: 0.6rem 1.2rem; font: inherit; color: #fff; background: #0b4f8a; border: 0; border-radius: 4px; cursor: pointer; }
.error { padding: 0.75rem; color: #82071e; background: #ffebe9; border: 1px solid #ff8182; border-radius: 4px; }
a { color: #0b4f8a; }
`;
