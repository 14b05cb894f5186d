/**
 * What every stack shares: the AWS provider (region and default tags from the configuration) and the
 * state backend. Remote state (S3 with a lockfile) is used when the environment's configuration names a
 * state bucket and PIPELINE_LOCAL_STATE is not set; tests, checkov and a first look synthesise with local state.
 */
import { posix } from 'node:path';
import { Construct } from 'constructs';
import { LocalBackend, S3Backend, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
import type { PipelineConfig } from '../config/pipeline-config';
import { resourceNames } from '../config/pipeline-config';
import type { AlertTargets, PipelineContext } from '../constructs/context';
import { stackName, type StackKind } from './stack-names';

export { stackName, type StackKind };

/**
 * Where a stack keeps local state, relative to the folder Terraform runs in (`<outdir>/stacks/<stack>`): beside the
 * output folder, so `cdktf.out/../terraform.<stack>.tfstate` is the checkout's root, where cdktf's default put it.
 * cdktf's default is an absolute path (process.cwd()), which made every plan depend on the checkout's location and
 * sent a moved checkout to an empty state; Terraform resolves a relative path from its working directory.
 */
export function localStatePath(stack: string): string {
  return posix.join('..', '..', '..', `terraform.${stack}.tfstate`);
}

export function useRemoteState(config: PipelineConfig, env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(config.aws.stateBackend) && !['1', 'true'].includes(env.PIPELINE_LOCAL_STATE ?? '');
}

/** The account id is required for AWS environments: predictable ARNs (Snowflake's role, the logs key) use it. */
export function requireAccountId(config: PipelineConfig): string {
  if (!config.aws.accountId) {
    throw new Error(
      `aws.accountId is missing in the ${config.environment} configuration: the stacks build predictable ARNs ` +
        'from it (the Snowflake integration role, key policies). Add the 12-digit account id to ' +
        `config/environments/${config.environment}.json.`,
    );
  }
  return config.aws.accountId;
}

/**
 * The context the constructs of one stack share: account, region, names and log retention from the configuration,
 * plus the key and alert targets when the stack has them (the compute stack makes both; the warehouse uses the
 * compute stack's).
 */
export function pipelineContext(config: PipelineConfig, parts: { kmsKeyArn?: string; alerts?: AlertTargets } = {}): PipelineContext {
  return {
    environmentName: config.environment,
    accountId: requireAccountId(config),
    region: config.aws.region,
    prefix: resourceNames(config).prefix,
    names: resourceNames(config),
    logRetentionDays: config.aws.logRetentionDays,
    ...parts,
  };
}

export abstract class PipelineStack extends TerraformStack {
  readonly config: PipelineConfig;
  readonly names: ReturnType<typeof resourceNames>;
  readonly accountId: string;
  readonly aws: AwsProvider;

  protected constructor(scope: Construct, kind: StackKind, config: PipelineConfig) {
    super(scope, stackName(config, kind));
    if (config.environment === 'local') {
      throw new Error(
        'The "local" environment runs on this machine (npm run pipeline -- run); it has no AWS stacks. ' +
          'Synthesise dev or prod: PIPELINE_ENV=dev npx cdktf synth.',
      );
    }
    this.config = config;
    this.names = resourceNames(config);
    this.accountId = requireAccountId(config);
    this.aws = new AwsProvider(this, 'aws', {
      region: config.aws.region,
      // Refuses to run against any other account: a wrong profile fails at plan, not after creating things.
      allowedAccountIds: [this.accountId],
      defaultTags: [{ tags: { Project: config.project, Environment: config.environment, Stack: kind, ManagedBy: 'cdktf' } }],
    });
    const backend = config.aws.stateBackend;
    if (backend && useRemoteState(config)) {
      const s3 = new S3Backend(this, {
        bucket: backend.bucket,
        key: `${backend.keyPrefix}/${config.environment}/${kind}.tfstate`,
        region: backend.region,
        encrypt: true,
      });
      // Terraform's native S3 locking (no DynamoDB table); cdktf 0.21 has no typed option for it yet.
      s3.addOverride('use_lockfile', true);
    } else {
      // Other stacks read this state through the same relative path (cdktf's terraform_remote_state uses it too).
      new LocalBackend(this, { path: localStatePath(this.node.id) });
    }
  }
}
