import { describe } from 'vitest';
import { serviceAvailable } from '../../test/services.js';
import { accountSuite } from './accounts.suite.js';

const available = await serviceAvailable('postgres');
describe.skipIf(!available)('on real Postgres', () => {
  accountSuite('Postgres', { postgres: true });
});
