/**
 * The listening dashboard in Streamlit in Snowflake: an internal stage the stack owns, the app's files uploaded to
 * it (dashboard/streamlit_app.py, environment.yml, spotify_dashboard/*.py, sql/*.sql, and the Snowflake-dialect analysis files
 * of snowflake-sql/analysis the app runs), the snowflake_streamlit object over them, and access for the analyst role
 * only: the app runs with its owner's rights, so the analyst role owns it (and may READ its stage), and it queries
 * the views with nothing more than the analyst's SELECT grants. People open it with the analyst role.
 *
 * snowflakedb/snowflake 2.11 facts behind the settings:
 * - snowflake_streamlit uses the legacy ROOT_LOCATION form: `stage` + `directory_location` + `main_file`; its query
 *   warehouse must be an upper-case identifier. It is not a preview feature; snowflake_stage is (the stack enables it).
 * - The provider has no resource that uploads files (terraform-provider-snowflake#1903), so each file is a
 *   snowflake_execute running PUT (the Go driver transfers the file from the machine running Terraform) with
 *   REMOVE as its revert. A changed `execute` replaces the resource (CustomizeDiff ForceNewIfChange); a changed
 *   `revert` is an update that runs nothing; a replacement runs the OLD revert after the new execute
 *   (create_before_destroy).
 * - PUT needs an absolute path: gosnowflake 1.18 (the provider's driver) joins a relative one to the directory of
 *   the provider's executable, not to Terraform's working directory. An absolute path of the checkout
 *   (`abspath()`) made `execute` differ on every machine, so a deploy from another checkout replaced every upload.
 *   Instead the files are read from one fixed folder, LOCAL_UPLOAD_ROOT/<database>/<version>/, which a
 *   terraform_data keyed by the version fills from the stack's assets (local-exec, in the stack folder) just before
 *   the PUTs: the statements are the same wherever Terraform runs.
 * - Files go to a folder named after a hash of their contents, their stage paths and the statement format: a
 *   changed app is a new folder, its executes are new (PUT before the old are removed), the app's
 *   directory_location moves to it, and the old executes' REMOVE names only the old folder. No statement can
 *   change without the folder changing, so a replacement never removes a file it has just put.
 * - grant_ownership does not accept STREAMLIT objects, so the transfer to the analyst role is a snowflake_execute
 *   (`GRANT OWNERSHIP ... COPY CURRENT GRANTS`, reverted to the deploying role before the app is dropped). A new
 *   folder is an ALTER of the same object, which keeps its owner; a new name or schema is a new statement, so the
 *   grant runs again. The deploying role keeps managing the app through the role hierarchy (the analyst role
 *   rolls up to SYSADMIN).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { Construct } from 'constructs';
import { AssetType, DataResource, TerraformAsset, Token, type ITerraformDependable } from 'cdktf';
import { Stage } from '@cdktf/provider-snowflake/lib/stage';
import { Streamlit } from '@cdktf/provider-snowflake/lib/streamlit';
import { Execute } from '@cdktf/provider-snowflake/lib/execute';
import { GrantPrivilegesToAccountRole } from '@cdktf/provider-snowflake/lib/grant-privileges-to-account-role';
import { assertIdentifier } from '../warehouse/snowflake-sql';

const ROOT = resolve(__dirname, '..');

export interface AppFile {
  /** Absolute path on this machine. */
  source: string;
  /** Path inside the app's folder on the stage (posix). */
  stagePath: string;
}

/**
 * The files the app needs in Snowflake, laid out as the app expects them: its own folder's files at the root and
 * snowflake-sql/analysis beside them (spotify_dashboard/sql_files.py looks there first): the same analysis files the
 * local warehouse runs. Tests and local helpers never leave the repository.
 */
export function dashboardFiles(root: string = ROOT): AppFile[] {
  const app = join(root, 'dashboard');
  const analysis = join(root, 'snowflake-sql', 'analysis');
  const pick = (dir: string, ext: string) => readdirSync(dir).filter((f) => f.endsWith(ext)).sort();
  return [
    { source: join(app, 'streamlit_app.py'), stagePath: 'streamlit_app.py' },
    { source: join(app, 'environment.yml'), stagePath: 'environment.yml' },
    ...pick(join(app, 'spotify_dashboard'), '.py').map((f) => ({
      source: join(app, 'spotify_dashboard', f),
      stagePath: `spotify_dashboard/${f}`,
    })),
    // The dashboard's own questions of listening_history (spotify_dashboard/sql_files.py dashboard_sql).
    ...pick(join(app, 'sql'), '.sql').map((f) => ({ source: join(app, 'sql', f), stagePath: `sql/${f}` })),
    ...pick(analysis, '.sql').map((f) => ({ source: join(analysis, f), stagePath: `snowflake-sql/analysis/${f}` })),
  ];
}

/** The options of every PUT; part of the version, so a change to them moves the files to a new folder. */
const PUT_OPTIONS = 'AUTO_COMPRESS = FALSE OVERWRITE = TRUE';

/**
 * The fixed folder the PUTs read from (LOCAL_UPLOAD_ROOT/<database>/<version>/<stage path>): the same on every
 * machine, so the statements are too. Filled at apply time by the construct's terraform_data from the stack's assets.
 */
export const LOCAL_UPLOAD_ROOT = '/tmp/spotify-pipeline-dashboard';

/** `app-<12 hex>`: changes whenever any file's path or content changes, or the way files are put. */
export function appVersion(files: AppFile[]): string {
  const hash = createHash('sha256').update(`${LOCAL_UPLOAD_ROOT}\0${PUT_OPTIONS}\0`);
  for (const file of [...files].sort((a, b) => a.stagePath.localeCompare(b.stagePath))) {
    hash.update(file.stagePath).update('\0').update(readFileSync(file.source)).update('\0');
  }
  return `app-${hash.digest('hex').slice(0, 12)}`;
}

export interface StreamlitAppProps {
  /** Database of the app and its stage (upper-case identifier). Required. */
  database: string;
  /** Schema of the app and its stage (upper-case identifier). Required. */
  schema: string;
  /** The query warehouse (upper-case identifier): the app uses it while open; its auto-suspend bounds the cost. Required. */
  warehouse: string;
  /** The read-only analyst role: it owns the app, so the app can do exactly what the analyst can. Required. */
  analystRole: string;
  /** The role the provider deploys as (config.snowflake.role): ownership goes back to it when the app is removed. Required. */
  deployRole: string;
  /** Objects the app needs first: the schema, the warehouse, the views and the analyst's grants on them. Required. */
  dependsOn: ITerraformDependable[];
  /** The app's name (upper-case identifier). Default: LISTENING_DASHBOARD. */
  name?: string;
  /** The title Snowsight shows. Default: "Spotify listening". */
  title?: string;
  /** Repository root to take the files from (tests). Default: this repository. */
  root?: string;
}

/**
 * A plain Snowflake identifier, and upper-case: the provider compares the query warehouse (and the names in the
 * statements below) with what Snowflake reports, which is upper-case.
 */
function assertUpperCaseIdentifier(what: string, value: string): void {
  if (Token.isUnresolved(value)) return; // another resource's attribute: Snowflake checks it at apply
  assertIdentifier(what, value);
  if (value !== value.toUpperCase()) {
    throw new Error(`${what} "${value}" must be an upper-case Snowflake identifier (A-Z, 0-9, _ and $).`);
  }
}

const sqlString = (value: string) => `'${value.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** A POSIX shell word (single-quoted). */
const shellWord = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;

/**
 * The local-exec command that lays the app's files out in their local folder from the stack's assets
 * (paths relative to the stack folder, where Terraform runs it). The folder is emptied first, so it holds exactly
 * the assets of this version.
 */
function stagingCommand(folder: string, files: { assetPath: string; stagePath: string }[]): string {
  const dirs = [...new Set(files.map((f) => posix.dirname(posix.join(folder, f.stagePath))))].sort();
  return [
    'set -eu',
    `rm -rf ${shellWord(folder)}`,
    `mkdir -p ${dirs.map(shellWord).join(' ')}`,
    ...files.map((f) => `cp ${shellWord(f.assetPath)} ${shellWord(posix.join(folder, f.stagePath))}`),
  ].join('\n');
}

export class StreamlitApp extends Construct {
  readonly files: AppFile[];
  readonly version: string;
  readonly stage: Stage;
  /** Lays the files of this version out where the PUTs read them (LOCAL_UPLOAD_ROOT/<database>/<version>/). */
  readonly localFiles: DataResource;
  readonly uploads: Execute[];
  readonly app: Streamlit;
  readonly stageRead: GrantPrivilegesToAccountRole;
  readonly ownership: Execute;
  /** Fully qualified name of the app (what `SHOW STREAMLITS` and Snowsight's URL use). */
  readonly appName: string;

  constructor(scope: Construct, id: string, props: StreamlitAppProps) {
    super(scope, id);
    const name = props.name ?? 'LISTENING_DASHBOARD';
    for (const [what, value] of Object.entries({ database: props.database, schema: props.schema, warehouse: props.warehouse, analystRole: props.analystRole, deployRole: props.deployRole, name })) {
      assertUpperCaseIdentifier(what, value);
    }
    const schemaFqn = `${props.database}.${props.schema}`;
    const stageName = 'DASHBOARD_STAGE';
    const stageFqn = `${schemaFqn}.${stageName}`;
    this.appName = `${schemaFqn}.${name}`;
    this.files = dashboardFiles(props.root);
    this.version = appVersion(this.files);

    this.stage = new Stage(this, 'stage', {
      database: props.database,
      schema: props.schema,
      name: stageName,
      comment: 'Files of the listening dashboard (Streamlit in Snowflake), one folder per app version.',
      dependsOn: props.dependsOn,
    });

    // Per database too: two environments deployed at once from one machine never share a folder.
    const localFolder = posix.join(LOCAL_UPLOAD_ROOT, props.database, this.version);
    const assets = this.files.map((file) => {
      const slug = file.stagePath.replace(/[^A-Za-z0-9]+/g, '-');
      const asset = new TerraformAsset(this, `file-${slug}`, { path: file.source, type: AssetType.FILE });
      return { slug, stagePath: file.stagePath, assetPath: asset.path };
    });
    // Runs again only for a new version (a new folder); the files it lays out are what the PUTs below read.
    this.localFiles = new DataResource(this, 'local-files', {
      triggersReplace: { version: this.version },
      provisioners: [{ type: 'local-exec', command: stagingCommand(localFolder, assets), interpreter: ['/bin/sh', '-c'] }],
      lifecycle: { createBeforeDestroy: true },
    });
    this.uploads = assets.map(({ slug, stagePath }) => {
      const target = posix.dirname(posix.join(this.version, stagePath));
      return new Execute(this, `upload-${slug}`, {
        execute: `PUT ${sqlString(`file://${posix.join(localFolder, stagePath)}`)} ${sqlString(`@${stageFqn}/${target}/`)} ${PUT_OPTIONS}`,
        revert: `REMOVE ${sqlString(`@${stageFqn}/${this.version}/${stagePath}`)}`,
        dependsOn: [this.stage, this.localFiles],
        // A new version's files are on the stage before the app moves to them and the old ones go.
        lifecycle: { createBeforeDestroy: true },
      });
    });

    this.app = new Streamlit(this, 'app', {
      database: props.database,
      schema: props.schema,
      name,
      title: props.title ?? 'Spotify listening',
      comment: 'Listening dashboard (dashboard/ in the pipeline repository): reads the views as the analyst role.',
      stage: stageFqn,
      directoryLocation: this.version,
      mainFile: 'streamlit_app.py',
      queryWarehouse: props.warehouse,
      dependsOn: [...this.uploads, ...props.dependsOn],
    });

    // The app's owner reads its files from the stage.
    this.stageRead = new GrantPrivilegesToAccountRole(this, 'analyst-stage-read', {
      accountRoleName: props.analystRole,
      privileges: ['READ'],
      onSchemaObject: { objectType: 'STAGE', objectName: stageFqn },
      dependsOn: [this.stage],
    });
    this.ownership = new Execute(this, 'analyst-owns-app', {
      execute: `GRANT OWNERSHIP ON STREAMLIT ${this.appName} TO ROLE ${props.analystRole} COPY CURRENT GRANTS`,
      revert: `GRANT OWNERSHIP ON STREAMLIT ${this.appName} TO ROLE ${props.deployRole} COPY CURRENT GRANTS`,
      dependsOn: [this.app, this.stageRead],
    });
  }
}
