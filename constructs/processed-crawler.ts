/**
 * The Glue crawler over processed/: registers each table folder and its extract_date/run_id partitions in the
 * Data Catalog, started by a conditional trigger when the transform job succeeds, or on a schedule (when plays are
 * polled the job runs every hour, and a crawl after each would cost more than everything else). Its role reads
 * processed/ and maintains only the pipeline's own catalog database.
 */
import { Construct } from 'constructs';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueTrigger } from '@cdktf/provider-aws/lib/glue-trigger';
import type { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { bucketArn, objectsArn, ServiceRole } from './iam';
import { retainedLogGroup } from './node-lambda';
import type { PipelineBucket, PipelineContext } from './context';

/**
 * The log group every Glue crawler of an account and region writes to: AWS names it, so environments sharing an
 * account share it, and exactly one of them creates it (glue.ownsCrawlerLogGroup).
 */
export const CRAWLER_LOG_GROUP = '/aws-glue/crawlers';

export interface ProcessedCrawlerProps {
  /** Account, region, prefix, key and log retention of the stack. Required. */
  context: PipelineContext;
  /** The crawler's name. Required. */
  crawlerName: string;
  /** The pipeline bucket: the crawler reads its processed/ prefix. Required. */
  bucket: PipelineBucket;
  /** Table folders under processed/ (schemas/tables.json). Required. */
  tables: readonly string[];
  /** The catalog database name as configured: the IAM grants name it. Required. */
  databaseName: string;
  /** The same database by reference to the storage stack's resource: the crawler writes into it. Required. */
  databaseRef: string;
  /** Name of the Glue security configuration the crawler runs with (the transform job's). Required. */
  securityConfiguration: string;
  /** The transform job whose success starts the crawler (when there is no schedule). Required. */
  jobName: string;
  /** A Glue cron expression: crawl on this schedule instead of after each successful transform. Default: none. */
  schedule?: string | null;
  /**
   * Whether this stack creates CRAWLER_LOG_GROUP (with the context's retention and key). False when another
   * environment of the account owns it: the crawler then writes to that one. Default: true.
   */
  ownsLogGroup?: boolean;
}

export class ProcessedCrawler extends Construct {
  readonly crawler: GlueCrawler;
  readonly role: ServiceRole;
  /** The account's crawler log group, when this stack owns it. */
  readonly logGroup?: CloudwatchLogGroup;

  constructor(scope: Construct, id: string, props: ProcessedCrawlerProps) {
    super(scope, id);
    const { accountId, region } = props.context;
    const bucket = props.bucket.name;
    const processedPrefix = props.bucket.prefixes.processed;
    const catalogArn = `arn:aws:glue:${region}:${accountId}`;
    this.role = new ServiceRole(this, 'crawler-role', {
      name: props.context.names.glueCrawlerRole,
      service: 'glue.amazonaws.com',
      accountId,
      description: 'The crawler: reads processed/ and keeps its tables and partitions in the Data Catalog.',
      statements: [
        { Sid: 'ReadProcessed', Action: ['s3:GetObject'], Resource: [objectsArn(bucket, `${processedPrefix}*`)] },
        {
          Sid: 'ListProcessed',
          Action: ['s3:ListBucket'],
          Resource: [bucketArn(bucket)],
          Condition: { StringLike: { 's3:prefix': [`${processedPrefix}*`] } },
        },
        {
          Sid: 'MaintainCatalogTables',
          Action: [
            'glue:GetDatabase',
            'glue:GetTable',
            'glue:GetTables',
            'glue:CreateTable',
            'glue:UpdateTable',
            'glue:GetPartition',
            'glue:GetPartitions',
            'glue:BatchGetPartition',
            'glue:CreatePartition',
            'glue:BatchCreatePartition',
            'glue:UpdatePartition',
            'glue:BatchUpdatePartition',
            // configuration CreatePartitionIndex: the crawler adds a partition index to each table it creates.
            'glue:CreatePartitionIndex',
          ],
          Resource: [`${catalogArn}:catalog`, `${catalogArn}:database/${props.databaseName}`, `${catalogArn}:table/${props.databaseName}/*`],
        },
        {
          Sid: 'WriteCrawlerLogs',
          // The group exists (below), so the crawler never needs logs:CreateLogGroup.
          Action: ['logs:CreateLogStream', 'logs:PutLogEvents'],
          Resource: [`arn:aws:logs:${region}:${accountId}:log-group:${CRAWLER_LOG_GROUP}:*`],
        },
      ],
    });
    // Crawlers log to the account's shared /aws-glue/crawlers group, which Glue would otherwise create without a
    // retention. One environment of the account owns it; if a crawler outside the pipeline created it before,
    // import it (docs/deploying.md; `pipeline deploy` says how).
    if (props.ownsLogGroup ?? true) this.logGroup = retainedLogGroup(this, 'logs', CRAWLER_LOG_GROUP, props.context);
    this.crawler = new GlueCrawler(this, 'crawler', {
      name: props.crawlerName,
      description: 'Registers the processed/ tables and their extract_date/run_id partitions.',
      role: this.role.role.arn,
      securityConfiguration: props.securityConfiguration,
      databaseName: props.databaseRef,
      s3Target: props.tables.map((table) => ({ path: `s3://${bucket}/${processedPrefix}${table}/` })),
      // Only new run folders are crawled; the schemas come from tables.json and do not drift.
      recrawlPolicy: { recrawlBehavior: 'CRAWL_NEW_FOLDERS_ONLY' },
      schemaChangePolicy: { updateBehavior: 'LOG', deleteBehavior: 'LOG' },
      configuration: JSON.stringify({ Version: 1, CreatePartitionIndex: true }),
      dependsOn: [this.role.policy, ...(this.logGroup ? [this.logGroup] : [])],
    });
    if (props.schedule) {
      new GlueTrigger(this, 'scheduled', {
        name: props.context.names.crawlScheduledTrigger,
        description: 'Starts the crawler on its schedule (new run folders only).',
        type: 'SCHEDULED',
        schedule: props.schedule,
        startOnCreation: true,
        actions: [{ crawlerName: this.crawler.name }],
      });
    } else {
      new GlueTrigger(this, 'after-transform', {
        name: props.context.names.crawlAfterTransformTrigger,
        description: 'Starts the crawler when the transform succeeds.',
        type: 'CONDITIONAL',
        predicate: { conditions: [{ jobName: props.jobName, state: 'SUCCEEDED' }] },
        actions: [{ crawlerName: this.crawler.name }],
      });
    }
  }
}
