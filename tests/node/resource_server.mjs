// resource_server.mjs: an API in Node that accepts jwtgate access tokens (npm install jose).
import { createServer } from "node:http";
import { createRemoteJWKSet, jwtVerify } from "jose";

const ISSUER = process.env.JWTGATE_ISSUER ?? "http://127.0.0.1:8000"; // jwtgate's iss
const AUDIENCE = process.env.JWTGATE_AUDIENCE ?? "api"; // JWTGATE_AUDIENCE
const PORT = Number(process.env.PORT ?? 8003);

// Fetched on first use, cached, refetched when a token names a new kid (a key rotation).
const jwks = createRemoteJWKSet(new URL(`${ISSUER}/.well-known/jwks.json`));

async function authenticate(authorization) {
  const [scheme, token] = (authorization ?? "").split(" ");
  if (scheme?.toLowerCase() !== "bearer" || !token) throw new Error("no bearer token");
  const { payload } = await jwtVerify(token, jwks, {
    issuer: ISSUER,
    audience: AUDIENCE,
    typ: "at+jwt", // RFC 9068 access tokens; jwtgate's ID tokens are typ JWT
    algorithms: ["ES256", "ES384", "ES512", "RS256", "PS256", "EdDSA", "Ed25519"],
    requiredClaims: ["sub", "jti", "iat"],
  });
  return payload; // sub, roles, scope, sid, preferred_username, ...
}

function send(res, status, body, headers = {}) {
  res.writeHead(status, { "content-type": "application/json", ...headers });
  res.end(JSON.stringify(body));
}

createServer(async (req, res) => {
  let claims;
  try {
    claims = await authenticate(req.headers.authorization);
  } catch (err) {
    const challenge = { "www-authenticate": 'Bearer error="invalid_token"' };
    return send(res, 401, { error: "invalid_token", error_description: err.code ?? err.message }, challenge);
  }
  if (req.url === "/admin/report" && !(claims.roles ?? []).includes("admin")) {
    return send(res, 403, { error: "insufficient_scope", error_description: "needs the role admin" });
  }
  send(res, 200, { for: claims.preferred_username, sub: claims.sub, roles: claims.roles });
}).listen(PORT, "127.0.0.1", () => console.log(`listening on http://127.0.0.1:${PORT}`));
