/**
 * IAM building blocks. Policy documents are plain JSON strings (not `data.aws_iam_policy_document`), so the
 * synthesised cdk.tf.json shows every statement as written, the stack tests can parse and assert on them,
 * and checkov reads them without evaluating data sources.
 */
import { Construct } from 'constructs';
import { IamRole } from '@cdktf/provider-aws/lib/iam-role';
import { IamRolePolicy } from '@cdktf/provider-aws/lib/iam-role-policy';

/** One statement of an IAM policy, in IAM's own JSON names. */
export interface PolicyStatement {
  /** Names the statement: what it allows, in a word or two. Required (tests and reviews find statements by it). */
  Sid: string;
  /** Default: Allow. */
  Effect?: 'Allow' | 'Deny';
  /** The actions, named one by one (no wildcards; policyDocument refuses them). Required. */
  Action: string[];
  /** The resources, narrowed to key prefixes and names; "*" only where listed in allowStarResource. Required. */
  Resource: string[];
  /** IAM conditions, e.g. { StringEquals: { 'kms:ViaService': ... } }. Default: none. */
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

/** A statement of a resource policy (key, topic, queue), which names who it applies to. */
export interface PrincipalStatement extends Omit<PolicyStatement, 'Resource'> {
  /** Who the statement applies to, e.g. { Service: 'cloudwatch.amazonaws.com' }. Required. */
  Principal: Record<string, string | string[]>;
  /** Default: none (the policy's own resource is implied where IAM allows). */
  Resource?: string[];
}

/** Refuses wildcard actions and bare "*" resources unless the statement says why (allowStarResource). */
export function policyDocument(statements: PolicyStatement[], options: { allowStarResource?: string[] } = {}): string {
  for (const s of statements) {
    for (const action of s.Action) {
      if (action === '*' || action.endsWith(':*')) {
        throw new Error(`IAM statement ${s.Sid} grants "${action}": name the actions the job needs instead.`);
      }
    }
    if (s.Resource.includes('*') && !(options.allowStarResource ?? []).includes(s.Sid)) {
      throw new Error(
        `IAM statement ${s.Sid} uses Resource "*": name the resources, or list the Sid in allowStarResource ` +
          'when the service has no resource-level permissions for these actions.',
      );
    }
  }
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) });
}

export function resourcePolicy(statements: PrincipalStatement[]): string {
  return JSON.stringify({ Version: '2012-10-17', Statement: statements.map((s) => ({ Effect: 'Allow', ...s })) });
}

/** Trust policy for an AWS service principal, limited to this account (confused-deputy guard). */
export function serviceTrustPolicy(service: string, accountId?: string): string {
  return JSON.stringify({
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: service },
        Action: 'sts:AssumeRole',
        ...(accountId ? { Condition: { StringEquals: { 'aws:SourceAccount': accountId } } } : {}),
      },
    ],
  });
}

export interface ServiceRoleProps {
  /** The role's name; its inline policy is <name>-policy. Required. */
  name: string;
  /** The AWS service that assumes the role, e.g. lambda.amazonaws.com. Required. */
  service: string;
  /** Limits the trust to this account (aws:SourceAccount, the confused-deputy guard). Default: no such condition. */
  accountId?: string;
  /** What the role may do. Required. */
  statements: PolicyStatement[];
  /** Sids of statements allowed Resource "*" (services without resource-level permissions). Default: none. */
  allowStarResource?: string[];
  /** What the role is for, as shown in the console. Required. */
  description: string;
}

/** A role for one AWS service with one inline least-privilege policy. */
export class ServiceRole extends Construct {
  readonly role: IamRole;
  readonly policy: IamRolePolicy;

  constructor(scope: Construct, id: string, props: ServiceRoleProps) {
    super(scope, id);
    this.role = new IamRole(this, 'role', {
      name: props.name,
      description: props.description,
      assumeRolePolicy: serviceTrustPolicy(props.service, props.accountId),
    });
    this.policy = new IamRolePolicy(this, 'policy', {
      name: `${props.name}-policy`,
      role: this.role.id,
      policy: policyDocument(props.statements, { allowStarResource: props.allowStarResource }),
    });
  }
}

/** ARN helpers for the one bucket: key-prefix ARNs are how every policy is narrowed. */
export function bucketArn(bucket: string): string {
  return `arn:aws:s3:::${bucket}`;
}
export function objectsArn(bucket: string, keyPattern: string): string {
  return `arn:aws:s3:::${bucket}/${keyPattern}`;
}
