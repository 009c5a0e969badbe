/**
 * Model-driven fuzz of every CloudHSM V2 operation (issue 10): generated requests from a
 * fixed seed, sent signed to a real kmsd. fuzz-harness.ts says what each case checks.
 */
import { CLOUDHSM_MODEL, CLOUDHSM_OPERATIONS } from '../../src/generated/cloudhsmv2.js';
import { fuzzEveryOperation } from './fuzz-harness.js';

fuzzEveryOperation('CloudHSM V2', { service: 'cloudhsm', model: CLOUDHSM_MODEL }, CLOUDHSM_OPERATIONS, 1000);
