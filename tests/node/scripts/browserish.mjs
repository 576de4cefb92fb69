// A cookie-keeping, form-submitting HTTP user agent for protocol tests: it follows redirects
// by hand (so a test sees every hop), keeps cookies per host, and submits the sign-in and
// consent forms of jwtgate's pages the way a browser would (hidden fields, Origin header).
export class Browserish {
  constructor() {
    this.jar = new Map(); // host -> Map(name -> value)
  }

  cookieHeader(url) {
    const cookies = this.jar.get(new URL(url).host);
    if (!cookies || cookies.size === 0) return undefined;
    return [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
  }

  remember(url, response) {
    const host = new URL(url).host;
    const cookies = this.jar.get(host) ?? new Map();
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expired = attrs.some((a) => /max-age=0\b/i.test(a.trim()) || /expires=thu, 01 jan 1970/i.test(a.trim()));
      if (expired || value === "") cookies.delete(name);
      else cookies.set(name, value);
    }
    this.jar.set(host, cookies);
  }

  async request(url, { method = "GET", form, headers = {} } = {}) {
    const h = { ...headers };
    const cookie = this.cookieHeader(url);
    if (cookie) h.cookie = cookie;
    let body;
    if (form) {
      body = new URLSearchParams(form).toString();
      h["content-type"] = "application/x-www-form-urlencoded";
      h.origin = new URL(url).origin;
    }
    const response = await fetch(url, { method, headers: h, body, redirect: "manual" });
    this.remember(url, response);
    return response;
  }

  // Follow redirects from `url` until one leaves for `stopAt` (a URL prefix) or a page (200)
  // comes back; returns {url, response, html}.
  async follow(url, stopAt, init = {}) {
    let response = await this.request(url, init);
    for (let hops = 0; hops < 20; hops++) {
      if (response.status >= 300 && response.status < 400) {
        const next = new URL(response.headers.get("location"), url).toString();
        if (stopAt && next.startsWith(stopAt)) return { url: next, response, html: null };
        url = next;
        response = await this.request(url);
        continue;
      }
      return { url, response, html: await response.text() };
    }
    throw new Error("too many redirects");
  }
}

// The form of a page that asks something (a password, a decision, a logout), else the first:
// its action (absolute) and hidden inputs, with the submit button that carries the answer.
export function parseForm(html, pageUrl) {
  const forms = [...html.matchAll(/<form\b[^>]*>[\s\S]*?<\/form>/gi)].map((m) => m[0]);
  if (forms.length === 0) throw new Error(`no form on ${pageUrl}: ${html.slice(0, 300)}`);
  const form = forms.find((f) => /name="(password|decision|logout|prompt)"/i.test(f)) ?? forms[0];
  const open = form.match(/<form\b[^>]*>/i)[0];
  const action = (open.match(/action="([^"]*)"/i) ?? [null, pageUrl])[1].replaceAll("&amp;", "&");
  const fields = {};
  for (const input of form.matchAll(/<input\b[^>]*>/gi)) {
    const tag = input[0];
    const type = (tag.match(/type="([^"]*)"/i) ?? [null, "text"])[1];
    const name = (tag.match(/name="([^"]*)"/i) ?? [null, null])[1];
    const value = (tag.match(/value="([^"]*)"/i) ?? [null, ""])[1].replaceAll("&amp;", "&").replaceAll("&#34;", '"').replaceAll("&#39;", "'");
    if (name && type === "hidden") fields[name] = value;
  }
  // A submit button that carries the decision (jwtgate: decision=allow/logout; oidc-provider's
  // logout page: logout=yes).
  const button = form.match(/<button\b[^>]*name="([^"]+)"[^>]*value="(allow|logout|yes)"/i);
  if (button) fields[button[1]] = button[2];
  return { action: new URL(action, pageUrl).toString(), fields, asksPassword: /name="password"/i.test(form) };
}

// Sign in (and allow consent) starting from an authorization URL; returns the callback URL
// that jwtgate redirected to (starting with `redirectUri`).
export async function signIn(agent, authorizationUrl, redirectUri, username, password) {
  let step = await agent.follow(authorizationUrl, redirectUri);
  for (let pages = 0; pages < 4 && step.html !== null; pages++) {
    const { action, fields, asksPassword } = parseForm(step.html, step.url);
    if (asksPassword) {
      Object.assign(fields, { username, password });
      if (/name="login"/i.test(step.html)) fields.login = username; // oidc-provider's dev form
    }
    step = await agent.follow(action, redirectUri, { method: "POST", form: fields });
  }
  if (step.html !== null) throw new Error(`stuck on ${step.url}: ${step.html.slice(0, 500)}`);
  return step.url;
}
