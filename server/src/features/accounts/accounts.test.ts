import { accountSuite } from './accounts.suite.js';

accountSuite('PGlite', {});
