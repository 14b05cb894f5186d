/**
 * `pipeline authorize`: the one-time Spotify authorisation (Authorization Code with PKCE) that gives the
 * extract a refresh token for `authMode: "user"`.
 *
 * It listens on a loopback IP redirect URI (Spotify accepts http only for 127.0.0.1 / [::1], never `localhost`),
 * prints the URL to open, exchanges the code with the PKCE verifier (no client secret needed), and stores the
 * refresh token: in the git-ignored local secrets file for the local run, or in the AWS secret when deploying.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { Command } from 'commander';
import { loadConfig, resourceNames } from '../../config/pipeline-config';
import { readLocalSecrets, writeListenerToken, writeLocalSecrets } from '../../local/local-secrets';
import { LISTENING_DOCUMENTS } from '../../schemas/raw-documents';
import { EXPIRY_WARNING_DAYS, refreshTokenExpiresAt } from '../../handlers/shared/token-lifetime';
import { compareAndSetSecret } from '../../handlers/shared/spotify-secret';

/**
 * What the extract reads: private and collaborative playlists, top items, then what each listener document needs
 * (schemas/raw-documents.json: recently played, saved tracks, follows).
 */
export const SPOTIFY_SCOPES = [
  'playlist-read-private',
  'playlist-read-collaborative',
  'user-top-read',
  ...new Set(LISTENING_DOCUMENTS.map((d) => d.scope)),
];

export interface PkceAuthorizationOptions {
  accountsBaseUrl: string;
  clientId: string;
  /** Loopback port for the redirect URI; register http://127.0.0.1:<port>/callback in the Spotify app. 0 = any free port. */
  port: number;
  scopes?: string[];
  /** Called with the URL the user must open, once the listener is ready. */
  onAuthorizeUrl: (url: string, redirectUri: string) => void;
  timeoutMs?: number;
}

export interface PkceAuthorizationResult {
  refreshToken: string;
  accessToken: string;
  scope: string | null;
  redirectUri: string;
}

const base64url = (bytes: Buffer) => bytes.toString('base64').replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** RFC 7636: a 43-128 character verifier and its S256 challenge. */
export function createPkcePair(): { verifier: string; challenge: string } {
  const verifier = base64url(randomBytes(64)); // 86 characters
  const challenge = base64url(createHash('sha256').update(verifier).digest());
  return { verifier, challenge };
}

const PAGE = (title: string, text: string) =>
  `<!doctype html><meta charset="utf-8"><title>${title}</title><body style="font-family:sans-serif;margin:3em">` +
  `<h1>${title}</h1><p>${text}</p></body>`;

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export async function runPkceAuthorization(options: PkceAuthorizationOptions): Promise<PkceAuthorizationResult> {
  const { verifier, challenge } = createPkcePair();
  const state = base64url(randomBytes(16));
  const scopes = options.scopes ?? SPOTIFY_SCOPES;
  const accounts = options.accountsBaseUrl.replace(/\/+$/, '');

  return new Promise<PkceAuthorizationResult>((resolve, reject) => {
    let redirectUri = '';
    let settled = false;
    const server: Server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      if (url.pathname !== '/callback') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found');
        return;
      }
      const answer = (status: number, title: string, text: string) =>
        res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8' }).end(PAGE(title, escapeHtml(text)));
      if (url.searchParams.get('state') !== state) {
        // Not our request (or a replay): refuse without ending the wait for the real one.
        answer(400, 'Authorisation refused', 'The state parameter does not match this authorisation attempt.');
        return;
      }
      const error = url.searchParams.get('error');
      const code = url.searchParams.get('code');
      if (error || !code) {
        answer(400, 'Authorisation not granted', `Spotify said: ${error ?? 'no code in the redirect'}. You can close this tab.`);
        finish(new Error(`Spotify did not grant access (${error ?? 'no code in the redirect'}). Run \`pipeline authorize\` again and accept.`));
        return;
      }
      exchangeCode(code)
        .then((result) => {
          answer(200, 'Spotify authorised', 'The pipeline has its refresh token. You can close this tab.');
          finish(null, result);
        })
        .catch((exchangeError: Error) => {
          answer(502, 'Authorisation failed', exchangeError.message);
          finish(exchangeError);
        });
    });

    const timer = setTimeout(
      () => finish(new Error(`no authorisation arrived within ${Math.round((options.timeoutMs ?? 300_000) / 1000)} s; run the command again`)),
      options.timeoutMs ?? 300_000,
    );

    function finish(error: Error | null, result?: PkceAuthorizationResult) {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      server.close();
      server.closeAllConnections();
      if (error) reject(error);
      else resolve(result!);
    }

    async function exchangeCode(code: string): Promise<PkceAuthorizationResult> {
      const response = await fetch(`${accounts}/api/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({
          grant_type: 'authorization_code',
          code,
          redirect_uri: redirectUri,
          client_id: options.clientId,
          code_verifier: verifier,
        }).toString(),
        signal: AbortSignal.timeout(15_000),
      });
      const text = await response.text();
      let body: Record<string, unknown> = {};
      try {
        body = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // reported below
      }
      if (!response.ok || typeof body.refresh_token !== 'string' || typeof body.access_token !== 'string') {
        const why = typeof body.error === 'string' ? `${body.error}${body.error_description ? `: ${String(body.error_description)}` : ''}` : text.slice(0, 200);
        throw new Error(
          `exchanging the authorisation code at ${accounts}/api/token failed (HTTP ${response.status}: ${why}). ` +
            `Check that ${redirectUri} is a redirect URI of the app in the Spotify dashboard, then run again.`,
        );
      }
      return {
        refreshToken: body.refresh_token,
        accessToken: body.access_token,
        scope: typeof body.scope === 'string' ? body.scope : null,
        redirectUri,
      };
    }

    server.once('error', (error: NodeJS.ErrnoException) => {
      finish(
        new Error(
          error.code === 'EADDRINUSE'
            ? `port ${options.port} on 127.0.0.1 is in use; pass --port with a free port (and register that redirect URI)`
            : `could not listen on 127.0.0.1:${options.port}: ${error.message}`,
        ),
      );
    });
    server.listen(options.port, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : options.port;
      redirectUri = `http://127.0.0.1:${port}/callback`;
      const authorizeUrl = new URL(`${accounts}/authorize`);
      authorizeUrl.search = new URLSearchParams({
        client_id: options.clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        code_challenge_method: 'S256',
        code_challenge: challenge,
        scope: scopes.join(' '),
        state,
      }).toString();
      options.onAuthorizeUrl(authorizeUrl.toString(), redirectUri);
    });
  });
}

/**
 * Writes the refresh token and when it was authorised into the existing AWS secret (created by the compute stack),
 * with a compare-and-set that keeps everything else in it (handlers/shared/spotify-secret.ts): the app's own token
 * at the top level, a listener's under `listeners.<name>` (one secret for every listener), beside the client id.
 */
async function storeInAws(
  secretId: string,
  region: string,
  entry: { clientId: string; refreshToken: string; authorizedAt: string },
  listener?: string,
): Promise<void> {
  const { SecretsManagerClient } = await import('@aws-sdk/client-secrets-manager');
  const client = new SecretsManagerClient({ region });
  try {
    await compareAndSetSecret(client, secretId, (raw) => {
      if (!listener) return { ...raw, ...entry };
      const listeners = (raw.listeners ?? {}) as Record<string, unknown>;
      return { clientId: entry.clientId, ...raw, listeners: { ...listeners, [listener]: { refreshToken: entry.refreshToken, authorizedAt: entry.authorizedAt } } };
    });
  } catch (error) {
    const err = error as Error;
    throw new Error(
      `storing the refresh token in secret ${secretId} (${region}) failed: ${err.name}: ${err.message}. Deploy the compute ` +
        'stack first (it creates the secret) and use credentials that may secretsmanager:GetSecretValue, PutSecretValue and ' +
        'UpdateSecretVersionStage on it.',
    );
  } finally {
    client.destroy();
  }
}

export function register(program: Command): void {
  program
    .command('authorize')
    .description('One-time Spotify authorisation (PKCE): prints a URL to open, then stores the refresh token')
    .option('--client-id <id>', 'Spotify app client id (default: SPOTIFY_CLIENT_ID or the local secrets file)')
    .option('--port <n>', 'loopback port of the redirect URI http://127.0.0.1:<port>/callback', '8888')
    .option('--store <where>', 'local (the git-ignored secrets file) or aws (the Secrets Manager secret)', 'local')
    .option('--secret-id <id>', 'secret name or ARN for --store aws (default: <project>-<env>/spotify, which holds every listener\'s token too, or the listener\'s own)')
    .option('--listener <name>', 'authorise this configured listener (spotify.listeners): log in to Spotify as them; their token is kept apart')
    .option('--timeout <seconds>', 'how long to wait for the browser', '300')
    .action(async (options: { clientId?: string; port: string; store: string; secretId?: string; listener?: string; timeout: string }, command: Command) => {
      const config = loadConfig(command.parent?.opts().env);
      const listener = options.listener === undefined ? undefined : config.spotify.listeners.find((l) => l.name === options.listener);
      if (options.listener !== undefined && !listener) {
        const known = config.spotify.listeners.map((l) => l.name);
        throw new Error(
          `--listener ${options.listener} is not a configured listener (${known.length ? `configured: ${known.join(', ')}` : 'none is configured'}); ` +
            'add it to spotify.listeners in the configuration first (at most 5)',
        );
      }
      const port = Number(options.port);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`--port must be 0-65535 (got ${options.port})`);
      if (options.store !== 'local' && options.store !== 'aws') throw new Error(`--store must be local or aws (got ${options.store})`);
      const timeoutSeconds = Number(options.timeout);
      if (!(timeoutSeconds > 0)) throw new Error(`--timeout must be a positive number of seconds (got ${options.timeout})`);
      const existing = options.store === 'local' ? readLocalSecrets(config.local.secretsFile) : undefined;
      const clientId = options.clientId ?? process.env.SPOTIFY_CLIENT_ID ?? existing?.clientId;
      if (!clientId) {
        throw new Error('no Spotify client id: pass --client-id (from the app in https://developer.spotify.com/dashboard) or set SPOTIFY_CLIENT_ID');
      }
      const result = await runPkceAuthorization({
        accountsBaseUrl: config.spotify.accountsBaseUrl,
        clientId,
        port,
        timeoutMs: timeoutSeconds * 1000,
        onAuthorizeUrl: (url, redirectUri) => {
          const who = listener ? ` logged in to Spotify as listener ${listener.name} (a private window helps)` : '';
          process.stdout.write(
            `Make sure ${redirectUri} is a redirect URI of your Spotify app (dashboard > app > settings).\n` +
              `Then open this URL in a browser${who} and accept:\n\n  ${url}\n\nWaiting for Spotify to redirect back...\n`,
          );
        },
      });
      // The refresh token dies six months after this instant, however often it is refreshed (handlers/shared/token-lifetime.ts).
      const authorizedAt = new Date().toISOString();
      const expires = `it expires ${refreshTokenExpiresAt(new Date(authorizedAt)).toISOString().slice(0, 10)}, six months from now; runs report the days left and warn ${EXPIRY_WARNING_DAYS} days ahead`;
      if (listener) {
        if (options.store === 'local') {
          writeListenerToken(config.local.secretsFile, existing?.clientId ?? clientId, listener.name, { refreshToken: result.refreshToken, authorizedAt });
          process.stdout.write(`Stored listener ${listener.name}'s refresh token in ${config.local.secretsFile} (listeners.${listener.name}; git-ignored, mode 600).\n`);
        } else {
          // A secret of their own when named (--secret-id, refreshToken.awsSecretId); else the app secret's listeners.<name>.
          const own = options.secretId ?? listener.refreshToken.awsSecretId;
          const secretId = own ?? resourceNames(config).spotifySecret;
          const entry = { clientId, refreshToken: result.refreshToken, authorizedAt };
          await storeInAws(secretId, config.aws.region, entry, own ? undefined : listener.name);
          const where = own ? `the AWS secret ${secretId}` : `the AWS secret ${secretId} (listeners.${listener.name})`;
          process.stdout.write(`Stored listener ${listener.name}'s refresh token in ${where} (${config.aws.region}).\n`);
        }
      } else if (options.store === 'local') {
        writeLocalSecrets(config.local.secretsFile, { clientId, refreshToken: result.refreshToken, authorizedAt });
        process.stdout.write(`Stored the refresh token in ${config.local.secretsFile} (git-ignored, mode 600).\n`);
      } else {
        const secretId = options.secretId ?? resourceNames(config).spotifySecret;
        await storeInAws(secretId, config.aws.region, { clientId, refreshToken: result.refreshToken, authorizedAt });
        process.stdout.write(`Stored the refresh token in the AWS secret ${secretId} (${config.aws.region}).\n`);
      }
      process.stdout.write(`Authorised ${authorizedAt}: ${expires}.\n`);
      process.stdout.write(`Granted scopes: ${result.scope ?? '(not reported)'}\n`);
    });
}
