// The authorization code flow with PKCE driven by openid-client (a certified relying party):
// discovery, authorization URL with PKCE and state, the sign-in form submitted by a
// cookie-keeping HTTP client (fetch + a small cookie jar), the callback validated (state,
// iss: RFC 9207), code exchange, refresh. Prints one JSON object with what happened.
//
// usage: node scripts/code_flow.mjs ISSUER CLIENT_ID SECRET|- REDIRECT_URI USERNAME PASSWORD [SCOPE] [RESOURCE]
import * as client from 'openid-client'

const [issuer, clientId, secret, redirectUri, username, password, scope = 'orders:read', resource] =
  process.argv.slice(2)

const jar = new Map()
function remember(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq).trim()
    const value = pair.slice(eq + 1).trim()
    if (/max-age=0/i.test(line) || value === '' || value === '""') jar.delete(name)
    else jar.set(name, value)
  }
}
async function browse(url, init = {}) {
  const headers = new Headers(init.headers || {})
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  const response = await fetch(url, { ...init, headers, redirect: 'manual' })
  remember(response)
  return response
}

const options = { execute: [client.allowInsecureRequests] }
const config =
  secret === '-'
    ? await client.discovery(new URL(issuer), clientId, undefined, client.None(), options)
    : await client.discovery(new URL(issuer), clientId, secret, undefined, options)

const verifier = client.randomPKCECodeVerifier()
const challenge = await client.calculatePKCECodeChallenge(verifier)
const state = client.randomState()
const parameters = {
  redirect_uri: redirectUri,
  scope,
  code_challenge: challenge,
  code_challenge_method: 'S256',
  state,
}
if (resource) parameters.resource = resource
const authorizationUrl = client.buildAuthorizationUrl(config, parameters)

// The browser part: follow redirects, sign in on the server's own page, consent if asked.
let response = await browse(authorizationUrl.href)
let location = response.headers.get('location')
const origin = new URL(issuer).origin
for (let hops = 0; hops < 10 && !(location || '').startsWith(redirectUri); hops++) {
  if (response.status === 303 || response.status === 302) {
    response = await browse(new URL(location, issuer).href)
    location = response.headers.get('location')
    continue
  }
  const html = await response.text()
  const csrf = /name="csrf_token" value="([^"]+)"/.exec(html)?.[1]
  if (html.includes('name="password"')) {
    const next = /name="next" value="([^"]*)"/.exec(html)[1].replaceAll('&amp;', '&')
    response = await browse(new URL('/web/login', issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: new URLSearchParams({ username, password, csrf_token: csrf, next }),
    })
  } else if (html.includes('name="decision"')) {
    const form = new URLSearchParams()
    // The consent form's own fields only, as a browser submits them (the page's header has a
    // sign-out form with a csrf_token of its own).
    const consent = /<form method="post" action="\/auth\/authorize">([\s\S]*?)<\/form>/.exec(html)[1]
    for (const [, name, value] of consent.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g))
      form.append(name, value.replaceAll('&amp;', '&').replaceAll('&#34;', '"').replaceAll('&#39;', "'"))
    form.append('decision', 'allow')
    response = await browse(new URL('/auth/authorize', issuer).href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
      body: form,
    })
  } else {
    throw new Error(`unexpected page ${response.status}: ${html.slice(0, 300)}`)
  }
  location = response.headers.get('location')
}

const callback = new URL(location)
const out = { callback_params: Object.fromEntries(callback.searchParams) }
try {
  const tokens = await client.authorizationCodeGrant(config, callback, {
    pkceCodeVerifier: verifier,
    expectedState: state,
  }, resource ? { resource } : undefined)
  out.token_type = tokens.token_type
  out.scope = tokens.scope
  out.access_token = tokens.access_token
  out.has_refresh_token = Boolean(tokens.refresh_token)
  if (tokens.refresh_token) {
    const refreshed = await client.refreshTokenGrant(config, tokens.refresh_token)
    out.refreshed = Boolean(refreshed.access_token)
    out.rotated = refreshed.refresh_token !== tokens.refresh_token
  }
} catch (error) {
  out.error = error.error || error.code || error.name
  out.error_message = String(error.message)
}
process.stdout.write(JSON.stringify(out))
