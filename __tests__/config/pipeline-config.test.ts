import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CONFIG_DIR, ConfigError, loadConfig, parseConfig, parsePlaylistRef, resourceNames } from '../../config/pipeline-config';

const minimal = {
  environment: 'dev',
  project: 'spotify-pipeline',
  aws: { region: 'eu-west-1', accountId: '123456789012' },
  spotify: { playlists: ['4rOoJ6Egrf8K2IrywzwOMk'] },
};

describe('configuration', () => {
  it.each(['local', 'dev', 'prod'])('the shipped %s.json validates', (env) => {
    const config = loadConfig(env);
    expect(config.environment).toBe(env);
    expect(config.spotify.pageSize).toBeLessThanOrEqual(50);
  });

  it('fills defaults the stacks and the extract rely on', () => {
    const config = parseConfig(minimal);
    expect(config.spotify.apiBaseUrl).toBe('https://api.spotify.com/v1');
    expect(config.spotify.accountsBaseUrl).toBe('https://accounts.spotify.com');
    expect(config.spotify.authMode).toBe('user');
    expect(config.spotify.topItems.timeRanges).toEqual(['short_term', 'medium_term', 'long_term']);
    expect(config.extract.schedule).toBe('cron(0 6 ? * MON *)');
    expect(config.glue.glueVersion).toBe('5.1');
  });

  it('normalises playlist URLs and URIs to ids', () => {
    expect(parsePlaylistRef('https://open.spotify.com/playlist/1h0CEZCm6IbFTbxThn6Xcs?si=abc')).toBe('1h0CEZCm6IbFTbxThn6Xcs');
    expect(parsePlaylistRef('https://open.spotify.com/intl-de/playlist/1h0CEZCm6IbFTbxThn6Xcs')).toBe('1h0CEZCm6IbFTbxThn6Xcs');
    expect(parsePlaylistRef('spotify:playlist:6UeSakyzhiEt4NB3UAd6NQ')).toBe('6UeSakyzhiEt4NB3UAd6NQ');
    expect(() => parsePlaylistRef('https://open.spotify.com/album/1h0CEZCm6IbFTbxThn6Xcs')).toThrow(/not a Spotify playlist id/);
  });

  it('takes a playlist as a plain ref or as { id, listener } naming a configured listener who reads it', () => {
    const listeners = [{ name: 'sam' }, { name: 'mira' }];
    const config = parseConfig({
      ...minimal,
      spotify: { listeners, playlists: ['spotify:playlist:6UeSakyzhiEt4NB3UAd6NQ', { id: 'https://open.spotify.com/playlist/1h0CEZCm6IbFTbxThn6Xcs', listener: 'mira' }] },
    });
    expect(config.spotify.playlists).toEqual([{ id: '6UeSakyzhiEt4NB3UAd6NQ' }, { id: '1h0CEZCm6IbFTbxThn6Xcs', listener: 'mira' }]);
    // What the Lambda receives (the validated configuration as JSON) validates again to the same.
    expect(parseConfig(JSON.parse(JSON.stringify(config))).spotify.playlists).toEqual(config.spotify.playlists);
    expect(() => parseConfig({ ...minimal, spotify: { listeners, playlists: [{ id: '1h0CEZCm6IbFTbxThn6Xcs', listener: 'teo' }] } })).toThrow(
      /spotify\.playlists\.0\.listener: listener "teo" is not one the pipeline reads \(sam, mira\): add them to spotify\.listeners/,
    );
    // Without listeners the one implicit listener is `me`.
    expect(() => parseConfig({ ...minimal, spotify: { playlists: [{ id: '1h0CEZCm6IbFTbxThn6Xcs', listener: 'mira' }] } })).toThrow(/\(me\)/);
    expect(() => parseConfig({ ...minimal, spotify: { playlists: [{ id: 'nope', listener: 'me' }] } })).toThrow(/spotify\.playlists\.0\.id: "nope" is not a Spotify playlist id/);
  });

  it('names every problem with its path and says what to do', () => {
    const bad = {
      ...minimal,
      aws: { region: 'Ireland' },
      spotify: { playlists: ['not-a-playlist'], pageSize: 100 },
    };
    let error: unknown;
    try {
      parseConfig(bad, 'dev.json');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    expect(message).toContain('dev.json is invalid');
    expect(message).toContain('aws.region: region must look like eu-west-1');
    expect(message).toContain('spotify.playlists.0');
    expect(message).toContain('spotify.pageSize');
    expect(message).toContain('Fix the file and run again.');
  });

  it('rejects /v1/me/playlists with an app-only token, and a run with nothing to extract', () => {
    expect(() =>
      parseConfig({ ...minimal, spotify: { authMode: 'client-credentials', includeMyPlaylists: true } }),
    ).toThrow(/includeMyPlaylists needs authMode "user"/);
    const nothing = { playlists: [], topItems: { enabled: false }, listening: { plays: false, savedTracks: false, followedArtists: false } };
    expect(() => parseConfig({ ...minimal, spotify: nothing })).toThrow(/nothing to extract/);
    // Listening alone (plays, the library) is something to extract.
    expect(parseConfig({ ...minimal, spotify: { ...nothing, listening: { plays: true } } }).spotify.listening.plays).toBe(true);
  });

  it('reports a missing or broken file by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    expect(() => loadConfig(join(dir, 'missing.json'))).toThrow(/No configuration at .*missing\.json/);
    const broken = join(dir, 'broken.json');
    writeFileSync(broken, '{ "environment": ');
    expect(() => loadConfig(broken)).toThrow(/broken\.json is not valid JSON/);
  });

  it('refuses a project name whose longest derived name would overflow its limit, naming it and the room left', () => {
    // 41 characters pass the pattern; in prod, <project>-prod-snowflake-sns-publish (an IAM role) would be 68.
    const project = `spotify-${'x'.repeat(33)}`;
    expect(project).toMatch(/^[a-z][a-z0-9-]{1,40}$/);
    let message = '';
    try {
      parseConfig({ ...minimal, environment: 'prod', project }, 'prod.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain(`project: project "${project}" makes the IAM role name "${project}-prod-snowflake-sns-publish" 68 characters long, over the limit of 64`);
    expect(message).toContain('Use a project name of at most 37 characters.');
    expect(() => parseConfig({ ...minimal, environment: 'prod', project: project.slice(0, 37) })).not.toThrow();
    expect(() => parseConfig({ ...minimal, environment: 'prod', project: project.slice(0, 38) })).toThrow(/at most 37 characters/);
    // The local environment has no stacks, so no names to overflow.
    expect(() => parseConfig({ ...minimal, environment: 'local', project })).not.toThrow();
  });

  it('names account-wide Snowflake objects per environment unless configured', () => {
    const of = (environment: string, snowflake = {}) => parseConfig({ ...minimal, environment, snowflake }).snowflake;
    expect(of('prod')).toMatchObject({ database: 'SPOTIFY', warehouse: 'SPOTIFY_WH' });
    expect(of('dev')).toMatchObject({ database: 'SPOTIFY_DEV', warehouse: 'SPOTIFY_DEV_WH' });
    expect(of('dev', { database: 'MUSIC' })).toMatchObject({ database: 'MUSIC', warehouse: 'MUSIC_WH' });
    expect(of('dev', { warehouse: 'SHARED_WH' })).toMatchObject({ database: 'SPOTIFY_DEV', warehouse: 'SHARED_WH' });
    expect(() => of('dev', { warehouse: 'lower_wh' })).toThrow(/snowflake\.warehouse: warehouse must be an upper-case identifier/);
    expect(parseConfig(minimal).glue.ownsCrawlerLogGroup).toBe(true);
  });

  it('refuses an environment file that would create an account-wide object another environment file creates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    const shipped = (env: string) => JSON.parse(readFileSync(join(CONFIG_DIR, `${env}.json`), 'utf8'));
    const write = (env: string, raw: object) => writeFileSync(join(dir, `${env}.json`), JSON.stringify(raw));
    write('prod', shipped('prod'));
    write('local', shipped('local'));
    // As shipped, dev and prod share the accounts and no name.
    write('dev', shipped('dev'));
    expect(loadConfig(join(dir, 'dev.json')).snowflake.warehouse).toBe('SPOTIFY_DEV_WH');
    write('dev', { ...shipped('dev'), snowflake: { ...shipped('dev').snowflake, warehouse: 'SPOTIFY_WH' } });
    expect(() => loadConfig(join(dir, 'dev.json'))).toThrow(/dev\.json and .*prod\.json both create the Snowflake warehouse "SPOTIFY_WH" in the Snowflake account MYORG-MYACCOUNT/);
    expect(() => loadConfig(join(dir, 'prod.json'))).toThrow(/prod\.json and .*dev\.json both create the Snowflake warehouse/);
    write('dev', { ...shipped('dev'), glue: { ownsCrawlerLogGroup: true } });
    expect(() => loadConfig(join(dir, 'dev.json'))).toThrow(/crawler log group "\/aws-glue\/crawlers" in the AWS account 123456789012 in eu-west-1.*glue\.ownsCrawlerLogGroup/s);
    // Another account: no conflict.
    write('dev', { ...shipped('dev'), aws: { ...shipped('dev').aws, accountId: '210987654321' }, glue: { ownsCrawlerLogGroup: true } });
    expect(loadConfig(join(dir, 'dev.json')).glue.ownsCrawlerLogGroup).toBe(true);
  });

  it('derives resource names in one place', () => {
    const names = resourceNames(parseConfig(minimal));
    expect(names.bucket).toBe('spotify-pipeline-dev-123456789012');
    expect(names.glueDatabase).toBe('spotify_pipeline_dev');
    expect(names.extractFunction).toBe('spotify-pipeline-dev-extract');
  });
});
