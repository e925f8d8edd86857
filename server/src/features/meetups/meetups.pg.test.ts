import { describe, expect, it } from 'vitest';
import { startTestServer } from '../../test/harness.js';
import { collect, sleep, user } from '../../test/fixtures.js';
import { serviceAvailable } from '../../test/services.js';
import { createMeetup, meetupSuite } from './meetups.suite.js';

const available = (await serviceAvailable('postgres')) && (await serviceAvailable('redis'));

describe.skipIf(!available)('on real Postgres', () => {
  meetupSuite('Postgres', { postgres: true });

  it('reminds attendees exactly once with two nodes sharing one database', async () => {
    const env = { MEETUP_REMINDER_MINUTES: '60' };
    const node1 = await startTestServer({ postgres: true, redis: true, env });
    const node2 = await startTestServer({ postgres: true, redis: true, env, sameStoreAs: node1 });
    const organizer = await user(node1);
    const attendee = await user(node2);
    // Starts in 30 minutes: inside the 60-minute reminder window at once.
    const m = await createMeetup(organizer, {
      startsAt: new Date(Date.now() + 30 * 60_000).toISOString(),
      endsAt: new Date(Date.now() + 90 * 60_000).toISOString(),
    });
    await attendee.call({ method: 'PUT', url: `/api/meetups/${m.id}/rsvp` });
    const onNode1 = collect(await attendee.socket(), 'notification:created');
    await expect.poll(() => onNode1.filter((n) => n.data.kind === 'meetup_reminder').length, { timeout: 15_000 }).toBe(1);
    await sleep(6_000); // both nodes sweep again at least once
    const { rows } = await node1.app.ctx.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM notifications WHERE user_id = $1 AND data->>'kind' = 'meetup_reminder'",
      [attendee.id],
    );
    expect(rows[0]!.n).toBe(1);
    expect(onNode1.filter((n) => n.data.kind === 'meetup_reminder')).toHaveLength(1);
  }, 40_000);
});
