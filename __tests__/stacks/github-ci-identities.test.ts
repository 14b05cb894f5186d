import { readFileSync } from 'node:fs';
import { Testing } from 'cdktf';
import { join } from 'node:path';
import { loadConfig, resourceNames } from '../../config/pipeline-config';
import { GITHUB_OIDC_HOST, pullRequestPlannerStatements } from '../../constructs/github-ci-identities';
import { StorageStack } from '../../stacks/storage-stack';
import { allows, findResource, resources, rolePolicy, statements, synthPipeline, type Synthesised } from './synth-helper';

/**
 * Issue 18, item 4: pull-request jobs could read the data (a ReadOnlyAccess planner trusted for every ref). The
 * workflow's roles are now code the bootstrap creates; these are their exact trust and grants.
 */
describe('the GitHub workflow roles (prod, ci.githubRepository set)', () => {
  let s: Synthesised;
  let names: ReturnType<typeof resourceNames>;
  const REPO = 'my-org/spotify-pipeline';
  beforeAll(() => {
    s = synthPipeline(loadConfig('prod'));
    names = resourceNames(s.config);
  });
  const role = (name: string) => findResource(s.storage, 'aws_iam_role', (r) => r.name === name);
  const subjectOf = (name: string) => statements(role(name).assume_role_policy).map((st) => st.Condition);

  it('creates the account GitHub OIDC provider for the audience sts.amazonaws.com', () => {
    expect(findResource(s.storage, 'aws_iam_openid_connect_provider')).toMatchObject({ url: `https://${GITHUB_OIDC_HOST}`, client_id_list: ['sts.amazonaws.com'] });
  });

  it('trusts the pull-request planner only for pull_request runs of this repository', () => {
    expect(subjectOf(`${names.prefix}-github-pr-plan`)).toEqual([
      { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: `repo:${REPO}:pull_request` } },
    ]);
    const [trust] = statements(role(`${names.prefix}-github-pr-plan`).assume_role_policy);
    expect(trust).toMatchObject({ Action: 'sts:AssumeRoleWithWebIdentity', Principal: { Federated: expect.stringContaining('aws_iam_openid_connect_provider.') } });
  });

  it('lets the pull-request planner read the state of this environment and no object of the data bucket', () => {
    const p = rolePolicy(s.storage, `${names.prefix}-github-pr-plan`);
    const state = `arn:aws:s3:::my-terraform-state/spotify-pipeline/prod`;
    for (const kind of ['storage', 'compute', 'warehouse']) expect(allows(p, 's3:GetObject', `${state}/${kind}.tfstate`)).toBe(true);
    expect(allows(p, 's3:GetObject', 'arn:aws:s3:::my-terraform-state/spotify-pipeline/dev/storage.tfstate')).toBe(false);
    const data = `arn:aws:s3:::${names.bucket}`;
    for (const key of ['raw/extract_date=2026-11-23/run_id=r/_manifest.json', 'processed/tracks/x.parquet', 'rejects/x.json', 'claims/extract/x', 'artifacts/glue/x.py']) {
      expect(allows(p, 's3:GetObject', `${data}/${key}`)).toBe(false);
    }
    // Nothing but listing the state bucket and reading state: no lock written, no secret, no log, no queue.
    expect(p.flatMap((st) => [st.Action].flat()).sort()).toEqual(['s3:GetObject', 's3:ListBucket']);
    expect(allows(p, 's3:PutObject', `${state}/storage.tfstate.tflock`)).toBe(false);
  });

  it('trusts the deploy role only for jobs of the production GitHub environment', () => {
    expect(subjectOf(`${names.prefix}-github-deploy`)).toEqual([
      { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: `repo:${REPO}:environment:production` } },
    ]);
    const attachments = resources(s.storage, 'aws_iam_role_policy_attachment');
    expect(attachments.map((a) => a.policy_arn)).toEqual(['arn:aws:iam::aws:policy/AdministratorAccess']);
  });

  it('exist only where configured: dev has no CI roles', () => {
    const dev = synthPipeline(loadConfig('dev'));
    expect(resources(dev.storage, 'aws_iam_role').filter((r) => /github/.test(r.name))).toEqual([]);
    expect(resources(dev.storage, 'aws_iam_openid_connect_provider')).toEqual([]);
  });

  it('refuses a repository without a state bucket to read, or a repository that is not owner/name, saying what to fix', () => {
    const prod = loadConfig('prod');
    expect(() => new StorageStack(Testing.app(), { ...prod, aws: { ...prod.aws, stateBackend: undefined } })).toThrow(/ci\.githubRepository needs aws\.stateBackend/);
    expect(() => new StorageStack(Testing.app(), { ...prod, ci: { ...prod.ci!, githubRepository: 'spotify-pipeline' } })).toThrow(/must be "owner\/name"/);
  });

  it("docs/deploying.md gives the pull-request planner's exact policy", () => {
    const docs = readFileSync(join(__dirname, '..', '..', 'docs', 'deploying.md'), 'utf8');
    for (const statement of pullRequestPlannerStatements({ bucket: '<state-bucket>', keyPrefix: 'spotify-pipeline/prod' })) {
      expect(docs).toContain(JSON.stringify({ Effect: 'Allow', ...statement }));
    }
  });
});
