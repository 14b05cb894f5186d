/** Listeners in the configuration: at most 5, unique names, where each refresh token lives; listening defaults. */
import { parseConfig } from '../../config/pipeline-config';
import { effectiveListeners, isImplicitListener, listenerEnvVar } from '../../config/listeners';

const minimal = {
  environment: 'dev',
  project: 'spotify-pipeline',
  aws: { region: 'eu-west-1', accountId: '123456789012' },
  spotify: { playlists: ['4rOoJ6Egrf8K2IrywzwOMk'] },
};
const withListeners = (listeners: unknown) => ({ ...minimal, spotify: { ...minimal.spotify, listeners } });

describe('listeners configuration', () => {
  it('defaults: no listener (the implicit "me" on the app secret), plays hourly, library with the weekly run', () => {
    const config = parseConfig(minimal);
    expect(config.spotify.listeners).toEqual([]);
    expect(isImplicitListener(config.spotify.listeners)).toBe(true);
    expect(effectiveListeners(config.spotify.listeners)).toEqual([{ name: 'me', refreshToken: {} }]);
    expect(config.spotify.listening).toEqual({ plays: true, savedTracks: true, followedArtists: true });
    expect(config.extract.playsSchedule).toBe('rate(1 hour)');
    expect(config.extract.playsTimeBudgetSeconds).toBe(120);
    expect(parseConfig({ ...minimal, extract: { playsSchedule: null } }).extract.playsSchedule).toBeNull();
  });

  it('names where each refresh token lives, by default and when configured', () => {
    const config = parseConfig(withListeners([{ name: 'sam' }, { name: 'mira-k', refreshToken: { env: 'MIRA_TOKEN', awsSecretId: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:mira' } }]));
    const [sam, mira] = config.spotify.listeners;
    expect(listenerEnvVar(sam)).toBe('SPOTIFY_REFRESH_TOKEN_SAM');
    expect(listenerEnvVar(mira)).toBe('MIRA_TOKEN');
    expect(listenerEnvVar({ name: 'dj-2', refreshToken: {} })).toBe('SPOTIFY_REFRESH_TOKEN_DJ_2');
  });

  it('refuses a sixth listener, a name given twice, a bad name and a bad variable, naming each', () => {
    const six = ['a', 'b', 'c', 'd', 'e', 'f'].map((name) => ({ name }));
    expect(() => parseConfig(withListeners(six))).toThrow(/spotify\.listeners: at most 5 listeners: a development-mode Spotify app serves at most 5 authorised users/);
    expect(() => parseConfig(withListeners([{ name: 'sam' }, { name: 'sam' }]))).toThrow(/spotify\.listeners\.1\.name: listener "sam" is listed twice/);
    expect(() => parseConfig(withListeners([{ name: 'Sam Ple' }]))).toThrow(/spotify\.listeners\.0\.name: a listener name is 1-30 lower-case letters/);
    expect(() => parseConfig(withListeners([{ name: 'sam', refreshToken: { env: 'lower' } }]))).toThrow(/spotify\.listeners\.0\.refreshToken\.env: env must be an environment variable name/);
  });
});
