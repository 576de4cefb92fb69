// openid-client's DPoP handle, end to end: discover the issuer, get a DPoP-bound access
// token by client_credentials (its proof made by openid-client), then call a protected
// resource with it (a fresh proof per request; a DPoP-Nonce challenge is retried by the
// library). Prints {token_type, statuses, bodies} as JSON.
// argv: issuer client_id client_secret resource url [requests]
import * as client from 'openid-client';

const [issuer, clientId, secret, resource, url, count = '2'] = process.argv.slice(2);
const config = await client.discovery(new URL(issuer), clientId, secret, undefined, {
  execute: [client.allowInsecureRequests],
});
const dpop = client.getDPoPHandle(config, await client.randomDPoPKeyPair('ES256'));
const token = await client.clientCredentialsGrant(
  config, resource ? { resource } : {}, { DPoP: dpop });
const statuses = [];
const bodies = [];
for (let i = 0; i < Number(count); i++) {
  let response;
  try {
    response = await client.fetchProtectedResource(
      config, token.access_token, new URL(url), 'GET', undefined, undefined, { DPoP: dpop });
  } catch (err) {
    if (err instanceof client.WWWAuthenticateChallengeError && client.isDPoPNonceError?.(err)) {
      response = await client.fetchProtectedResource(
        config, token.access_token, new URL(url), 'GET', undefined, undefined, { DPoP: dpop });
    } else if (err.response) {
      response = err.response;
    } else {
      throw err;
    }
  }
  statuses.push(response.status);
  bodies.push(await response.text());
}
process.stdout.write(JSON.stringify({ token_type: token.token_type, statuses, bodies }) + '\n');
