// The OpenID provider the tests sign in at: panva's oidc-provider with its own login and
// consent pages (devInteractions: any login name is an account, the password is not checked),
// one confidential client that must use PKCE, and a signing key made at every start.
// Serves on 127.0.0.1 on a port the system chooses; prints its issuer URL as its first line.
// Run by scripts/oidc-provider.sh, which passes where the package is installed.
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const setting = (name) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
};

const packages = createRequire(`${setting('OIDC_PROVIDER_PACKAGES')}/`);
const { default: Provider } = await import(pathToFileURL(packages.resolve('oidc-provider')));

const server = createServer();
await new Promise((listening) => server.listen(0, '127.0.0.1', listening));
const issuer = `http://127.0.0.1:${server.address().port}`;

const signingKey = generateKeyPairSync('rsa', { modulusLength: 2048 })
  .privateKey.export({ format: 'jwk' });

const provider = new Provider(issuer, {
  clients: [{
    client_id: setting('OIDC_CLIENT_ID'),
    client_secret: setting('OIDC_CLIENT_SECRET'),
    redirect_uris: [setting('OIDC_REDIRECT_URI')],
    grant_types: ['authorization_code'],
    response_types: ['code'],
  }],
  pkce: { required: () => true },
  features: { devInteractions: { enabled: true } },
  claims: {
    openid: ['sub'],
    profile: ['name', 'preferred_username'],
    email: ['email', 'email_verified'],
  },
  findAccount: (_ctx, login) => ({
    accountId: login,
    claims: () => ({
      sub: login,
      preferred_username: login,
      name: `${login} (test provider)`,
      email: `${login}@provider.test`,
      email_verified: true,
    }),
  }),
  jwks: { keys: [{ ...signingKey, kid: 'test-signing-key', use: 'sig', alg: 'RS256' }] },
  cookies: { keys: [randomBytes(32).toString('base64url')] },
});
server.on('request', provider.callback());
console.log(issuer);
