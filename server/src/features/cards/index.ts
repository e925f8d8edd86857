import { ErrorCode } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { cardStore, type CardStore } from './store.js';

/** Topic cards: post, edit, archive, delete, and the live feed. */
export function registerCards(ctx: AppContext): CardStore {
  const { http, io } = ctx;
  const store = cardStore(ctx.db);

  /** Tells every open feed a card is gone. */
  const withdraw = (cardId: string) => io.emit('card:removed', { cardId });

  http.route('listCards', { auth: true }, ({ query, principal }) => store.feed(principal.userId, query));

  http.route('createCard', { auth: true, status: 201 }, async ({ body, principal }) => {
    const card = await store.create(principal.userId, body);
    // Everyone sees it arrive, except users in a block relation with the owner.
    const hidden = await store.blockedWith(principal.userId);
    io.except(hidden.map(rooms.user)).emit('card:posted', { ...card, interestCount: null });
    return card;
  });

  http.route('getCard', { auth: true }, async ({ params, principal }) => {
    const card = await store.get(principal.userId, params.id);
    if (!card) throw new AppError(ErrorCode.NOT_FOUND, 'No such card');
    return card;
  });

  http.route('myCards', { auth: true }, ({ principal }) => store.mine(principal.userId));

  http.route('updateCard', { auth: true }, async ({ params, body, principal }) => {
    const before = await store.owned(principal.userId, params.id);
    await store.update(params.id, body);
    if (before.status === 'active' && body.status === 'archived') withdraw(params.id);
    return (await store.get(principal.userId, params.id))!;
  });

  http.route('deleteCard', { auth: true }, async ({ params, principal }) => {
    await store.owned(principal.userId, params.id);
    await store.remove(params.id);
    withdraw(params.id);
    return null;
  });

  return store;
}
