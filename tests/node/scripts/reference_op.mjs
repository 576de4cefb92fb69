// npm oidc-provider (the certified reference OpenID Provider) configured like jwtgate for the
// differential tests: one confidential client, PKCE S256 required, scopes openid profile
// email offline_access, the same claims per scope, userinfo, RP-initiated and back-channel
// logout. Every account exists and the dev login form accepts any password.
// Usage: node reference_op.mjs <port> '<client json>'   (prints "listening" when ready)
import Provider from "oidc-provider";

const port = Number(process.argv[2]);
const client = JSON.parse(process.argv[3]);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: client.client_id,
      client_secret: client.client_secret,
      redirect_uris: client.redirect_uris,
      post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
      grant_types: ["authorization_code", "refresh_token"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
      ...(client.backchannel_logout_uri ? { backchannel_logout_uri: client.backchannel_logout_uri } : {}),
    },
  ],
  pkce: { required: () => true },
  scopes: ["openid", "offline_access", "profile", "email"],
  claims: {
    openid: ["sub"],
    profile: ["preferred_username", "name", "updated_at"],
    email: ["email", "email_verified"],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
    backchannelLogout: { enabled: true },
    userinfo: { enabled: true },
    revocation: { enabled: true },
    introspection: { enabled: true },
  },
  // Refresh tokens for every client allowed the grant, as jwtgate does (not only offline_access).
  issueRefreshToken: async (ctx, c) => c.grantTypeAllowed("refresh_token"),
  async loadExistingGrant(ctx) {
    // Consent is implied for this test client, as jwtgate's first-party clients skip it.
    const grantId = ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) return ctx.oidc.provider.Grant.find(grantId);
    const grant = new ctx.oidc.provider.Grant({ clientId: ctx.oidc.client.clientId, accountId: ctx.oidc.session.accountId });
    grant.addOIDCScope("openid profile email offline_access");
    await grant.save();
    ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId, grant.jti);
    return grant;
  },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, preferred_username: id, name: id, updated_at: 0, email: `${id}@example.com`, email_verified: false };
      },
    };
  },
  cookies: { keys: ["differential-test-cookie-key-0123456789"] },
  ttl: { IdToken: 3600, AccessToken: 900 },
});
provider.proxy = false;
const server = provider.listen(port, "127.0.0.1", () => console.log("listening"));
process.on("SIGTERM", () => server.close(() => process.exit(0)));
