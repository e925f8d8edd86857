import { beforeAll, describe, expect, it } from 'vitest';
import { nextEvent, startTestServer, type TestServer, type TestServerOptions } from '../../test/harness.js';
import { collect, sleep, user, type TestUser } from '../../test/fixtures.js';

const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

export async function createMeetup(u: TestUser, overrides: Record<string, unknown> = {}) {
  const res = await u.call({
    method: 'POST',
    url: '/api/meetups',
    payload: { title: 'Rust 勉強会', startsAt: inHours(48), endsAt: inHours(50), venue: '渋谷のカフェ', capacity: 10, tags: ['rust'], ...overrides },
  });
  if (res.status !== 201) throw new Error(`meetup failed: ${res.status} ${JSON.stringify(res.body)}`);
  return res.body.data as { id: string; conversationId: string };
}

const rsvp = (u: TestUser, id: string) => u.call({ method: 'PUT', url: `/api/meetups/${id}/rsvp` });

/** Meetups, run on PGlite (meetups.test.ts) and real Postgres (meetups.pg.test.ts). */
export function meetupSuite(label: string, opts: TestServerOptions) {
  describe(`meetups (${label})`, () => {
    let srv: TestServer;
    beforeAll(async () => {
      srv = await startTestServer(opts);
    });

    it('seats exactly capacity-many when 40 RSVP at once, queues the rest in a consistent order, and promotes the first 3 when 3 cancel', async () => {
      const organizer = await user(srv);
      const meetup = await createMeetup(organizer, { capacity: 10 });
      const people = await Promise.all(Array.from({ length: 40 }, () => user(srv)));
      const results = await Promise.all(people.map((p) => rsvp(p, meetup.id)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const attending = results.filter((r) => r.body.data.status === 'attending');
      const waiting = results.filter((r) => r.body.data.status === 'waitlisted');
      expect(attending).toHaveLength(10);
      expect(waiting).toHaveLength(30);
      expect(waiting.map((r) => r.body.data.position).sort((a, b) => a - b)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));

      const list = (await organizer.call({ method: 'GET', url: `/api/meetups/${meetup.id}/attendees` })).body.data;
      expect(list.attending).toHaveLength(10);
      expect(list.waitlist).toHaveLength(30);
      const queue: string[] = list.waitlist.map((u: { id: string }) => u.id);
      // Each person's own view agrees with the organizer's order.
      for (const p of people.filter((x) => queue.includes(x.id)).slice(0, 5)) {
        const mine = (await p.call({ method: 'GET', url: `/api/meetups/${meetup.id}` })).body.data.myRsvp;
        expect(mine).toEqual({ status: 'waitlisted', position: queue.indexOf(p.id) + 1 });
      }

      const firstThree = people.filter((p) => queue.slice(0, 3).includes(p.id));
      const fourth = people.find((p) => p.id === queue[3])!;
      const sockets = await Promise.all(firstThree.map((p) => p.socket()));
      const fourthSocket = await fourth.socket();
      const youreIn = sockets.map((s) => nextEvent(s, 'meetup:rsvp-updated', 5_000, (e) => e.rsvp?.status === 'attending'));
      const notified = sockets.map((s) => nextEvent(s, 'notification:created', 5_000, (n) => n.data.kind === 'meetup_promoted'));
      const movedUp = collect(fourthSocket, 'meetup:rsvp-updated');

      const leavers = people.filter((p) => list.attending.slice(0, 3).some((a: { user: { id: string } }) => a.user.id === p.id));
      await Promise.all(leavers.map((p) => p.call({ method: 'DELETE', url: `/api/meetups/${meetup.id}/rsvp` })));
      await Promise.all(youreIn);
      await Promise.all(notified);
      await expect.poll(() => movedUp.at(-1)?.rsvp).toEqual({ status: 'waitlisted', position: 1 });

      const after = (await organizer.call({ method: 'GET', url: `/api/meetups/${meetup.id}/attendees` })).body.data;
      expect(after.attending).toHaveLength(10);
      expect(after.attending.map((a: { user: { id: string } }) => a.user.id)).toEqual(expect.arrayContaining(queue.slice(0, 3)));
      expect(after.waitlist.map((u: { id: string }) => u.id)).toEqual(queue.slice(3));
    });

    it('refuses bad meetups and late RSVPs with clear codes, changing nothing', async () => {
      const organizer = await user(srv);
      const bad = async (patch: Record<string, unknown>) =>
        (await organizer.call({
          method: 'POST',
          url: '/api/meetups',
          payload: { title: 'x', startsAt: inHours(2), endsAt: inHours(3), venue: 'v', capacity: 5, ...patch },
        })).body.error;
      expect(await bad({ startsAt: new Date(Date.now() - 60_000).toISOString() })).toMatchObject({ code: 'INVALID_PAYLOAD', details: [{ path: 'startsAt' }] });
      expect(await bad({ endsAt: inHours(1) })).toMatchObject({ code: 'INVALID_PAYLOAD', details: [expect.objectContaining({ path: 'endsAt' })] });
      expect(await bad({ capacity: 0 })).toMatchObject({ code: 'INVALID_PAYLOAD' });
      expect(await bad({ capacity: 501 })).toMatchObject({ code: 'INVALID_PAYLOAD' });
      expect(await bad({ venue: null })).toMatchObject({ code: 'INVALID_PAYLOAD' });
      expect(await bad({ onlineUrl: 'javascript:alert(1)', venue: null })).toMatchObject({ code: 'INVALID_PAYLOAD' });

      const m = await createMeetup(organizer);
      const guest = await user(srv);
      await organizer.call({ method: 'DELETE', url: `/api/meetups/${m.id}` });
      const late = await rsvp(guest, m.id);
      expect(late.status).toBe(409);
      expect(late.body.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'cancelled' } });

      const past = await createMeetup(organizer);
      await srv.app.ctx.db.query("UPDATE meetups SET starts_at = now() - interval '3 hours', ends_at = now() - interval '1 hour' WHERE id = $1", [past.id]);
      expect((await rsvp(guest, past.id)).body.error).toMatchObject({ code: 'CONFLICT', details: { reason: 'past' } });
      expect((await guest.call({ method: 'GET', url: `/api/meetups/${past.id}` })).body.data.status).toBe('past');
    });

    it('lets only the organizer manage, and shows attendees and the online link only to those confirmed (authorization matrix)', async () => {
      const organizer = await user(srv);
      const attendee = await user(srv);
      const waiting = await user(srv);
      const outsider = await user(srv);
      const m = await createMeetup(organizer, { capacity: 1, venue: null, onlineUrl: 'https://meet.example.org/rust' });
      await rsvp(attendee, m.id);
      await rsvp(waiting, m.id);

      const seen = async (u: TestUser) => (await u.call({ method: 'GET', url: `/api/meetups/${m.id}` })).body.data;
      expect((await seen(organizer)).onlineUrl).toBe('https://meet.example.org/rust');
      expect((await seen(attendee)).onlineUrl).toBe('https://meet.example.org/rust');
      expect(await seen(waiting)).toMatchObject({ onlineUrl: null, online: true, myRsvp: { status: 'waitlisted', position: 1 } });
      expect((await seen(outsider)).onlineUrl).toBeNull();
      expect((await seen(outsider)).conversationId).toBeNull();

      const organizerOnly: [string, string, unknown?][] = [
        ['PATCH', `/api/meetups/${m.id}`, { title: 'mine now' }],
        ['DELETE', `/api/meetups/${m.id}`],
        ['DELETE', `/api/meetups/${m.id}/attendees/${attendee.id}`],
        ['POST', `/api/meetups/${m.id}/announce`, { body: 'hello all' }],
        ['POST', `/api/meetups/${m.id}/checkins`, { userId: attendee.id, attended: true }],
      ];
      for (const u of [attendee, waiting, outsider]) {
        for (const [method, url, payload] of organizerOnly) {
          const res = await u.call({ method: method as 'GET', url, ...(payload ? { payload } : {}) });
          expect({ who: u.handle, method, url, status: res.status }).toEqual({ who: u.handle, method, url, status: 403 });
        }
      }
      // Attendee list: attendees and organizer; the waitlist only for the organizer.
      expect((await attendee.call({ method: 'GET', url: `/api/meetups/${m.id}/attendees` })).body.data.waitlist).toEqual([]);
      expect((await organizer.call({ method: 'GET', url: `/api/meetups/${m.id}/attendees` })).body.data.waitlist).toHaveLength(1);
      for (const u of [waiting, outsider]) expect((await u.call({ method: 'GET', url: `/api/meetups/${m.id}/attendees` })).status).toBe(403);
      // Event chat: organizer and attendees post; the waitlist reads only; outsiders neither.
      const conv = (await seen(attendee)).conversationId;
      expect((await waiting.call({ method: 'GET', url: `/api/conversations/${conv}/messages` })).status).toBe(200);
      expect((await outsider.call({ method: 'GET', url: `/api/conversations/${conv}/messages` })).status).toBe(404);
      const ws = await waiting.socket();
      const post = await ws.timeout(3_000).emitWithAck('chat:send', { conversationId: conv, nonce: crypto.randomUUID(), body: 'me too?' });
      expect(post).toMatchObject({ ok: false, error: { code: 'FORBIDDEN' } });
    });

    it('organizer tools: remove (promotion follows), announce (chat and notification), check-in, edit notifies, cancel notifies', async () => {
      const organizer = await user(srv);
      const a = await user(srv);
      const b = await user(srv);
      const m = await createMeetup(organizer, { capacity: 1 });
      await rsvp(a, m.id);
      await rsvp(b, m.id);
      const sb = await b.socket();
      const promoted = nextEvent(sb, 'meetup:rsvp-updated', 5_000, (e) => e.rsvp?.status === 'attending');
      expect((await organizer.call({ method: 'DELETE', url: `/api/meetups/${m.id}/attendees/${a.id}` })).status).toBe(200);
      await promoted;

      const note = nextEvent(sb, 'notification:created', 5_000, (n) => n.data.kind === 'meetup_message');
      const inChat = nextEvent(sb, 'chat:sent', 5_000);
      await organizer.call({ method: 'POST', url: `/api/meetups/${m.id}/announce`, payload: { body: '集合は 19:00 です' } });
      expect((await note).data).toMatchObject({ body: '集合は 19:00 です' });
      expect((await inChat).body).toBe('集合は 19:00 です');

      await organizer.call({ method: 'POST', url: `/api/meetups/${m.id}/checkins`, payload: { userId: b.id, attended: true } });
      const list = (await organizer.call({ method: 'GET', url: `/api/meetups/${m.id}/attendees` })).body.data;
      expect(list.attending).toEqual([{ user: expect.objectContaining({ id: b.id }), checkedIn: true }]);
      // Attended history shows on the profile, as a count.
      expect((await a.call({ method: 'GET', url: `/api/users/${b.handle}` })).body.data.attendedCount).toBe(1);
      expect((await b.call({ method: 'GET', url: '/api/me' })).body.data.attendedCount).toBe(1);

      const changed = nextEvent(sb, 'notification:created', 5_000, (n) => n.data.kind === 'meetup_changed');
      await organizer.call({ method: 'PATCH', url: `/api/meetups/${m.id}`, payload: { venue: '新宿の居酒屋' } });
      await changed;
      const cancelled = nextEvent(sb, 'notification:created', 5_000, (n) => n.data.kind === 'meetup_cancelled');
      expect((await organizer.call({ method: 'DELETE', url: `/api/meetups/${m.id}` })).body.data.status).toBe('cancelled');
      await cancelled;
    });

    it('browses upcoming, this week, by tag, and the past archive', async () => {
      const organizer = await user(srv);
      const soon = await createMeetup(organizer, { title: 'soon', tags: ['browse'], startsAt: inHours(24), endsAt: inHours(25) });
      const later = await createMeetup(organizer, { title: 'later', tags: ['browse'], startsAt: inHours(24 * 10), endsAt: inHours(24 * 10 + 1) });
      const old = await createMeetup(organizer, { title: 'old', tags: ['browse'] });
      await srv.app.ctx.db.query("UPDATE meetups SET starts_at = now() - interval '2 days', ends_at = now() - interval '47 hours' WHERE id = $1", [old.id]);
      const ids = async (q: string) =>
        (await organizer.call({ method: 'GET', url: `/api/meetups?tag=browse${q}` })).body.data.items.map((m: { id: string }) => m.id);
      expect(await ids('')).toEqual([soon.id, later.id]);
      expect(await ids('&range=week')).toEqual([soon.id]);
      expect(await ids('&range=past')).toEqual([old.id]);
      const page1 = (await organizer.call({ method: 'GET', url: '/api/meetups?tag=browse&limit=1' })).body.data;
      const page2 = (await organizer.call({ method: 'GET', url: `/api/meetups?tag=browse&limit=1&cursor=${page1.nextCursor}` })).body.data;
      expect([page1.items[0].id, page2.items[0].id]).toEqual([soon.id, later.id]);
      await sleep(0);
    });
  });
}
