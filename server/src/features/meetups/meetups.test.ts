import { meetupSuite } from './meetups.suite.js';

meetupSuite('PGlite', {});
