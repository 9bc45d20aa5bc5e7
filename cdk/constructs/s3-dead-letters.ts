import { Validations } from 'aws-cdk-lib';
import { Grant } from 'aws-cdk-lib/aws-iam';
import type {
  DlqDestinationConfig,
  IEventSourceDlq,
  IEventSourceMapping,
  IFunction,
} from 'aws-cdk-lib/aws-lambda';
import type { IBucket } from 'aws-cdk-lib/aws-s3';

/** Where Lambda writes an invocation record: `aws/lambda/<mapping UUID>/<shard id>/YYYY/MM/DD/…`. */
export const DEAD_LETTER_PREFIX = 'aws/lambda/';

/**
 * An S3 on-failure destination with only the access Lambda needs to write
 * there (s3:PutObject under `aws/lambda/`, s3:ListBucket). Written here
 * instead of aws-cdk-lib's S3OnFailureDestination, which grants read and
 * write on the whole bucket: a consumer could then read or delete the dead
 * letters of the other one.
 */
export class S3DeadLetters implements IEventSourceDlq {
  constructor(private readonly bucket: IBucket) {}

  bind(_target: IEventSourceMapping, targetHandler: IFunction): DlqDestinationConfig {
    this.bucket.grantPut(targetHandler, `${DEAD_LETTER_PREFIX}*`);
    Grant.addToPrincipalOrResource({
      grantee: targetHandler,
      actions: ['s3:ListBucket'],
      resourceArns: [this.bucket.bucketArn],
      resource: this.bucket,
    });
    const role = targetHandler.role;
    if (role) {
      Validations.of(role).acknowledge({
        id: `AwsSolutions-IAM5[Resource::<${this.bucket.stack.getLogicalId(this.bucket.node.defaultChild as never)}.Arn>/${DEAD_LETTER_PREFIX}*]`,
        reason:
          'Lambda names each dead-letter object itself (mapping UUID, shard, date, random UUID): the key prefix it writes under is as narrow as the grant can be.',
      });
      Validations.of(role).acknowledge({
        id: 'AwsSolutions-IAM5[Action::s3:Abort*]',
        reason:
          's3:Abort* (AbortMultipartUpload) comes with grantPut so that a large invocation record uploaded in parts can be cleaned up; it only touches uploads under the same prefix.',
      });
    }
    return { destination: this.bucket.bucketArn };
  }
}
