import { Testing, TerraformStack } from 'cdktf';
import { Database } from '@cdktf/provider-snowflake/lib/database';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { loadConfig } from '../../config/pipeline-config';
import { ALLOW_DESTROY_ENV, protectFromDestroy } from '../../constructs/data-protection';
import { synthPipeline } from './synth-helper';

/** Issue 18: production Snowflake objects that hold data are protected from an accidental destroy. */
describe('Snowflake objects that hold data', () => {
  const protectedAddresses = (env: 'dev' | 'prod') => {
    const { warehouse } = synthPipeline(loadConfig(env));
    return Object.entries(warehouse.resource)
      .flatMap(([type, byId]) => Object.entries(byId).map(([id, r]) => ({ address: `${type}.${id}`, type, r })))
      .filter(({ r }) => r.lifecycle?.prevent_destroy === true);
  };

  it('in prod: the database, its schema, every loaded table and the processed stage carry prevent_destroy, nothing else', () => {
    const { warehouse } = synthPipeline(loadConfig('prod'));
    const marked = protectedAddresses('prod');
    const count = (type: string) => marked.filter((m) => m.type === type).length;
    expect(count('snowflake_database')).toBe(1);
    expect(count('snowflake_schema')).toBe(1);
    expect(count('snowflake_table')).toBe(Object.keys(warehouse.resource.snowflake_table).length);
    expect(marked.filter((m) => m.type === 'snowflake_stage').map((m) => m.r.url)).toEqual([expect.stringMatching(/^s3:\/\/.+\/processed\/$/)]);
    // The dashboard's stage, the views and the pipes are rebuilt from the repository: replacing them loses nothing.
    expect(new Set(marked.map((m) => m.type))).toEqual(new Set(['snowflake_database', 'snowflake_schema', 'snowflake_table', 'snowflake_stage']));
  });

  it('in dev: nothing is protected (dev is torn down and rebuilt freely)', () => {
    expect(protectedAddresses('dev')).toEqual([]);
  });

  it(`lifts the protection for one synth with ${ALLOW_DESTROY_ENV}=1 (what \`pipeline destroy\` sets), and keeps other lifecycle settings`, () => {
    const synthWith = (env: NodeJS.ProcessEnv) => {
      const stack = new TerraformStack(Testing.app(), 'protection');
      new SnowflakeProvider(stack, 'snowflake', {});
      const db = new Database(stack, 'db', { name: 'X', lifecycle: { ignoreChanges: ['comment'] } });
      protectFromDestroy(loadConfig('prod'), [db], env);
      return JSON.parse(Testing.synth(stack)).resource.snowflake_database.db.lifecycle;
    };
    expect(synthWith({})).toEqual({ ignore_changes: ['comment'], prevent_destroy: true });
    expect(synthWith({ [ALLOW_DESTROY_ENV]: '1' })).toEqual({ ignore_changes: ['comment'] });
  });
});
