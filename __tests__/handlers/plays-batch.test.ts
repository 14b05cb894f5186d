/**
 * The daily plays batch's configuration and the run ids it recognises (the batch itself runs against moto in
 * aws-moto.test.ts).
 */
import { depsFromEnvironment } from '../../handlers/start-transform/index';
import { newRunId } from '../../handlers/extract/extract-run';
import { isPlaysRunId, RUN_ID_PATTERN } from '../../handlers/shared/manifest';

test('a plays run says so in its id, which is still an ordinary run id', () => {
  const at = new Date('2026-11-25T10:00:00Z');
  const plays = newRunId(at, 'evt-1', { plays: true });
  expect(plays).toMatch(/^20261125T100000Z-p[0-9a-f]{5}$/);
  expect(RUN_ID_PATTERN.test(plays)).toBe(true);
  expect(isPlaysRunId(plays)).toBe(true);
  expect(newRunId(at, 'evt-1', { plays: true })).toBe(plays); // a re-delivered event resumes the same run
  expect(isPlaysRunId(newRunId(at, 'evt-1'))).toBe(false);
  expect(isPlaysRunId('20261125T100000Z-a1b2c3')).toBe(false); // ordinary suffixes are hex: never a p
});

test('PLAYS_BATCH_DAYS turns the batch on; a bad value stops the Lambda with what is expected', () => {
  const env = { GLUE_JOB_NAME: 'job', BUCKET_NAME: 'bucket', AWS_REGION: 'eu-west-1' };
  expect(depsFromEnvironment(env).playsBatch).toBeUndefined();
  expect(depsFromEnvironment({ ...env, PLAYS_BATCH_DAYS: '8' }).playsBatch?.lookbackDays).toBe(8);
  expect(() => depsFromEnvironment({ ...env, PLAYS_BATCH_DAYS: '0' })).toThrow(/PLAYS_BATCH_DAYS must be a whole number of days from 1 to 31 \(got 0\)/);
  expect(() => depsFromEnvironment({ ...env, PLAYS_BATCH_DAYS: 'weekly' })).toThrow(/PLAYS_BATCH_DAYS/);
});
