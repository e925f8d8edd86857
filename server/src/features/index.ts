import type { AppContext } from '../context.js';
import { registerAccounts } from './accounts/index.js';

/** Every feature, in registration order. Adding a feature means adding one line here. */
export const features: ((ctx: AppContext) => void)[] = [registerAccounts];
