/**
 * The two AWS identities of the GitHub workflow (.github/workflows/infrastructure.yml), trusted through GitHub's OIDC
 * provider and nothing else:
 *
 * - the pull-request planner `<prefix>-github-pr-plan`: only `pull_request` runs of the one repository may assume it
 *   (the OIDC `sub` claim `repo:<owner>/<repo>:pull_request`). A pull request's plan compares the change with the
 *   recorded state and refreshes nothing (`pipeline deploy --plan-only --pull-request`), so the role reads the state
 *   files of this environment, and nothing else: no object of raw/ or processed/, no secret, no log, no lock.
 * - the deploy role `<prefix>-github-deploy`: only jobs of the `production` GitHub environment (required reviewers,
 *   deployment branch main) may assume it (`repo:<owner>/<repo>:environment:production`). It makes main's plan and
 *   applies it; it creates IAM roles and policies, KMS keys and everything else of the stacks, which is what
 *   AdministratorAccess is for (the same as the laptop bootstrap's identity, docs/deploying.md).
 *
 * Created by the storage stack when `ci.githubRepository` is configured, so the laptop bootstrap (`pipeline deploy`)
 * creates them and every later change goes through them.
 */
import { Construct } from 'constructs';
import { IamOpenidConnectProvider } from '@cdktf/provider-aws/lib/iam-openid-connect-provider';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';
import { IamRolePolicyAttachment } from '@cdktf/provider-aws/lib/iam-role-policy-attachment';
import { skipCheck } from './checkov';
import type { PipelineContext } from './context';
import { policyDocument, type PolicyStatement } from './iam';

export const GITHUB_OIDC_HOST = 'token.actions.githubusercontent.com';

export interface GithubCiIdentitiesProps {
  /** Account, names. Required. */
  context: PipelineContext;
  /** `owner/name` of the GitHub repository whose workflow may assume the roles. Required. */
  repository: string;
  /** The GitHub environment whose jobs may deploy. Default: production. */
  deployEnvironment?: string;
  /** The Terraform state of the stacks: bucket and the key prefix of this environment's state files. Required. */
  state: { bucket: string; keyPrefix: string };
  /**
   * Whether this stack creates the account's GitHub OIDC provider (one per account: when dev and prod share an
   * account, exactly one environment creates it and the other references it by its ARN). Default: true.
   */
  createOidcProvider?: boolean;
}

/** The trust policy of a role GitHub's workflow assumes, for the runs whose `sub` claim is `subject`. */
export function githubTrustPolicy(providerArn: string, subject: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Sid: 'GithubWorkflow',
        Effect: 'Allow',
        Principal: { Federated: providerArn },
        Action: 'sts:AssumeRoleWithWebIdentity',
        Condition: { StringEquals: { [`${GITHUB_OIDC_HOST}:aud`]: 'sts.amazonaws.com', [`${GITHUB_OIDC_HOST}:sub`]: subject } },
      },
    ],
  });
}

/** What a pull request's plan reads: this environment's state files (the stacks' and, for their inputs, those before them). */
export function pullRequestPlannerStatements(state: { bucket: string; keyPrefix: string }): PolicyStatement[] {
  return [
    // terraform init lists the state bucket's keys (workspaces); key names are metadata.
    { Sid: 'ListStateBucket', Action: ['s3:ListBucket'], Resource: [`arn:aws:s3:::${state.bucket}`] },
    { Sid: 'ReadState', Action: ['s3:GetObject'], Resource: [`arn:aws:s3:::${state.bucket}/${state.keyPrefix}/*.tfstate`] },
  ];
}

export class GithubCiIdentities extends Construct {
  readonly oidcProviderArn: string;
  readonly pullRequestPlanner: IamRole;
  readonly deployRole: IamRole;

  constructor(scope: Construct, id: string, props: GithubCiIdentitiesProps) {
    super(scope, id);
    const { context, repository } = props;
    if (!/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/.test(repository)) {
      throw new Error(`ci.githubRepository must be "owner/name" of the GitHub repository (got "${repository}").`);
    }
    this.oidcProviderArn =
      props.createOidcProvider === false
        ? `arn:aws:iam::${context.accountId}:oidc-provider/${GITHUB_OIDC_HOST}`
        : new IamOpenidConnectProvider(this, 'github-oidc', { url: `https://${GITHUB_OIDC_HOST}`, clientIdList: ['sts.amazonaws.com'] }).arn;

    this.pullRequestPlanner = new IamRole(this, 'pr-planner', {
      name: context.names.githubPullRequestPlanRole,
      description: `Plans of pull requests of ${repository}: reads the ${context.environmentName} Terraform state, nothing else.`,
      assumeRolePolicy: githubTrustPolicy(this.oidcProviderArn, `repo:${repository}:pull_request`),
    });
    new IamRolePolicy(this, 'pr-planner-policy', {
      name: `${context.names.githubPullRequestPlanRole}-policy`,
      role: this.pullRequestPlanner.id,
      policy: policyDocument(pullRequestPlannerStatements(props.state)),
    });

    const environment = props.deployEnvironment ?? 'production';
    this.deployRole = new IamRole(this, 'deploy', {
      name: context.names.githubDeployRole,
      description: `main's plan and apply of ${repository}, from its ${environment} GitHub environment only.`,
      assumeRolePolicy: githubTrustPolicy(this.oidcProviderArn, `repo:${repository}:environment:${environment}`),
    });
    const admin = new IamRolePolicyAttachment(this, 'deploy-administrator', {
      role: this.deployRole.name,
      policyArn: 'arn:aws:iam::aws:policy/AdministratorAccess',
    });
    skipCheck(
      admin,
      'CKV_AWS_274',
      'The deploy role creates and changes IAM roles, policies and KMS keys of every stack: administrator by nature. ' +
        'Only jobs of the production GitHub environment (required reviewers, branch main) of this repository may assume it.',
    );
  }
}
