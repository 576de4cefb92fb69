// npm oidc-provider (the certified reference OpenID Provider) on 127.0.0.1, configured like
// the jwtgate deployment of the differential test: the same clients, the same scope, PKCE S256
// required, one resource server (RFC 8707) with JWT access tokens, refresh tokens for clients
// whose grant types include refresh_token. Prints "ready <issuer>" once listening.
//
// usage: node scripts/oidc_provider.mjs PORT REDIRECT_URI RESOURCE CONFIDENTIAL_SECRET
import Provider, { errors } from 'oidc-provider'
import { exportJWK, generateKeyPair } from 'jose'

const [port, redirectUri, resource, secret] = process.argv.slice(2)
const issuer = `http://localhost:${port}`
const { privateKey } = await generateKeyPair('ES256', { extractable: true })
const key = { ...(await exportJWK(privateKey)), alg: 'ES256', use: 'sig', kid: 'k1' }
const common = { redirect_uris: [redirectUri], grant_types: ['authorization_code', 'refresh_token'],
  response_types: ['code'], scope: 'orders:read', id_token_signed_response_alg: 'ES256' }

const provider = new Provider(issuer, {
  clients: [
    { ...common, client_id: 'public-app', token_endpoint_auth_method: 'none' },
    { ...common, client_id: 'other-app', token_endpoint_auth_method: 'none' },
    { ...common, client_id: 'confidential-app', client_secret: secret,
      token_endpoint_auth_method: 'client_secret_basic' },
  ],
  jwks: { keys: [key] },
  scopes: ['orders:read'],
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new errors.InvalidTarget()
        return { scope: 'orders:read', audience: indicator, accessTokenFormat: 'jwt',
          jwt: { sign: { alg: 'ES256' } } }
      },
    },
  },
  issueRefreshToken: async (ctx, client) => client.grantTypeAllowed('refresh_token'),
  findAccount: async (ctx, id) => ({ accountId: id, claims: async () => ({ sub: id }) }),
})
provider.listen(Number(port), '127.0.0.1', () => process.stdout.write(`ready ${issuer}\n`))
