/** Small HTTP helpers for the fake Spotify tests: real requests with Node's fetch, no mocks. */
import type { FakeSpotifyServer } from '../../../local/fakes/spotify/server';

export const FORM = 'application/x-www-form-urlencoded';

export function basicAuth(server: FakeSpotifyServer): string {
  const { clientId, clientSecret } = server.credentials;
  return `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`;
}

export async function postToken(
  server: FakeSpotifyServer,
  params: Record<string, string>,
  headers: Record<string, string> = { authorization: basicAuth(server) },
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${server.accountsBaseUrl}/api/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, ...headers },
    body: new URLSearchParams(params).toString(),
  });
  return { status: res.status, body: await res.json() };
}

/** A user access token from the configured refresh token. */
export async function userToken(server: FakeSpotifyServer): Promise<string> {
  const { status, body } = await postToken(server, { grant_type: 'refresh_token', refresh_token: server.credentials.refreshToken });
  if (status !== 200) throw new Error(`refresh failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function appToken(server: FakeSpotifyServer): Promise<string> {
  const { status, body } = await postToken(server, { grant_type: 'client_credentials' });
  if (status !== 200) throw new Error(`client_credentials failed: ${status} ${JSON.stringify(body)}`);
  return body.access_token;
}

export async function getJson(url: string, token?: string): Promise<{ status: number; body: any; headers: Headers }> {
  const res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined, headers: res.headers };
}

/** Follows `next` from the first URL and returns every page body. */
export async function walkPages(firstUrl: string, token: string): Promise<any[]> {
  const pages: any[] = [];
  let url: string | null = firstUrl;
  while (url) {
    const { status, body } = await getJson(url, token);
    if (status !== 200) throw new Error(`GET ${url} answered ${status}: ${JSON.stringify(body)}`);
    pages.push(body);
    url = body.next;
  }
  return pages;
}
