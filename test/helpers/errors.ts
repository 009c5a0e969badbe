import { expect } from 'vitest';

/** Asserts an SDK call fails with AWS's error name, HTTP status and exact message. */
export async function expectError(call: Promise<unknown>, name: string, status: number, message: string | RegExp): Promise<void> {
  await expect(call).rejects.toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
}

/**
 * Asserts an SDK call fails with AWS's error name and exact message, whatever the HTTP
 * status (AWS answers 400 where the model says 404/409/412, and kmsd is moving to that).
 */
export async function expectAwsError(call: Promise<unknown>, name: string, message: string | RegExp): Promise<void> {
  await expect(call).rejects.toMatchObject({ name, message });
}

/**
 * Asserts that of concurrent CreateAlias calls for one name exactly one succeeded and every
 * other one got AWS's AlreadyExistsException (400, exact message).
 */
export function expectOneAliasWinner(
  results: PromiseSettledResult<unknown>[],
  alias: { region: string; accountId: string; name: string },
): void {
  expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
  const failures = results.flatMap((r) => (r.status === 'rejected' ? [r.reason as unknown] : []));
  expect(failures).toHaveLength(results.length - 1);
  for (const f of failures) {
    expect(f).toMatchObject({
      name: 'AlreadyExistsException',
      message: `An alias with the name arn:aws:kms:${alias.region}:${alias.accountId}:${alias.name} already exists`,
      $metadata: { httpStatusCode: 400 },
    });
  }
}
