/**
 * The Glue crawler over processed/: registers each table folder and its extract_date/run_id partitions in the
 * Data Catalog, started by a conditional trigger when the transform job succeeds, or on a schedule (when plays are
 * polled the job runs every hour, and a crawl after each would cost more than everything else). Its role reads
 * processed/ and maintains only the pipeline's own catalog database.
 */
import { Construct } from 'constructs';
import { GlueCrawler } from '@cdktf/provider-aws/lib/glue-crawler';
import { GlueTrigger } from '@cdktf/provider-aws/lib/glue-trigger';
import { CloudwatchLogGroup } from '@cdktf/provider-aws/lib/cloudwatch-log-group';
import { bucketArn, objectsArn, ServiceRole } from './iam';
import { skipCheck } from './checkov';
import { LOG_RETENTION_REASON, NO_KEY_REASON } from './node-lambda';

/** The log group every Glue crawler of a region writes to. */
export const CRAWLER_LOG_GROUP = '/aws-glue/crawlers';

export interface ProcessedCrawlerProps {
  prefix: string;
  crawlerName: string;
  accountId: string;
  region: string;
  bucketName: string;
  processedPrefix: string;
  /** Table folders under processed/ (schemas/tables.json). */
  tables: readonly string[];
  /** The catalog database name as configured (IAM) and by reference from the storage stack. */
  databaseName: string;
  databaseRef: string;
  securityConfiguration: string;
  /** The transform job whose success starts the crawler. */
  jobName: string;
  /** A Glue cron expression: crawl on this schedule instead of after each successful transform. */
  schedule?: string | null;
  logRetentionDays: number;
  kmsKeyArn?: string;
}

export class ProcessedCrawler extends Construct {
  readonly crawler: GlueCrawler;
  readonly role: ServiceRole;

  constructor(scope: Construct, id: string, props: ProcessedCrawlerProps) {
    super(scope, id);
    const { accountId, region, bucketName: bucket, processedPrefix } = props;
    const catalogArn = `arn:aws:glue:${region}:${accountId}`;
    this.role = new ServiceRole(this, 'crawler-role', {
      name: `${props.prefix}-glue-crawler`,
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
    // Crawlers log to the region's shared /aws-glue/crawlers group, which Glue would otherwise create without a
    // retention. If another crawler created it before, import it (docs/deploying.md; `pipeline deploy` says how).
    const logs = new CloudwatchLogGroup(this, 'logs', {
      name: CRAWLER_LOG_GROUP,
      retentionInDays: props.logRetentionDays,
      kmsKeyId: props.kmsKeyArn,
    });
    skipCheck(logs, 'CKV_AWS_338', LOG_RETENTION_REASON);
    if (!props.kmsKeyArn) skipCheck(logs, 'CKV_AWS_158', NO_KEY_REASON);
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
      dependsOn: [this.role.policy, logs],
    });
    if (props.schedule) {
      new GlueTrigger(this, 'scheduled', {
        name: `${props.prefix}-crawl-scheduled`,
        description: 'Starts the crawler on its schedule (new run folders only).',
        type: 'SCHEDULED',
        schedule: props.schedule,
        startOnCreation: true,
        actions: [{ crawlerName: this.crawler.name }],
      });
    } else {
      new GlueTrigger(this, 'after-transform', {
        name: `${props.prefix}-crawl-after-transform`,
        description: 'Starts the crawler when the transform succeeds.',
        type: 'CONDITIONAL',
        predicate: { conditions: [{ jobName: props.jobName, state: 'SUCCEEDED' }] },
        actions: [{ crawlerName: this.crawler.name }],
      });
    }
  }
}
