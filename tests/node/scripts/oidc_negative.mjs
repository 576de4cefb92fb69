// Negative cases for the differential against npm oidc-provider: the same requests to either
// OpenID Provider, and the `error` code each answers (or "ok"). Raw HTTP on purpose: a client
// library would refuse to send most of these.
// Usage: node oidc_negative.mjs '<json config>'  -> prints {case: error}.
import * as client from "openid-client";
import { Browserish, signIn } from "./browserish.mjs";

const cfg = JSON.parse(process.argv[2]);
const insecure = cfg.issuer.startsWith("http:") ? { execute: [client.allowInsecureRequests] } : {};
const config = await client.discovery(new URL(cfg.issuer), cfg.client_id, cfg.client_secret, client.ClientSecretBasic(cfg.client_secret), insecure);
const meta = config.serverMetadata();
const basic = "Basic " + Buffer.from(`${encodeURIComponent(cfg.client_id)}:${encodeURIComponent(cfg.client_secret)}`).toString("base64");
const out = {};

async function token(form, authorization = basic) {
  const r = await fetch(meta.token_endpoint, {
    method: "POST",
    headers: { authorization, "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(form).toString(),
  });
  const body = await r.json().catch(() => ({}));
  return r.ok ? "ok" : body.error ?? `HTTP ${r.status}`;
}

async function authorizeError(params, agent = new Browserish()) {
  const url = new URL(meta.authorization_endpoint);
  for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
  const step = await agent.follow(url.href, cfg.redirect_uri);
  if (step.html !== null) return `page ${step.response.status}`;
  const back = new URL(step.url);
  return back.searchParams.get("error") ?? (back.searchParams.get("code") ? "ok" : "no code");
}

async function freshCode(agent) {
  const verifier = client.randomPKCECodeVerifier();
  const url = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri, scope: "openid profile", state: "s",
    code_challenge: await client.calculatePKCECodeChallenge(verifier), code_challenge_method: "S256",
  });
  const callback = await signIn(agent, url.href, cfg.redirect_uri, cfg.username, cfg.password);
  return { code: new URL(callback).searchParams.get("code"), verifier };
}

const agent = new Browserish();
const grant = (code, verifier, extra = {}) => ({ grant_type: "authorization_code", code, code_verifier: verifier, redirect_uri: cfg.redirect_uri, ...extra });

let c = await freshCode(agent);
out.wrong_code_verifier = await token(grant(c.code, c.verifier + "x"));
c = await freshCode(agent);
out.wrong_redirect_uri = await token(grant(c.code, c.verifier, { redirect_uri: cfg.redirect_uri + "/other" }));
c = await freshCode(agent);
out.missing_code_verifier = await token({ grant_type: "authorization_code", code: c.code, redirect_uri: cfg.redirect_uri });
c = await freshCode(agent);
out.wrong_client_secret = await token(grant(c.code, c.verifier), "Basic " + Buffer.from(`${cfg.client_id}:wrong`).toString("base64"));
c = await freshCode(agent);
out.first_use = await token(grant(c.code, c.verifier));
out.code_reuse = await token(grant(c.code, c.verifier));
out.unknown_code = await token(grant("A".repeat(43), c.verifier));
out.refresh_garbage = await token({ grant_type: "refresh_token", refresh_token: "B".repeat(43) });
out.unsupported_grant_type = await token({ grant_type: "urn:example:nope" });
out.missing_grant_type = await token({});

const challenge = await client.calculatePKCECodeChallenge(client.randomPKCECodeVerifier());
const base = { client_id: cfg.client_id, redirect_uri: cfg.redirect_uri, scope: "openid", state: "s", code_challenge: challenge, code_challenge_method: "S256" };
out.prompt_none_not_logged_in = await authorizeError({ ...base, response_type: "code", prompt: "none" });
out.prompt_none_logged_in = await authorizeError({ ...base, response_type: "code", prompt: "none" }, agent);
out.response_type_token = await authorizeError({ ...base, response_type: "token" }, agent);
out.response_type_missing = await authorizeError({ ...base }, agent);
out.pkce_plain = await authorizeError({ ...base, response_type: "code", code_challenge_method: "plain" }, agent);
out.unknown_parameter = await authorizeError({ ...base, response_type: "code", extra: "foobar" }, agent);

async function userinfo(headers) {
  const r = await fetch(meta.userinfo_endpoint, { headers });
  if (r.ok) return "ok";
  const challenge = r.headers.get("www-authenticate") ?? "";
  const m = challenge.match(/error="([^"]+)"/);
  return m ? m[1] : `HTTP ${r.status}`;
}
out.userinfo_no_token = await userinfo({});
out.userinfo_bad_token = await userinfo({ authorization: "Bearer not-a-token" });
console.log(JSON.stringify(out));
