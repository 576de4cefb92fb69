// A foreign OpenID Provider for the Guard's tests: npm oidc-provider on 127.0.0.1:PORT.
// One confidential client ("svc", secret from argv) with client_credentials; the resource
// "urn:jwtgate:orders" gets JWT access tokens (RFC 9068, DPoP-bound when a proof is sent).
// Prints {"issuer": ...} on stdout once listening; runs until killed.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const secret = process.argv[3];
const resource = 'urn:jwtgate:orders';
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'svc',
    client_secret: secret,
    grant_types: ['client_credentials'],
    redirect_uris: [],
    response_types: [],
    scope: 'orders:read orders:write',
  }],
  scopes: ['orders:read', 'orders:write'],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    dPoP: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: (ctx, indicator) => {
        if (indicator !== resource) throw new Provider.errors.InvalidTarget();
        return {
          scope: 'orders:read orders:write',
          audience: resource,
          accessTokenTTL: 300,
          accessTokenFormat: 'jwt',
        };
      },
    },
  },
});
// Quiet the development-keys warning on stderr; these keys live only as long as the process.
process.removeAllListeners('warning');
provider.listen(port, '127.0.0.1', () => {
  process.stdout.write(JSON.stringify({ issuer }) + '\n');
});
