import { matchSuite } from './matches.suite.js';

matchSuite('PGlite', {});
