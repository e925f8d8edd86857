import { randomUUID } from 'node:crypto';
import { ErrorCode, IdParams } from '@hackmeshi/shared';
import type { AppContext } from '../../context.js';
import { AppError } from '../../infra/errors.js';
import { rooms } from '../../infra/keys.js';
import { parseInput } from '../../infra/validate.js';
import type { ChatService } from '../chat/index.js';
import type { Notifier } from '../notifications/index.js';
import { toIcs } from './ics.js';
import { meetupStore, type MeetupRow, type MeetupStore } from './store.js';

/** How often each node looks for reminders that are due. */
const REMINDER_SWEEP_MS = 5_000;

/** Meetups (食事会): RSVPs with a fair waitlist, organizer tools, event chat, calendar, reminders. */
export function registerMeetups(ctx: AppContext, deps: { chat: ChatService; notifier: Notifier }): MeetupStore {
  const { http, io, config, log, app } = ctx;
  const { chat, notifier } = deps;
  const store = meetupStore(ctx.db, chat.store);

  /** New seat counts to everyone; each waitlisted person their new place; the promoted their seat. */
  async function announceSeats(m: MeetupRow, change: { promoted: string[]; waitlist: { userId: string; position: number }[] }) {
    io.emit('meetup:counts', await store.counts(m.id));
    for (const w of change.waitlist) {
      io.to(rooms.user(w.userId)).emit('meetup:rsvp-updated', { meetupId: m.id, rsvp: { status: 'waitlisted', position: w.position } });
    }
    for (const userId of change.promoted) {
      io.to(rooms.user(userId)).emit('meetup:rsvp-updated', { meetupId: m.id, rsvp: { status: 'attending', position: null } });
      chat.joinRoom(m.conversation_id, [userId]);
    }
    if (change.promoted.length > 0) await notifier.send(change.promoted, { kind: 'meetup_promoted', meetupId: m.id, title: m.title });
  }

  http.route('listMeetups', { auth: true }, ({ query, principal }) => store.list(principal.userId, query));

  http.route('createMeetup', { auth: true, status: 201 }, async ({ body, principal }) => {
    const meetup = await store.create(principal.userId, body);
    chat.joinRoom(meetup.conversationId!, [principal.userId]);
    return meetup;
  });

  http.route('getMeetup', { auth: true }, ({ params, principal }) => store.view(principal.userId, params.id));

  http.route('updateMeetup', { auth: true }, async ({ params, body, principal }) => {
    const r = await store.update(principal.userId, params.id, body);
    await announceSeats(r.meetup, r);
    const others = r.people.filter((id) => !r.promoted.includes(id));
    if (r.moved && others.length > 0) {
      await notifier.send(others, { kind: 'meetup_changed', meetupId: r.meetup.id, title: body.title ?? r.meetup.title });
    }
    return store.view(principal.userId, params.id);
  });

  http.route('cancelMeetup', { auth: true }, async ({ params, principal }) => {
    const { meetup, people } = await store.cancel(principal.userId, params.id);
    if (people.length > 0) await notifier.send(people, { kind: 'meetup_cancelled', meetupId: meetup.id, title: meetup.title });
    io.emit('meetup:counts', await store.counts(meetup.id));
    return store.view(principal.userId, params.id);
  });

  http.route('rsvp', { auth: true }, async ({ params, principal }) => {
    const { meetup, rsvp } = await store.rsvp(principal.userId, params.id);
    chat.joinRoom(meetup.conversation_id, [principal.userId]);
    io.emit('meetup:counts', await store.counts(meetup.id));
    return rsvp;
  });

  http.route('cancelRsvp', { auth: true }, async ({ params, principal }) => {
    const r = await store.drop(principal.userId, params.id, principal.userId, true);
    chat.leaveRoom(r.meetup.conversation_id, [principal.userId]);
    await announceSeats(r.meetup, r);
    return null;
  });

  http.route('removeAttendee', { auth: true }, async ({ params, principal }) => {
    const r = await store.drop(principal.userId, params.id, params.userId, false);
    chat.leaveRoom(r.meetup.conversation_id, [params.userId]);
    io.to(rooms.user(params.userId)).emit('meetup:rsvp-updated', { meetupId: params.id, rsvp: null });
    await announceSeats(r.meetup, r);
    return null;
  });

  http.route('attendees', { auth: true }, ({ params, principal }) => store.attendees(principal.userId, params.id));

  http.route('announce', { auth: true }, async ({ params, body, principal }) => {
    const m = await store.get(params.id);
    if (m.organizer_id !== principal.userId) throw new AppError(ErrorCode.FORBIDDEN, 'Only the organizer can do that');
    const { message } = await chat.store.send({
      conversationId: m.conversation_id,
      senderId: principal.userId,
      nonce: randomUUID(),
      body: body.body,
    });
    io.to(rooms.conversation(m.conversation_id)).emit('chat:sent', message);
    const attending = await store.attendingIds(m.id);
    if (attending.length > 0) await notifier.send(attending, { kind: 'meetup_message', meetupId: m.id, title: m.title, body: body.body });
    return null;
  });

  http.route('checkIn', { auth: true }, async ({ params, body, principal }) => {
    await store.checkIn(principal.userId, params.id, body.userId, body.attended);
    return null;
  });

  // The calendar file is not JSON, so it sits beside the route table: same auth, same errors.
  app.get('/api/meetups/:id/ics', async (req, reply) => {
    const principal = await http.principalOf(req);
    if (!principal) throw new AppError(ErrorCode.UNAUTHENTICATED, 'Sign in first');
    const { id } = parseInput(IdParams, req.params);
    const meetup = await store.view(principal.userId, id);
    const ics = toIcs({
      uid: `${meetup.id}@hackmeshi`,
      title: meetup.title,
      description: meetup.description,
      startsAt: new Date(meetup.startsAt),
      endsAt: new Date(meetup.endsAt),
      location: meetup.venue ?? (meetup.onlineUrl ? meetup.onlineUrl : meetup.online ? 'Online' : null),
      url: meetup.onlineUrl,
      organizer: meetup.organizer.displayName,
      cancelled: meetup.status === 'cancelled',
      updatedAt: new Date(meetup.createdAt),
    });
    return reply
      .type('text/calendar; charset=utf-8')
      .header('content-disposition', `attachment; filename="meetup-${meetup.id}.ics"`)
      .send(ics);
  });

  // Reminders: every node sweeps; the database gives each due meetup to exactly one of them.
  let sweeping = false;
  const timer = setInterval(() => {
    if (sweeping) return;
    sweeping = true;
    void (async () => {
      for (const m of await store.claimReminders(config.MEETUP_REMINDER_MINUTES)) {
        const attending = await store.attendingIds(m.id);
        const to = [m.organizer_id, ...attending];
        await notifier.send(to, { kind: 'meetup_reminder', meetupId: m.id, title: m.title, startsAt: new Date(m.starts_at).toISOString() });
      }
    })()
      .catch((err) => log.warn({ err }, 'reminder sweep failed'))
      .finally(() => (sweeping = false));
  }, REMINDER_SWEEP_MS);
  timer.unref();
  app.addHook('preClose', async () => clearInterval(timer));
  return store;
}
