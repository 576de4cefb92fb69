// openid-client (a certified relying party) against jwtgate as an OpenID Provider:
// discovery, the code flow with PKCE, state and nonce, ID token validation (openid-client
// checks signature, iss, aud, azp, exp, iat, nonce and at_hash itself), userinfo, refresh
// (with its ID token, OIDC Core 12.2), and the end-session URL.
// Usage: node oidc_rp.mjs '<json config>'  -> prints a JSON report.
import * as client from "openid-client";
import { Browserish, parseForm, signIn } from "./browserish.mjs";

const cfg = JSON.parse(process.argv[2]);
const insecure = cfg.issuer.startsWith("http:") ? { execute: [client.allowInsecureRequests] } : {};
const auth = cfg.client_secret ? client.ClientSecretBasic(cfg.client_secret) : client.None();
const config = await client.discovery(new URL(cfg.issuer), cfg.client_id, cfg.client_secret ?? undefined, auth, insecure);
const metadata = config.serverMetadata();

const verifier = client.randomPKCECodeVerifier();
const challenge = await client.calculatePKCECodeChallenge(verifier);
const nonce = client.randomNonce();
const state = client.randomState();
const url = client.buildAuthorizationUrl(config, {
  redirect_uri: cfg.redirect_uri,
  scope: cfg.scope ?? "openid profile email",
  code_challenge: challenge,
  code_challenge_method: "S256",
  nonce,
  state,
  ...(cfg.extra ?? {}),
});
const agent = new Browserish();
const callback = await signIn(agent, url.href, cfg.redirect_uri, cfg.username, cfg.password);
const tokens = await client.authorizationCodeGrant(config, new URL(callback), {
  pkceCodeVerifier: verifier,
  expectedNonce: nonce,
  expectedState: state,
  idTokenExpected: true,
});
const claims = tokens.claims();
const userinfo = await client.fetchUserInfo(config, tokens.access_token, claims.sub);
const report = { metadata, callback, id_token: tokens.id_token, claims, userinfo, scope: tokens.scope };
if (tokens.refresh_token) {
  const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token);
  report.refreshed = { id_token: refreshed.id_token ?? null, claims: refreshed.claims() ?? null };
}
report.end_session_url = client.buildEndSessionUrl(config, {
  id_token_hint: tokens.id_token,
  post_logout_redirect_uri: cfg.post_logout_redirect_uri ?? cfg.redirect_uri,
  state: "bye-" + state,
}).href;
if (cfg.end_session) {
  // RP-initiated logout with the hint: jwtgate logs out at once and redirects with state.
  let out = await agent.follow(report.end_session_url, cfg.post_logout_redirect_uri);
  report.logout_confirmation_page = out.html !== null;
  if (out.html !== null) {
    // A confirmation page (oidc-provider always asks; jwtgate only without a valid hint).
    const { action, fields } = parseForm(out.html, out.url);
    out = await agent.follow(action, cfg.post_logout_redirect_uri, { method: "POST", form: fields });
  }
  report.logged_out_to = out.url;
  // The SSO session is gone: prompt=none now answers login_required.
  const silent = client.buildAuthorizationUrl(config, {
    redirect_uri: cfg.redirect_uri, scope: "openid", code_challenge: challenge,
    code_challenge_method: "S256", prompt: "none", state,
  });
  report.prompt_none_after_logout = (await agent.follow(silent.href, cfg.redirect_uri)).url;
}
console.log(JSON.stringify(report));
