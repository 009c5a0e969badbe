/** The errors compilePolicy throws; the operation layer maps them to its service's wire error. */

/** The policy is not acceptable; `.message` is the MalformedPolicyDocumentException text AWS sends. */
export class MalformedPolicyError extends Error {
  /** The AWS error this maps to (KMS: MalformedPolicyDocumentException; IAM/STS: MalformedPolicyDocument). */
  readonly awsErrorName: 'MalformedPolicyDocumentException' | 'LimitExceededException' = 'MalformedPolicyDocumentException';
  constructor(message: string) {
    super(message);
    this.name = 'MalformedPolicyError';
  }
}

/**
 * A key policy over 32 KB: AWS answers LimitExceededException, not MalformedPolicyDocumentException
 * (KMS developer guide, resource-limits: "Key policy document size" 32 KB, not adjustable). It extends
 * MalformedPolicyError so that callers catching the contract's error type never let it through as a 500.
 */
export class PolicyTooLargeError extends MalformedPolicyError {
  override readonly awsErrorName = 'LimitExceededException';
  constructor(message: string) {
    super(message);
    this.name = 'PolicyTooLargeError';
  }
}
