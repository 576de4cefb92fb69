// The same openid-client script for every case, pointed at one provider (jwtgate or
// oidc-provider): each case ends in success or an error code, printed as JSON lines
// {"case", "outcome"}. The browser part (sign-in and consent pages of either provider) is a
// cookie-keeping fetch that fills the first form of each page.
//
// usage: node scripts/differential.mjs ISSUER PUBLIC_ID OTHER_ID CONFIDENTIAL_ID SECRET REDIRECT RESOURCE USERNAME PASSWORD
import * as client from 'openid-client'

const [issuer, publicId, otherId, confidentialId, secret, redirectUri, resource, username, password] =
  process.argv.slice(2)
const options = { execute: [client.allowInsecureRequests] }
const jar = new Map()

async function browse(url, init = {}) {
  const headers = new Headers(init.headers || {})
  if (jar.size) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '))
  const response = await fetch(url, { ...init, headers, redirect: 'manual' })
  for (const line of response.headers.getSetCookie()) {
    const [pair] = line.split(';')
    const eq = pair.indexOf('=')
    const name = pair.slice(0, eq).trim(), value = pair.slice(eq + 1).trim()
    if (/max-age=0|expires=thu, 01 jan 1970/i.test(line) || !value) jar.delete(name)
    else jar.set(name, value)
  }
  return response
}

const unescape = (v) => v.replaceAll('&amp;', '&').replaceAll('&#34;', '"').replaceAll('&#39;', "'").replaceAll('&quot;', '"')

// Follow an authorization URL like a browser until it leaves for the redirect URI.
async function authorize(url) {
  let response = await browse(url)
  for (let hops = 0; hops < 20; hops++) {
    const location = response.headers.get('location')
    if (location && location.startsWith(redirectUri)) return new URL(location)
    if (location) { response = await browse(new URL(location, response.url || url).href); continue }
    const html = await response.text()
    const forms = [...html.matchAll(/<form[^>]*action="([^"]*)"[^>]*>([\s\S]*?)<\/form>/g)]
    // The sign-in or consent form, not the page header's sign-out form.
    const form = forms.find((f) => /name="(password|decision|prompt)"/.test(f[2]))
    if (!form && response.status >= 400) {
      // An error page, never a redirect to an unverified URI (RFC 6749 4.1.2.1).
      const error = new Error('error page')
      error.code = 'error_page'
      throw error
    }
    if (!form) throw new Error(`no form on a ${response.status} page: ${html.slice(0, 200)}`)
    const fields = new URLSearchParams()
    for (const [tag] of form[2].matchAll(/<input[^>]*>/g)) {
      const name = /name="([^"]+)"/.exec(tag)?.[1]
      if (!name) continue
      let value = unescape(/value="([^"]*)"/.exec(tag)?.[1] ?? '')
      if (name === 'username' || name === 'login') value = username
      if (name === 'password') value = password
      fields.append(name, value)
    }
    const allow = /<button[^>]*name="decision"[^>]*value="allow"/.test(form[2])
    if (allow) fields.append('decision', 'allow')
    const action = new URL(unescape(form[1]), response.url || url)
    response = await browse(action.href, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: action.origin },
      body: fields,
    })
  }
  throw new Error('too many redirects')
}

async function configFor(id) {
  return id === confidentialId
    ? client.discovery(new URL(issuer), id, secret, undefined, options)
    : client.discovery(new URL(issuer), id, undefined, client.None(), options)
}

async function start(config, extra = {}) {
  const verifier = client.randomPKCECodeVerifier()
  const state = client.randomState()
  const params = { redirect_uri: redirectUri, scope: 'orders:read', state,
    code_challenge: await client.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256', resource, ...extra }
  for (const [k, v] of Object.entries(params)) if (v === null) delete params[k]
  const callback = await authorize(client.buildAuthorizationUrl(config, params).href)
  return { verifier, state, callback }
}

// An error comes back in the query, or in the fragment for response types whose default
// response mode is fragment (OAuth 2.0 Multiple Response Type Encoding Practices 2.1).
const callbackError = (url) =>
  url.searchParams.get('error') || new URLSearchParams(url.hash.slice(1)).get('error') || 'success'
const outcome = (error) => error?.error || error?.cause?.error || error?.code || `${error?.name}: ${error?.message}`

async function run(name, body) {
  let result
  try { result = await body() } catch (error) {
    result = outcome(error)
    // A 401 with WWW-Authenticate surfaces as a challenge: the code is in the JSON body.
    if (error?.code === 'OAUTH_WWW_AUTHENTICATE_CHALLENGE' && error.response) {
      try { result = (await error.response.json()).error || result } catch {}
    }
  }
  process.stdout.write(JSON.stringify({ case: name, outcome: result }) + '\n')
}

const publicConfig = await configFor(publicId)
const otherConfig = await configFor(otherId)
const confidentialConfig = await configFor(confidentialId)

async function exchange(config, flow, checks = {}) {
  return client.authorizationCodeGrant(config, flow.callback,
    { pkceCodeVerifier: flow.verifier, expectedState: flow.state, ...checks })
}

await run('public client: code, PKCE, refresh', async () => {
  const tokens = await exchange(publicConfig, await start(publicConfig))
  const refreshed = await client.refreshTokenGrant(publicConfig, tokens.refresh_token)
  return refreshed.access_token ? 'success' : 'no token'
})
await run('confidential client: code, PKCE, refresh', async () => {
  const tokens = await exchange(confidentialConfig, await start(confidentialConfig))
  const refreshed = await client.refreshTokenGrant(confidentialConfig, tokens.refresh_token)
  return refreshed.access_token ? 'success' : 'no token'
})
await run('resource not registered', async () => {
  const flow = await start(publicConfig, { resource: 'https://other.example' })
  return callbackError(flow.callback)
})
await run('code_challenge_method plain', async () => {
  const flow = await start(publicConfig, { code_challenge_method: 'plain' })
  return callbackError(flow.callback)
})
await run('response_type token', async () => {
  const flow = await start(publicConfig, { response_type: 'token' })
  return callbackError(flow.callback)
})
await run('code replayed', async () => {
  const flow = await start(publicConfig)
  await exchange(publicConfig, flow)
  await exchange(publicConfig, flow)
  return 'success'
})
await run('wrong code_verifier', async () => {
  const flow = await start(publicConfig)
  flow.verifier = client.randomPKCECodeVerifier()
  await exchange(publicConfig, flow)
  return 'success'
})
await run('code redeemed by another client', async () => {
  const flow = await start(publicConfig)
  await exchange(otherConfig, flow)
  return 'success'
})
await run('refresh token used by another client', async () => {
  const tokens = await exchange(publicConfig, await start(publicConfig))
  await client.refreshTokenGrant(otherConfig, tokens.refresh_token)
  return 'success'
})
await run('rotated refresh token used again', async () => {
  // Two rotations back: jwtgate answers the token rotated just before with the same successor
  // for a few seconds (JWTGATE_REFRESH_REUSE_INTERVAL, docs/oauth.md), oidc-provider never.
  const tokens = await exchange(publicConfig, await start(publicConfig))
  const next = await client.refreshTokenGrant(publicConfig, tokens.refresh_token)
  await client.refreshTokenGrant(publicConfig, next.refresh_token)
  await client.refreshTokenGrant(publicConfig, tokens.refresh_token)
  return 'success'
})
await run('confidential client with a wrong secret', async () => {
  const flow = await start(confidentialConfig)
  const wrong = await client.discovery(new URL(issuer), confidentialId, 'wrong-secret', undefined, options)
  await exchange(wrong, flow)
  return 'success'
})
await run('redirect_uri not registered', async () => {
  const flow = await start(publicConfig, { redirect_uri: 'http://127.0.0.1:9/other' })
  return callbackError(flow.callback)
})
await run('unknown client_id', async () => {
  const unknown = await client.discovery(new URL(issuer), 'no-such-client', undefined, client.None(), options)
  const flow = await start(unknown)
  return callbackError(flow.callback)
})
await run('prompt=none without a session', async () => {
  jar.clear()
  const flow = await start(publicConfig, { prompt: 'none' })
  return callbackError(flow.callback)
})
