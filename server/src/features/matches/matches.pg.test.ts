import { describe } from 'vitest';
import { serviceAvailable } from '../../test/services.js';
import { matchSuite } from './matches.suite.js';

const available = await serviceAvailable('postgres');
describe.skipIf(!available)('on real Postgres', () => {
  matchSuite('Postgres', { postgres: true });
});
