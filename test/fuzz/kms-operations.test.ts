/**
 * Model-driven fuzz of every KMS operation (issue 10): generated requests from a fixed seed,
 * sent signed to a real kmsd. fuzz-harness.ts says what each case checks.
 */
import { KMS_MODEL, KMS_OPERATIONS } from '../../src/generated/kms.js';
import { fuzzEveryOperation } from './fuzz-harness.js';

fuzzEveryOperation('KMS', { service: 'kms', model: KMS_MODEL }, KMS_OPERATIONS, 0);
