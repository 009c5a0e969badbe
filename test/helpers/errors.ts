import { expect } from 'vitest';

/** Asserts an SDK call fails with AWS's error name, HTTP status and exact message. */
export async function expectError(call: Promise<unknown>, name: string, status: number, message: string | RegExp): Promise<void> {
  await expect(call).rejects.toMatchObject({ name, message, $metadata: { httpStatusCode: status } });
}
