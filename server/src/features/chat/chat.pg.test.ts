import { describe } from 'vitest';
import { serviceAvailable } from '../../test/services.js';
import { chatSuite } from './chat.suite.js';

const available = await serviceAvailable('postgres');
describe.skipIf(!available)('on real Postgres', () => {
  chatSuite('Postgres', { postgres: true });
});
