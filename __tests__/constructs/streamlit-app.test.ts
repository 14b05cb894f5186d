/**
 * The dashboard construct on its own (constructs/streamlit-app.ts): the stage, one PUT per app file, the
 * snowflake_streamlit over them, and grants to the analyst role only. Expected file lists are read from the
 * folders here, not from the construct's helper.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { App, TerraformStack, Testing } from 'cdktf';
import { SnowflakeProvider } from '@cdktf/provider-snowflake/lib/provider';
import { appVersion, dashboardFiles, LOCAL_UPLOAD_ROOT, StreamlitApp, type StreamlitAppProps } from '../../constructs/streamlit-app';

const ROOT = resolve(__dirname, '..', '..');
const PROPS: Omit<StreamlitAppProps, 'dependsOn'> = {
  database: 'SPOTIFY_DEV',
  schema: 'RAW',
  warehouse: 'SPOTIFY_WH',
  analystRole: 'SPOTIFY_PIPELINE_DEV_ANALYST',
  deployRole: 'SYSADMIN',
};

function synth(props: Partial<StreamlitAppProps> = {}) {
  const app = Testing.app();
  const stack = new TerraformStack(app, 'test');
  new SnowflakeProvider(stack, 'snowflake', { organizationName: 'O', accountName: 'A', user: 'U' });
  const construct = new StreamlitApp(stack, 'dashboard', { ...PROPS, dependsOn: [], ...props });
  return { construct, json: JSON.parse(Testing.synth(stack)) as { resource: Record<string, Record<string, any>> } };
}

const of = (json: { resource: Record<string, Record<string, any>> }, type: string) => Object.values(json.resource[type] ?? {});

/** What the app needs in Snowflake, listed from the folders: its code, its packages file, its own queries, the Snowflake analyses. */
function expectedStagePaths(): string[] {
  const py = readdirSync(join(ROOT, 'dashboard', 'spotify_dashboard')).filter((f) => f.endsWith('.py'));
  const own = readdirSync(join(ROOT, 'dashboard', 'sql')).filter((f) => f.endsWith('.sql'));
  const sql = readdirSync(join(ROOT, 'snowflake-sql', 'analysis')).filter((f) => f.endsWith('.sql'));
  return [
    'streamlit_app.py',
    'environment.yml',
    ...py.map((f) => `spotify_dashboard/${f}`),
    ...own.map((f) => `sql/${f}`),
    ...sql.map((f) => `snowflake-sql/analysis/${f}`),
  ].sort();
}

describe('StreamlitApp construct', () => {
  const { construct, json } = synth();
  const version = construct.version;
  const stageFqn = 'SPOTIFY_DEV.RAW.DASHBOARD_STAGE';

  test('an internal stage of its own in the schema', () => {
    const [stage] = of(json, 'snowflake_stage');
    expect(of(json, 'snowflake_stage')).toHaveLength(1);
    expect(stage).toMatchObject({ database: 'SPOTIFY_DEV', schema: 'RAW', name: 'DASHBOARD_STAGE' });
    expect(stage.url).toBeUndefined(); // internal: Streamlit in Snowflake reads apps from internal stages only
    expect(stage.storage_integration).toBeUndefined();
  });

  test('every app file is PUT, uncompressed, from the fixed local folder into the version folder; nothing else is', () => {
    const uploads = of(json, 'snowflake_execute').filter((e) => e.execute.startsWith('PUT '));
    const put = /^PUT 'file:\/\/\/tmp\/spotify-pipeline-dashboard\/SPOTIFY_DEV\/(app-[0-9a-f]{12})\/([\w./-]+)' '@SPOTIFY_DEV\.RAW\.DASHBOARD_STAGE\/(app-[0-9a-f]{12})((?:\/[\w.-]+)*)\/' AUTO_COMPRESS = FALSE OVERWRITE = TRUE$/;
    const paths = uploads.map((u) => {
      const match = put.exec(u.execute);
      expect(match).not.toBeNull();
      expect([match![1], match![3]]).toEqual([version, version]);
      const file = /^REMOVE '@SPOTIFY_DEV\.RAW\.DASHBOARD_STAGE\/app-[0-9a-f]{12}\/(.+)'$/.exec(u.revert)![1];
      expect(match![2]).toBe(file); // read from <local>/<version>/<path>, removed from <stage>/<version>/<path>
      expect(`${match![4]}/`.slice(1) + file.split('/').pop()).toBe(file); // PUT folder + file name = REMOVE path
      expect(u.lifecycle).toEqual({ create_before_destroy: true });
      return file;
    });
    expect(paths.sort()).toEqual(expectedStagePaths());
    expect(paths.some((p) => p.includes('tests') || p.endsWith('.duckdb.sql') || p.endsWith('.ts'))).toBe(false);
  });

  test('no statement depends on where the checkout is: no abspath(), no path of this machine', () => {
    const text = JSON.stringify(json);
    expect(text).not.toMatch(/abspath\(|path\.(cwd|module|root)/);
    expect(text).not.toContain(ROOT);
    // The same files from another folder synthesise to the same JSON, byte for byte.
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-elsewhere-'));
    try {
      cpSync(join(ROOT, 'dashboard'), join(dir, 'dashboard'), { recursive: true });
      cpSync(join(ROOT, 'snowflake-sql'), join(dir, 'snowflake-sql'), { recursive: true });
      expect(JSON.stringify(synth({ root: dir }).json)).toBe(text);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a changed file replaces the uploads with ones whose REMOVE cannot touch a file the new PUTs wrote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-changed-'));
    try {
      cpSync(join(ROOT, 'dashboard'), join(dir, 'dashboard'), { recursive: true });
      cpSync(join(ROOT, 'snowflake-sql'), join(dir, 'snowflake-sql'), { recursive: true });
      writeFileSync(join(dir, 'dashboard', 'streamlit_app.py'), '# changed\n', { flag: 'a' });
      const changed = of(synth({ root: dir }).json, 'snowflake_execute').filter((e) => e.execute.startsWith('PUT '));
      const before = of(json, 'snowflake_execute').filter((e) => e.execute.startsWith('PUT '));
      // snowflake_execute replaces itself when `execute` changes (create_before_destroy: new PUT, then old REMOVE).
      const beforeStatements = new Set(before.map((u) => u.execute));
      for (const u of changed) expect(beforeStatements.has(u.execute)).toBe(false);
      const written = changed.map((u) => /'(@[^']+\/)' /.exec(u.execute)![1]);
      for (const old of before) {
        const removed = /^REMOVE '([^']+)'$/.exec(old.revert)![1];
        for (const folder of written) expect(removed.startsWith(folder)).toBe(false);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('the local folder is laid out from the stack assets by a terraform_data of the version, before the PUTs', () => {
    const data = json.resource.terraform_data;
    const [[dataId, files]] = Object.entries<any>(data);
    expect(Object.keys(data)).toHaveLength(1);
    expect(files.triggers_replace).toEqual({ version });
    expect(files.provisioner).toHaveLength(1);
    const { command } = files.provisioner[0]['local-exec'];
    expect(command).not.toMatch(/abspath|\$\{/);
    for (const u of of(json, 'snowflake_execute').filter((e) => e.execute.startsWith('PUT '))) {
      expect(u.depends_on).toContain(`terraform_data.${dataId}`);
      const local = /^PUT 'file:\/\/([^']+)'/.exec(u.execute)![1];
      expect(command).toContain(`'${local}'`);
    }
  });

  test('the Streamlit app runs streamlit_app.py from that folder on the query warehouse, after the uploads', () => {
    const [app] = of(json, 'snowflake_streamlit');
    expect(app).toMatchObject({
      database: 'SPOTIFY_DEV',
      schema: 'RAW',
      name: 'LISTENING_DASHBOARD',
      stage: stageFqn,
      directory_location: version,
      main_file: 'streamlit_app.py',
      query_warehouse: 'SPOTIFY_WH',
    });
    const uploads = Object.keys(json.resource.snowflake_execute).filter((k) => json.resource.snowflake_execute[k].execute.startsWith('PUT '));
    for (const key of uploads) expect(app.depends_on).toContain(`snowflake_execute.${key}`);
  });

  test('grants go to the analyst role only: READ on the stage and ownership of the app', () => {
    const grants = of(json, 'snowflake_grant_privileges_to_account_role');
    expect(grants).toEqual([
      expect.objectContaining({
        account_role_name: PROPS.analystRole,
        privileges: ['READ'],
        on_schema_object: { object_type: 'STAGE', object_name: stageFqn },
      }),
    ]);
    const ownership = of(json, 'snowflake_execute').filter((e) => e.execute.startsWith('GRANT'));
    expect(ownership).toEqual([
      expect.objectContaining({
        execute: `GRANT OWNERSHIP ON STREAMLIT SPOTIFY_DEV.RAW.LISTENING_DASHBOARD TO ROLE ${PROPS.analystRole} COPY CURRENT GRANTS`,
        revert: 'GRANT OWNERSHIP ON STREAMLIT SPOTIFY_DEV.RAW.LISTENING_DASHBOARD TO ROLE SYSADMIN COPY CURRENT GRANTS',
      }),
    ]);
    expect(ownership[0].depends_on).toEqual(expect.arrayContaining([expect.stringMatching(/^snowflake_streamlit\./)]));
    expect(of(json, 'snowflake_grant_ownership')).toEqual([]);
    expect(of(json, 'snowflake_grant_account_role')).toEqual([]);
  });

  test('the version folder follows the files: same content same folder, any change a new one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-files-'));
    try {
      cpSync(join(ROOT, 'dashboard'), join(dir, 'dashboard'), { recursive: true });
      cpSync(join(ROOT, 'snowflake-sql'), join(dir, 'snowflake-sql'), { recursive: true });
      expect(appVersion(dashboardFiles(dir))).toBe(version);
      writeFileSync(join(dir, 'snowflake-sql', 'analysis', 'release_year_mix.sql'), '-- Question: changed?\nSELECT 1;\n');
      expect(appVersion(dashboardFiles(dir))).not.toBe(version);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('names that are not upper-case identifiers are refused at synth', () => {
    expect(() => synth({ warehouse: 'spotify_wh' })).toThrow(/warehouse "spotify_wh" must be an upper-case Snowflake identifier/);
    expect(() => synth({ analystRole: 'X; DROP' })).toThrow(/analystRole/);
  });

  test('a full synth copies each file into the stack as an asset', () => {
    const outdir = mkdtempSync(join(tmpdir(), 'dashboard-synth-'));
    try {
      const app = new App({ outdir });
      const stack = new TerraformStack(app, 'warehouse');
      new SnowflakeProvider(stack, 'snowflake', { organizationName: 'O', accountName: 'A', user: 'U' });
      new StreamlitApp(stack, 'dashboard', { ...PROPS, dependsOn: [] });
      app.synth();
      const stackDir = join(outdir, 'stacks', 'warehouse');
      const assets = join(stackDir, 'assets');
      const copied = readdirSync(assets, { recursive: true }).map(String).filter((p) => /\.(py|yml|sql)$/.test(p));
      expect(copied.map((p) => p.split('/').pop()).sort()).toEqual(expectedStagePaths().map((p) => p.split('/').pop()).sort());
      // The terraform_data's command, run where Terraform runs it (the stack folder), lays out exactly the files the
      // PUTs read (its fixed folder swapped for a temporary one here, so parallel runs never share it).
      const tf = JSON.parse(readFileSync(join(stackDir, 'cdk.tf.json'), 'utf8'));
      const local = mkdtempSync(join(tmpdir(), 'dashboard-local-'));
      const [files] = Object.values<any>(tf.resource.terraform_data);
      execFileSync('/bin/sh', ['-c', files.provisioner[0]['local-exec'].command.split(LOCAL_UPLOAD_ROOT).join(local)], { cwd: stackDir });
      const puts = Object.values<any>(tf.resource.snowflake_execute).filter((e) => e.execute.startsWith('PUT '));
      for (const put of puts) {
        const [, version, stagePath] = new RegExp(`^PUT 'file://${LOCAL_UPLOAD_ROOT}/SPOTIFY_DEV/(app-[0-9a-f]{12})/([^']+)'`).exec(put.execute)!;
        const source = dashboardFiles().find((f) => f.stagePath === stagePath)!.source;
        expect(readFileSync(join(local, 'SPOTIFY_DEV', version, stagePath))).toEqual(readFileSync(source));
      }
      expect(readdirSync(local, { recursive: true }).filter((p) => /\.(py|yml|sql)$/.test(String(p)))).toHaveLength(puts.length);
      rmSync(local, { recursive: true, force: true });
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });
});
