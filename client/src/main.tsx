import { render } from 'preact';
import { App } from './app.js';
import { startPresence } from './presence.js';
import { loadSession } from './session.js';
import './styles.css';

const root = document.getElementById('app');
if (!root) throw new Error('index.html has no #app element');
render(<App />, root);
void loadSession();
startPresence();
