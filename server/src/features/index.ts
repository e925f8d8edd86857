import type { AppContext } from '../context.js';
import { registerAccounts } from './accounts/index.js';
import { registerCards } from './cards/index.js';
import { registerChat } from './chat/index.js';
import { registerCommunities } from './communities/index.js';
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
  const chat = registerChat(ctx, { notifier });
  const cards = registerCards(ctx);
  registerMatches(ctx, { chat, cards, notifier });
  const rooms = registerRooms(ctx, { chat });
  const meetups = registerMeetups(ctx, { chat, notifier });
  registerCommunities(ctx, { chat, cards, rooms, meetups });
}
