import { chatSuite } from './chat.suite.js';

chatSuite('PGlite', {});
