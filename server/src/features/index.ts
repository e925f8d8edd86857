import type { AppContext } from '../context.js';
import { registerAccounts } from './accounts/index.js';
import { registerCards } from './cards/index.js';
import { registerChat } from './chat/index.js';
import { registerMatches } from './matches/index.js';
import { registerMeetups } from './meetups/index.js';
import { registerNotifications } from './notifications/index.js';
import { registerRooms } from './rooms/index.js';

/**
 * Every feature, in registration order, with its dependencies passed explicitly. Adding a
 * feature means adding it here.
 */
export function registerFeatures(ctx: AppContext) {
  registerAccounts(ctx);
  const notifier = registerNotifications(ctx);
  const chat = registerChat(ctx);
  const cards = registerCards(ctx);
  registerMatches(ctx, { chat, cards, notifier });
  registerRooms(ctx, { chat });
  registerMeetups(ctx, { chat, notifier });
}
