// A single-page app signing in with oauth4webapi (authorization code + PKCE, public client),
// then calling its API with the access token. Configuration comes from /config.json.
import * as oauth from '/oauth4webapi.js'

const config = await (await fetch('/config.json')).json()
const issuer = new URL(config.issuer)
const client = { client_id: config.client_id }
const insecure = { [oauth.allowInsecureRequests]: true } // http on loopback in the test
const as = await oauth.processDiscoveryResponse(issuer, await oauth.discoveryRequest(issuer, insecure))
const status = document.getElementById('status')

document.getElementById('sign-in').addEventListener('click', async () => {
  const verifier = oauth.generateRandomCodeVerifier()
  const state = oauth.generateRandomState()
  sessionStorage.setItem('pkce', JSON.stringify({ verifier, state }))
  const url = new URL(as.authorization_endpoint)
  url.searchParams.set('response_type', 'code')
  url.searchParams.set('client_id', client.client_id)
  url.searchParams.set('redirect_uri', config.redirect_uri)
  url.searchParams.set('scope', config.scope)
  url.searchParams.set('resource', config.api_audience)
  url.searchParams.set('state', state)
  url.searchParams.set('code_challenge', await oauth.calculatePKCECodeChallenge(verifier))
  url.searchParams.set('code_challenge_method', 'S256')
  location.assign(url.href)
})

if (location.pathname === '/callback') {
  try {
    const { verifier, state } = JSON.parse(sessionStorage.getItem('pkce'))
    const params = oauth.validateAuthResponse(as, client, new URL(location.href), state)
    const response = await oauth.authorizationCodeGrantRequest(
      as, client, oauth.None(), params, config.redirect_uri, verifier, insecure)
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response)
    history.replaceState(null, '', '/')
    const api = await fetch('/api/orders', { headers: { authorization: `Bearer ${tokens.access_token}` } })
    const body = await api.json()
    status.textContent = api.ok ? `Signed in as ${body.user}.` : `API refused: ${body.error}`
    document.getElementById('orders').textContent = JSON.stringify(body)
  } catch (error) {
    status.textContent = `Sign-in failed: ${error.error || error.code || error.message}`
  }
}
