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
